import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pid } from 'node:process';
import type { Command } from './commands.js';
import { parseCommand } from './commands.js';
import { messageKeyValue, parseMessageKey, type ThreadMessage, threadKeyOf } from './domain.js';
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
  /** How long a thread's lease outlives a replica that stopped renewing it (ms; default 10 s). */
  leaseMs?: number;
}

/** How long a thread stays leased to a replica that stopped renewing (died). */
const LEASE_MS = 10_000;
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
  /** This replica, as lease owner: unique per run of the process. */
  const owner = `${hostname()}:${pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = deps.leaseMs ?? LEASE_MS;
  const heartbeatMs = Math.min(1_000, leaseMs / 3);
  const shutdown = new AbortController();
  /** Stop buttons of running turns, by "channel|ts". */
  const running = new Map<string, AbortController>();

  /**
   * Fast (one transaction, awaited before Slack gets its ack). Resolves to whether the message was taken. Throws when
   * the message cannot be recorded (database locked past SQLITE_BUSY_TIMEOUT_MS, full, read-only): in HTTP
   * mode Bolt then answers Slack with a 500 and Slack delivers the event again later.
   */
  async function receive(msg: ThreadMessage): Promise<boolean> {
    try {
      return await take(msg);
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
  async function screen(msg: ThreadMessage): Promise<Refusal | null> {
    const refusal = deps.access?.(msg) ?? null;
    if (refusal) await audit(msg, 'refused', refusal.reason);
    return refusal;
  }

  async function take(msg: ThreadMessage): Promise<boolean> {
    const threadKey = threadKeyOf(msg);
    if (!msg.addressed && !(await store.threads.get(threadKey))) {
      return false; // human chatter in a thread the bot was never asked into
    }
    const refusal = deps.access?.(msg);
    if (refusal) {
      // Recorded once per message, so Slack's retries and the mention's twin get no second reply.
      if (await audit(msg, 'refused', refusal.reason)) {
        log.info({ threadKey, eventId: msg.eventId, reason: refusal.reason }, 'question refused');
        void notice(msg, refusal.text);
      }
      return false;
    }
    const busy = deps.worker.pending >= deps.maxQueued;
    // One transaction: a failed write leaves no half-recorded message that would turn Slack's retry into a duplicate.
    const accepted = await store.atomically(async (tx) => {
      // Dedupe before touching the thread: a late twin of a `forget` must not bring the thread back.
      if (!(await tx.inbox.accept(msg))) return false;
      if (msg.addressed) await tx.threads.ensure({ ...msg, threadKey, toolVersion: deps.toolVersion });
      // Kept as failed, so `retry` can pick it up once things calm down.
      if (busy) await tx.inbox.markFailed(msg.channelId, msg.messageTs, 'busy');
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

  /**
   * Works on `trigger`'s thread: takes the thread's lease (another replica holding it is working on the thread,
   * and runs what is queued there), then runs the thread's queued messages oldest first until none is left,
   * renewing the lease meanwhile, and releases it. Any replica may be triggered; the lease makes it one at a time.
   */
  async function process(trigger: ThreadMessage): Promise<void> {
    const threadKey = threadKeyOf(trigger);
    if (!(await store.leases.acquire(threadKey, owner, leaseMs))) {
      log.debug({ threadKey }, 'thread is leased by another replica; it runs the queued message');
      return;
    }
    try {
      while (!shutdown.signal.aborted) {
        const item = await store.inbox.claimOldest(threadKey);
        if (!item) break;
        await runOne(item.message, threadKey);
      }
    } finally {
      await store.leases.release(threadKey, owner).catch((err: unknown) => {
        log.warn({ err, threadKey }, 'could not release a thread lease; it expires on its own');
      });
    }
  }

  /** Runs one claimed inbox row: running → done/failed, with a visible message whatever happens. */
  async function runOne(msg: ThreadMessage, threadKey: string): Promise<void> {
    const key = messageKeyValue(msg);
    const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
    const stop = new AbortController();
    running.set(key, stop);
    // Keeps the lease alive, and brings a Stop clicked on another replica (stored on the inbox row) here.
    const heartbeat = setInterval(() => {
      void Promise.all([
        store.leases.renew(threadKey, owner, leaseMs),
        store.inbox.stopRequested(msg.channelId, msg.messageTs),
      ]).then(
        ([held, stopRequested]) => {
          if (!held) log.warn({ threadKey }, 'lost the thread lease while working on it');
          if (stopRequested) stop.abort(new Error('stopped by a user'));
        },
        (err: unknown) => log.warn({ err, threadKey }, 'could not renew the thread lease'),
      );
    }, heartbeatMs);
    heartbeat.unref();
    const command = msg.addressed ? parseCommand(msg.text) : null;
    const spend: TurnSpend = { ...newMeter(), codeRuns: 0, failedRuns: 0, files: [] };
    try {
      let outcome: TurnOutcome;
      try {
        if (command) outcome = await deps.runCommand(msg, command);
        else {
          const over = await deps.overBudget?.(msg);
          if (over) {
            log.info({ threadKey: threadKeyOf(msg), reason: over.reason }, 'question over budget');
            await audit(msg, 'over_budget', over.reason);
            await record(msg, 'failed', 'over_budget');
            return notice(msg, over.text);
          }
          outcome = await deps.runTurn(msg, AbortSignal.any([timeout, shutdown.signal, stop.signal]), spend);
        }
      } catch (err) {
        // Which signal fired says what happened; any other error is a crash, never an abort.
        if (shutdown.signal.aborted) {
          // What the interrupted attempt already cost is billed; the next start runs it again as a new attempt.
          if (!command && spend.model) await audit(msg, 'stopped', 'restart', spend);
          await record(msg, 'queued'); // picked up again on the next start
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
      clearInterval(heartbeat);
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
      await audit(msg, AUDIT_OUTCOME[outcome.status], reason, spend);
    }
    switch (outcome.status) {
      case 'answered':
        return record(msg, 'done');
      case 'failed':
        return record(msg, 'failed', outcome.code);
      case 'stopped':
        await record(msg, 'failed', 'stopped');
        return report(msg, INTAKE.stopped);
      case 'timed_out':
        log.error({ threadKey: threadKeyOf(msg), eventId: msg.eventId, timedOut: true }, 'turn failed');
        await record(msg, 'failed', 'timeout');
        return report(msg, INTAKE.timedOut(formatDuration(deps.turnTimeoutMs)));
      case 'crashed': {
        const { error: err } = outcome;
        const fault = databaseFault(err);
        log.error(
          { err, fault, threadKey: threadKeyOf(msg), eventId: msg.eventId, timedOut: false },
          'turn failed',
        );
        // A crash that is not the database's is stored by its error's name, for the App Home.
        await record(
          msg,
          'failed',
          fault ? `database ${fault}` : err instanceof Error ? err.name : 'unknown',
        );
        return report(msg, fault ? INTAKE.couldNotFinish(faultReason(fault)) : INTAKE.crashed);
      }
    }
  }

  /**
   * One audit row. Never throws (it runs on error paths too); false when not written, or when it is a refusal
   * already recorded for this message.
   */
  async function audit(
    msg: ThreadMessage,
    outcome: AuditOutcome,
    reason?: string,
    spend?: TurnSpend,
  ): Promise<boolean> {
    try {
      return await store.audit.record({
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
  const unrecorded = new Map<string, () => Promise<unknown>>();
  let recordTimer: NodeJS.Timeout | undefined;

  /**
   * Writes how a message ended. Never throws: this runs on the error path, and a failing database must not
   * hide the failure it caused. An outcome that cannot be written is retried in the background; if the process
   * stops first, the row is still open and the restart logic runs it once more (its answer was not saved).
   */
  async function record(
    msg: ThreadMessage,
    status: 'queued' | 'done' | 'failed',
    /** A FailureCode, or for a crash that is not the database's, its error's name. */
    error: FailureCode | (string & {}) | null = null,
  ): Promise<void> {
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
      await write();
    } catch (err) {
      log.error(
        { err, fault: databaseFault(err), threadKey: threadKeyOf(msg), eventId: msg.eventId, status },
        'could not record how a message ended; retrying in the background',
      );
      unrecorded.set(key, write);
      recordTimer ??= setInterval(() => void recordPending(), RECORD_RETRY_MS).unref();
    }
  }

  async function recordPending(): Promise<void> {
    for (const [key, write] of unrecorded) {
      if (!store.isOpen()) break;
      try {
        await write();
        unrecorded.delete(key);
      } catch {
        break; // still failing; the next tick tries again
      }
    }
    if (unrecorded.size > 0 && store.isOpen()) return;
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

  /**
   * The Stop button: aborts the running turn of that message here, or flags it for the replica running it (its
   * heartbeat sees the flag within a second). False when the message is not running anywhere.
   */
  async function stop(key: string): Promise<boolean> {
    const controller = running.get(key);
    if (controller) {
      controller.abort(new Error('stopped by a user'));
      return true;
    }
    const parsed = parseMessageKey(key);
    return parsed ? store.inbox.requestStop(parsed.channelId, parsed.messageTs) : false;
  }

  /** The Retry button and `retry`: runs a finished or failed message again, once per click. */
  async function retry(channelId: string, messageTs: string): Promise<boolean> {
    await recordPending(); // an outcome still waiting to be written would make the message look "running"
    try {
      const item = await store.inbox.requeue(channelId, messageTs);
      if (item) deps.worker.enqueue(item.message);
      return Boolean(item);
    } catch (err) {
      const fault = databaseFault(err);
      if (!fault) throw err;
      log.error({ err, fault, channelId, messageTs }, 'could not queue a retry');
      const item = await store.inbox.get(channelId, messageTs);
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
   * Picks up what nobody is working on: at start (SQLite: what the previous run left), and on PostgreSQL every
   * few seconds (what a dead replica left once its lease expired, or what arrived at a replica whose thread was
   * leased elsewhere). Queued messages run; an interrupted turn whose answer was already stored is not run again
   * but flagged (its reply may be partial); a turn interrupted too often is failed visibly; any other is run again.
   */
  async function resume(): Promise<number> {
    const open = (await store.inbox.unleased()).filter((i) => !deps.worker.has(threadKeyOf(i.message)));
    const threads = new Map<string, ThreadMessage>();
    for (const item of open) {
      const { message: msg } = item;
      if (item.status === 'queued') {
        threads.set(threadKeyOf(msg), msg);
      } else if (item.saved) {
        await record(msg, 'failed', 'interrupted');
        void report(msg, INTAKE.restartedWhilePosting);
      } else if (item.status === 'running' && item.attempts >= MAX_ATTEMPTS) {
        await record(msg, 'failed', 'interrupted');
        void report(msg, INTAKE.interrupted(item.attempts));
      } else {
        // Its answer was never saved (a crash, or a database fault that also kept its outcome from being
        // written), so Claude is asked again; said here so a second answer in the thread can be traced.
        log.warn(
          { threadKey: threadKeyOf(msg), eventId: msg.eventId, attempts: item.attempts },
          're-running an interrupted turn',
        );
        await store.inbox.markQueued(msg.channelId, msg.messageTs);
        threads.set(threadKeyOf(msg), msg);
      }
    }
    for (const msg of threads.values()) deps.worker.enqueue(msg, true);
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
