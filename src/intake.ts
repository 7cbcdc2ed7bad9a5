import type { Command } from './commands.js';
import { parseCommand } from './commands.js';
import { type ThreadMessage, threadKeyOf } from './domain.js';
import type { Logger } from './log.js';
import { messageKeyValue } from './slack/actions.js';
import type { Store } from './store/index.js';
import type { Replier, TurnOutcome } from './turn.js';
import type { Worker } from './worker.js';

export interface IntakeDeps {
  store: Store;
  worker: Worker;
  replier: Replier;
  log: Logger;
  toolVersion: string;
  runTurn: (msg: ThreadMessage, signal: AbortSignal) => Promise<TurnOutcome>;
  runCommand: (msg: ThreadMessage, command: Command) => Promise<TurnOutcome>;
  turnTimeoutMs: number;
  /** Messages waiting or running before new ones get a "busy" reply. */
  maxQueued: number;
}

/** A turn interrupted by a restart this many times is reported instead of tried again. */
const MAX_ATTEMPTS = 2;
const RETRY_HINT = 'Reply `retry` in this thread to try again.';

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

  /** Synchronous and fast: runs before Slack gets its ack. Returns whether the message was taken. */
  function receive(msg: ThreadMessage): boolean {
    const threadKey = threadKeyOf(msg);
    if (!msg.addressed && !store.threads.get(threadKey)) {
      return false; // human chatter in a thread the bot was never asked into
    }
    // Dedupe before touching the thread: a late twin of a `forget` must not bring the thread back.
    if (!store.inbox.accept(msg)) {
      log.debug({ threadKey, eventId: msg.eventId }, 'duplicate delivery ignored');
      return false;
    }
    if (msg.addressed) store.threads.ensure({ ...msg, threadKey, toolVersion: deps.toolVersion });
    if (deps.worker.pending >= deps.maxQueued) {
      // Kept as failed, so `retry` can pick it up once things calm down.
      store.inbox.markFailed(msg.channelId, msg.messageTs, 'busy');
      log.warn({ threadKey, pending: deps.worker.pending }, 'queue full; message refused');
      void report(msg, `⏳ I'm busy with ${deps.worker.pending} other questions right now. ${RETRY_HINT}`);
      return true;
    }
    deps.worker.enqueue(msg);
    return true;
  }

  /** Runs one inbox row: queued → running → done/failed, with a visible message whatever happens. */
  async function process(msg: ThreadMessage): Promise<void> {
    const { channelId, messageTs } = msg;
    const key = messageKeyValue(msg);
    store.inbox.markRunning(channelId, messageTs);
    const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
    const stop = new AbortController();
    running.set(key, stop);
    try {
      const command = msg.addressed ? parseCommand(msg.text) : null;
      const outcome = command
        ? await deps.runCommand(msg, command)
        : await deps.runTurn(msg, AbortSignal.any([timeout, shutdown.signal, stop.signal]));
      if (outcome.status === 'answered') store.inbox.markDone(channelId, messageTs);
      else store.inbox.markFailed(channelId, messageTs, outcome.error);
    } catch (err) {
      if (shutdown.signal.aborted) {
        store.inbox.markQueued(channelId, messageTs); // picked up again on the next start
      } else if (stop.signal.aborted) {
        store.inbox.markFailed(channelId, messageTs, 'stopped');
        await report(msg, "🛑 Stopped. The thread's sandbox is kept, so you can ask again or retry.");
      } else {
        const timedOut = timeout.aborted;
        log.error({ err, threadKey: threadKeyOf(msg), eventId: msg.eventId, timedOut }, 'turn failed');
        store.inbox.markFailed(
          channelId,
          messageTs,
          timedOut ? 'timeout' : err instanceof Error ? err.name : 'unknown',
        );
        await report(
          msg,
          timedOut
            ? `⏱️ This took longer than the ${formatDuration(deps.turnTimeoutMs)} limit, so I stopped it. ${RETRY_HINT}`
            : `⚠️ Something went wrong while answering this; the error was logged. ${RETRY_HINT}`,
        );
      }
    } finally {
      running.delete(key);
    }
  }

  /** The Stop button: aborts the running turn of that message, if any. */
  function stop(key: string): boolean {
    const controller = running.get(key);
    controller?.abort(new Error('stopped by a user'));
    return Boolean(controller);
  }

  /** The Retry button and `retry`: runs a finished or failed message again, once per click. */
  function retry(channelId: string, messageTs: string): boolean {
    const item = store.inbox.requeue(channelId, messageTs);
    if (item) deps.worker.enqueue(item.message);
    return Boolean(item);
  }

  async function report(msg: ThreadMessage, text: string): Promise<void> {
    try {
      await replier.failure(msg, text);
    } catch (err) {
      log.error({ err, threadKey: threadKeyOf(msg) }, 'could not report a failure in Slack');
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
        store.inbox.markFailed(item.channelId, item.messageTs, 'interrupted');
        void report(
          msg,
          `♻️ I was restarted while posting the answer to this, so parts of it may be missing. ${RETRY_HINT}`,
        );
      } else if (item.status === 'running' && item.attempts >= MAX_ATTEMPTS) {
        store.inbox.markFailed(item.channelId, item.messageTs, 'interrupted');
        void report(msg, `⚠️ I was interrupted ${item.attempts} times while answering this. ${RETRY_HINT}`);
      } else {
        deps.worker.enqueue(msg);
      }
    }
    if (open.length > 0) log.info({ count: open.length }, 'resumed unfinished messages');
    return open.length;
  }

  return {
    receive,
    process,
    resume,
    stop,
    retry,
    /** Aborts in-flight turns; they stay in the inbox and resume on the next start. */
    abortInFlight: () => shutdown.abort(new Error('shutting down')),
  };
}
export type Intake = ReturnType<typeof createIntake>;

const formatDuration = (ms: number) =>
  ms >= 120_000 ? `${Math.round(ms / 60_000)}-minute` : `${Math.round(ms / 1000)}-second`;
