import { type ThreadMessage, threadKeyOf } from './domain.js';
import type { Logger } from './log.js';
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
  turnTimeoutMs: number;
}

/**
 * Between Slack and the worker: decides whether the bot takes part, records the message in the
 * durable inbox (deduplicating retries and double deliveries), and runs it with inbox bookkeeping.
 */
export function createIntake(deps: IntakeDeps) {
  const { store, log } = deps;

  /** Synchronous and fast: called before Slack gets its ack. Returns whether the message was taken. */
  function receive(msg: ThreadMessage): boolean {
    const threadKey = threadKeyOf(msg);
    if (msg.addressed) {
      store.threads.ensure({ ...msg, threadKey, toolVersion: deps.toolVersion });
    } else if (!store.threads.get(threadKey)) {
      return false; // human chatter in a thread the bot was never asked into
    }
    if (!store.inbox.accept(msg)) {
      log.debug({ threadKey, eventId: msg.eventId }, 'duplicate delivery ignored');
      return false;
    }
    deps.worker.enqueue(msg);
    return true;
  }

  /** Runs one inbox row: queued → running → done/failed, with a visible message whatever happens. */
  async function process(msg: ThreadMessage): Promise<void> {
    store.inbox.markRunning(msg.channelId, msg.messageTs);
    const timeout = AbortSignal.timeout(deps.turnTimeoutMs);
    try {
      const outcome = await deps.runTurn(msg, timeout);
      if (outcome.status === 'answered') store.inbox.markDone(msg.channelId, msg.messageTs);
      else store.inbox.markFailed(msg.channelId, msg.messageTs, outcome.error);
    } catch (err) {
      log.error({ err, threadKey: threadKeyOf(msg), eventId: msg.eventId }, 'turn crashed');
      store.inbox.markFailed(msg.channelId, msg.messageTs, err instanceof Error ? err.name : 'unknown');
      await deps.replier
        .notice(msg, '⚠️ Something went wrong while answering this; the error was logged. Ask again to retry.')
        .catch((e: unknown) => log.error({ err: e }, 'could not report the failure in Slack'));
      await deps.replier.done(msg, 'failed').catch(() => undefined);
    }
  }

  /** Re-queues what was in flight when the process last stopped. */
  function resume(): number {
    const open = store.inbox.open();
    for (const item of open) deps.worker.enqueue(item.message);
    if (open.length > 0) log.info({ count: open.length }, 'resuming unfinished messages');
    return open.length;
  }

  return { receive, process, resume };
}
export type Intake = ReturnType<typeof createIntake>;
