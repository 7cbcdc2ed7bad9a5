import type { Command } from './commands.js';
import { parseCommand } from './commands.js';
import { messageKeyValue, type ThreadMessage, threadKeyOf } from './domain.js';
import type { Refusal } from './governance.js';
import type { Logger } from './log.js';
import type { AuditOutcome, FailureCode, Replier, TurnOutcome, TurnSpend } from './ports.js';
import { containerMinutes, newMeter } from './pricing.js';
import { databaseFault, faultReason, type Store } from './store/index.js';
import { INTAKE } from './text/wording.js';
import type { Worker } from './worker.js';

export interface IntakeDeps {
  store: Store;
  worker: Worker;
  replier: Replier;
  log: Logger;
  toolVersion: string;
  /** Fills in `spend` as it goes, so what a question cost is known however it ends. */
  runTurn: (msg: ThreadMessage, signal: AbortSignal, spend: TurnSpend) => Promise<TurnOutcome>;
  runCommand: (msg: ThreadMessage, command: Command) => Promise<TurnOutcome>;
  turnTimeoutMs: number;
  /** Messages waiting or running before new ones get a "busy" reply. */
  maxQueued: number;
  /**
   * Whether Slack delivers an event again when the listener fails (HTTP mode: Bolt answers 500). In Socket
   * Mode Bolt acks before the listener runs, so a message that cannot be recorded is lost unless we say so.
   */
  slackResends: boolean;
  /** Who may ask where: a refused message gets one reply and an audit row, nothing else is stored. */
  access?: (msg: ThreadMessage) => Refusal | null;
  /** Spend limits, checked before a question (not a command) starts: no Claude call, no download when over. */
  overBudget?: (msg: ThreadMessage) => Promise<Refusal | null>;
  /** Estimated USD of what a question spent, for its audit row. */
  costOf?: (spend: TurnSpend) => number;
}

/** A turn interrupted by a restart this many times is reported instead of tried again. */
const MAX_ATTEMPTS = 2;
/** How often an outcome that could not be written (database failing) is tried again. */
const RECORD_RETRY_MS = 5_000;

/**
 * Between Slack and the worker: decides whether the bot takes part, records the message in the
 * durable inbox (deduplicating retries and double deliveries), and runs it with inbox bookkeeping
 * so every accepted message ends answered or visibly failed, exactly once.
 */
