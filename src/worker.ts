import { type ThreadMessage, threadKeyOf } from './domain.js';
import type { Logger } from './log.js';

export interface WorkerOptions {
  maxConcurrent: number;
  run: (msg: ThreadMessage) => Promise<void>;
  /** Called when a message cannot start at once (its thread is busy, or the global limit is reached). */
  onWait?: (msg: ThreadMessage) => void;
  log: Logger;
}

/**
 * Runs messages strictly one at a time and in arrival order per thread (they share a container),
 * and different threads concurrently up to a global limit.
 */
export function createWorker(opts: WorkerOptions) {
  const lanes = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let active = 0;
  let pending = 0;

  async function withSlot(fn: () => Promise<void>): Promise<void> {
    // A freed slot is handed straight to a waiter, so a newcomer can never slip in between.
    if (active >= opts.maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  }

  return {
    /** `quiet`: no "waiting" signal (a background sweep, not a person, asked for it). */
    enqueue(msg: ThreadMessage, quiet = false): void {
      const key = threadKeyOf(msg);
      if (!quiet && (lanes.has(key) || active >= opts.maxConcurrent)) opts.onWait?.(msg);
      pending++;
      // A new lane starts on a later turn of the event loop, so in HTTP mode nothing of the turn (its first
      // database write, the 👀 request to Slack) runs before Bolt has sent the ack.
      const lane = (lanes.get(key) ?? new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => withSlot(() => opts.run(msg)))
        .catch((err: unknown) => opts.log.error({ err, threadKey: key }, 'message processing crashed'))
        .finally(() => {
          pending--;
          if (lanes.get(key) === lane) lanes.delete(key);
        });
      lanes.set(key, lane);
    },
    /** Whether this thread has work running or waiting here. */
    has: (threadKey: string): boolean => lanes.has(threadKey),
    /** Messages accepted and not yet finished (running or waiting). */
    get pending(): number {
      return pending;
    },
    get active(): number {
      return active;
    },
    /** Resolves when every accepted message has finished. */
    async drain(): Promise<void> {
      while (lanes.size > 0) await Promise.allSettled([...lanes.values()]);
    },
  };
}
export type Worker = ReturnType<typeof createWorker>;