export function createIntake(deps: IntakeDeps) {
  const { store, log, replier } = deps;
  const shutdown = new AbortController();
  /** Stop buttons of running turns, by "channel|ts". */
  const running = new Map<string, AbortController>();

  /**
   * Synchronous and fast: runs before Slack gets its ack. Returns whether the message was taken. Throws when
   * the message cannot be recorded (database locked past SQLITE_BUSY_TIMEOUT_MS, full, read-only): in HTTP
   * mode Bolt then answers Slack with a 500 and Slack delivers the event again later.
   */
  function receive(msg: ThreadMessage): boolean {
    try {
      return take(msg);
    } catch (err) {
      const fault = databaseFault(err);
      log.error(
        { err, fault, threadKey: threadKeyOf(msg), eventId: msg.eventId, slackResends: deps.slackResends },
        deps.slackResends
          ? 'could not record an incoming message; Slack gets a 5xx and will resend it'
          : 'could not record an incoming message (Socket Mode: already acknowledged, not resent)',
      );
      if (!fault || deps.slackResends) throw err;
      void notice(msg, INTAKE.couldNotTake(faultReason(fault)));
      return false;
    }
  }

  /**
   * The access rules for a question that is not a Slack message yet (a follow-up button's click): a refusal is
   * audited like a typed one, and returned for the caller to tell only the clicker, before anything is posted.
   */
  function screen(msg: ThreadMessage): Refusal | null {
    const refusal = deps.access?.(msg) ?? null;
    if (refusal) audit(msg, 'refused', refusal.reason);
    return refusal;
  }

  function take(msg: ThreadMessage): boolean {
    const threadKey = threadKeyOf(msg);
    if (!msg.addressed && !store.threads.get(threadKey)) {
      return false; // human chatter in a thread the bot was never asked into
    }
    const refusal = deps.access?.(msg);
    if (refusal) {
      // Recorded once per message, so Slack's retries and the mention's twin get no second reply.
      if (audit(msg, 'refused', refusal.reason)) {
        log.info({ threadKey, eventId: msg.eventId, reason: refusal.reason }, 'question refused');
        void notice(msg, refusal.text);
      }
      return false;
    }
    const busy = deps.worker.pending >= deps.maxQueued;
    // One transaction: a failed write leaves no half-recorded message that would turn Slack's retry into a duplicate.
    const accepted = store.atomically(() => {
      // Dedupe before touching the thread: a late twin of a `forget` must not bring the thread back.
      if (!store.inbox.accept(msg)) return false;
      if (msg.addressed) store.threads.ensure({ ...msg, threadKey, toolVersion: deps.toolVersion });
      // Kept as failed, so `retry` can pick it up once things calm down.
      if (busy) store.inbox.markFailed(msg.channelId, msg.messageTs, 'busy');
      return true;
    });
    if (!accepted) {
      log.debug({ threadKey, eventId: msg.eventId }, 'duplicate delivery ignored');
      return false;
    }
    if (busy) {
      log.warn({ threadKey, pending: deps.worker.pending }, 'queue full; message refused');
      void report(msg, INTAKE.busy(deps.worker.pending));
      return true;
    }
    deps.worker.enqueue(msg);
    return true;
  }

  /** Runs one inbox row: queued → running → done/failed, with a visible message whatever happens. */
  async function process(msg: ThreadMessage): Promise<void> {
    const key = messageKeyValue(msg);
    const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
    const stop = new AbortController();
    running.set(key, stop);
    const command = msg.addressed ? parseCommand(msg.text) : null;
    const spend: TurnSpend = { ...newMeter(), codeRuns: 0, failedRuns: 0, files: [] };
    try {
      let outcome: TurnOutcome;
      try {
        store.inbox.markRunning(msg.channelId, msg.messageTs);
        if (command) outcome = await deps.runCommand(msg, command);
        else {
          const over = await deps.overBudget?.(msg);
          if (over) {
            log.info({ threadKey: threadKeyOf(msg), reason: over.reason }, 'question over budget');
            audit(msg, 'over_budget', over.reason);
            record(msg, 'failed', 'over_budget');
            return notice(msg, over.text);
          }
          outcome = await deps.runTurn(msg, AbortSignal.any([timeout, shutdown.signal, stop.signal]), spend);
        }
      } catch (err) {
        // Which signal fired says what happened; any other error is a crash, never an abort.
        if (shutdown.signal.aborted) {
          // What the interrupted attempt already cost is billed; the next start runs it again as a new attempt.
          if (!command && spend.model) audit(msg, 'stopped', 'restart', spend);
          record(msg, 'queued'); // picked up again on the next start
          return;
        }
        outcome = stop.signal.aborted
          ? { status: 'stopped' }
          : timeout.aborted
            ? { status: 'timed_out' }
            : { status: 'crashed', error: err };
      }
      await settle(msg, outcome, command === null ? spend : undefined);
    } finally {
      running.delete(key);
    }
  }

  /**
   * Records how the message ended (and, for a question, its audit row) and, unless the turn already told the
   * thread, says so there.
   */
  async function settle(msg: ThreadMessage, outcome: TurnOutcome, spend?: TurnSpend): Promise<void> {
    if (spend) {
      const reason =
        outcome.status === 'failed'
          ? outcome.code
          : outcome.status === 'answered'
            ? undefined
            : outcome.status;
      audit(msg, AUDIT_OUTCOME[outcome.status], reason, spend);
    }
    switch (outcome.status) {
      case 'answered':
        return record(msg, 'done');
      case 'failed':
        return record(msg, 'failed', outcome.code);
      case 'stopped':
        record(msg, 'failed', 'stopped');
        return report(msg, INTAKE.stopped);
      case 'timed_out':
        log.error({ threadKey: threadKeyOf(msg), eventId: msg.eventId, timedOut: true }, 'turn failed');
        record(msg, 'failed', 'timeout');
        return report(msg, INTAKE.timedOut(formatDuration(deps.turnTimeoutMs)));
      case 'crashed': {
        const { error: err } = outcome;
        const fault = databaseFault(err);
        log.error(
          { err, fault, threadKey: threadKeyOf(msg), eventId: msg.eventId, timedOut: false },
          'turn failed',
        );
        // A crash that is not the database's is stored by its error's name, for the App Home.
        record(msg, 'failed', fault ? `database ${fault}` : err instanceof Error ? err.name : 'unknown');
        return report(msg, fault ? INTAKE.couldNotFinish(faultReason(fault)) : INTAKE.crashed);
      }
    }
  }

  /**
   * One audit row. Never throws (it runs on error paths too); false when not written, or when it is a refusal
   * already recorded for this message.
   */
  function audit(msg: ThreadMessage, outcome: AuditOutcome, reason?: string, spend?: TurnSpend): boolean {
    try {
      return store.audit.record({
        at: Date.now(),
        teamId: msg.teamId,
        channelId: msg.channelId,
        threadTs: msg.threadTs,
        messageTs: msg.messageTs,
        userId: msg.userId,
        ...(spend && {
          model: spend.model,
          usage: spend.usage,
          containerMinutes: containerMinutes(spend.container),
          codeRuns: spend.codeRuns,
          failedRuns: spend.failedRuns,
          files: spend.files,
        }),
        costUsd: spend && deps.costOf ? deps.costOf(spend) : 0,
        outcome,
        reason,
      });
    } catch (err) {
      log.error(
        { err, fault: databaseFault(err), threadKey: threadKeyOf(msg) },
        'could not write an audit row',
      );
      return false;
    }
  }

  /** Outcomes that could not be written (database failing), by message key, tried again until they land. */
  const unrecorded = new Map<string, () => void>();
  let recordTimer: NodeJS.Timeout | undefined;

  /**
   * Writes how a message ended. Never throws: this runs on the error path, and a failing database must not
   * hide the failure it caused. An outcome that cannot be written is retried in the background; if the process
   * stops first, the row is still open and the restart logic runs it once more (its answer was not saved).
   */
  function record(
    msg: ThreadMessage,
    status: 'queued' | 'done' | 'failed',
    /** A FailureCode, or for a crash that is not the database's, its error's name. */
    error: FailureCode | (string & {}) | null = null,
  ): void {
    const { channelId, messageTs } = msg;
    const write = () =>
      status === 'failed'
        ? store.inbox.markFailed(channelId, messageTs, error ?? 'unknown')
        : status === 'done'
          ? store.inbox.markDone(channelId, messageTs)
          : store.inbox.markQueued(channelId, messageTs);
    const key = messageKeyValue(msg);
    unrecorded.delete(key);
    try {
      write();
    } catch (err) {
      log.error(
        { err, fault: databaseFault(err), threadKey: threadKeyOf(msg), eventId: msg.eventId, status },
        'could not record how a message ended; retrying in the background',
      );
      unrecorded.set(key, write);
      recordTimer ??= setInterval(recordPending, RECORD_RETRY_MS).unref();
    }
  }

  function recordPending(): void {
    for (const [key, write] of unrecorded) {
      if (!store.db.open) break;
      try {
        write();
        unrecorded.delete(key);
      } catch {
        break; // still failing; the next tick tries again
      }
    }
    if (unrecorded.size > 0 && store.db.open) return;
    if (unrecorded.size > 0) {
      log.warn(
        { count: unrecorded.size },
        'database closed with outcomes unrecorded; the next start resumes them',
      );
      unrecorded.clear();
    }
    clearInterval(recordTimer);
    recordTimer = undefined;
  }

  /** The Stop button: aborts the running turn of that message, if any. */
  function stop(key: string): boolean {
    const controller = running.get(key);
    controller?.abort(new Error('stopped by a user'));
    return Boolean(controller);
  }

  /** The Retry button and `retry`: runs a finished or failed message again, once per click. */
  function retry(channelId: string, messageTs: string): boolean {
    recordPending(); // an outcome still waiting to be written would make the message look "running"
    try {
      const item = store.inbox.requeue(channelId, messageTs);
      if (item) deps.worker.enqueue(item.message);
      return Boolean(item);
    } catch (err) {
      const fault = databaseFault(err);
      if (!fault) throw err;
      log.error({ err, fault, channelId, messageTs }, 'could not queue a retry');
      const item = store.inbox.get(channelId, messageTs);
      if (item) void notice(item.message, INTAKE.cannotRetryYet(faultReason(fault)));
      return true; // handled: not "already being answered"
    }
  }

  async function report(msg: ThreadMessage, text: string): Promise<void> {
    try {
      await replier.failure(msg, text);
    } catch (err) {
      log.error({ err, threadKey: threadKeyOf(msg) }, 'could not report a failure in Slack');
    }
  }

  /** A line in the thread without a Retry button (there is nothing to retry yet). */
  async function notice(msg: ThreadMessage, text: string): Promise<void> {
    try {
      await replier.notice(msg, text);
    } catch (err) {
      log.error({ err, threadKey: threadKeyOf(msg) }, 'could not post a notice in Slack');
    }
  }

  /**
   * After a crash or deploy: queued messages run; a turn whose answer was already stored is not run
   * again but flagged (its reply may be partial); a turn interrupted too often is failed visibly.
   */
  function resume(): number {
    const open = store.inbox.open();
    for (const item of open) {
      const { message: msg } = item;
      if (item.saved) {
        record(msg, 'failed', 'interrupted');
        void report(msg, INTAKE.restartedWhilePosting);
      } else if (item.status === 'running' && item.attempts >= MAX_ATTEMPTS) {
        record(msg, 'failed', 'interrupted');
        void report(msg, INTAKE.interrupted(item.attempts));
      } else {
        if (item.status === 'running') {
          // Its answer was never saved (a crash, or a database fault that also kept its outcome from being
          // written), so Claude is asked again; said here so a second answer in the thread can be traced.
          log.warn(
            { threadKey: threadKeyOf(msg), eventId: msg.eventId, attempts: item.attempts },
            're-running an interrupted turn',
          );
        }
        deps.worker.enqueue(msg);
      }
    }
    if (open.length > 0) log.info({ count: open.length }, 'resumed unfinished messages');
    return open.length;
  }

  return {
    receive,
    screen,
    process,
    resume,
    stop,
    retry,
    /** Aborts in-flight turns; they stay in the inbox and resume on the next start. */
    abortInFlight: () => shutdown.abort(new Error('shutting down')),
  };
}
export type Intake = ReturnType<typeof createIntake>;

const AUDIT_OUTCOME: Record<TurnOutcome['status'], AuditOutcome> = {
  answered: 'answered',
  failed: 'failed',
  stopped: 'stopped',
  timed_out: 'failed',
  crashed: 'failed',
};

const formatDuration = (ms: number) =>
  ms >= 120_000 ? `${Math.round(ms / 60_000)}-minute` : `${Math.round(ms / 1000)}-second`;
