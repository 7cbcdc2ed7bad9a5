import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { createLogger } from '../../src/log.js';
import { createWorker } from '../../src/worker.js';

const message = (threadTs: string, messageTs: string): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs,
  messageTs,
  userId: 'U1',
  text: `message ${messageTs}`,
  files: [],
  addressed: true,
  isDirectMessage: false,
});

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Waits (in small real steps) until the condition holds; fails the test instead of hanging. */
const until = (condition: () => boolean, what: string) =>
  vi.waitFor(() => expect(condition(), what).toBe(true), { timeout: 2_000, interval: 5 });

/** Records start/end of each run and the peak number running at once. */
function recorder(delayFor: (msg: ThreadMessage) => number = () => 5) {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const run = async (msg: ThreadMessage) => {
    running++;
    peak = Math.max(peak, running);
    events.push(`start ${msg.messageTs}`);
    await sleep(delayFor(msg));
    events.push(`end ${msg.messageTs}`);
    running--;
  };
  return {
    run,
    events,
    get peak() {
      return peak;
    },
  };
}

describe('worker', () => {
  it('runs the messages of one thread one at a time, in arrival order', async () => {
    // The first message is the slowest: arrival order, not duration, decides.
    const delays: Record<string, number> = { m1: 15, m2: 1, m3: 8 };
    const rec = recorder((m) => delays[m.messageTs] ?? 1);
    const worker = createWorker({ maxConcurrent: 4, run: rec.run, log: createLogger('silent') });

    for (const ts of ['m1', 'm2', 'm3']) worker.enqueue(message('thread-a', ts));
    await worker.drain();

    expect(rec.events).toEqual(['start m1', 'end m1', 'start m2', 'end m2', 'start m3', 'end m3']);
    expect(rec.peak).toBe(1);
  });

  it('runs different threads at the same time', async () => {
    const release = gate();
    const started: string[] = [];
    const worker = createWorker({
      maxConcurrent: 4,
      log: createLogger('silent'),
      run: async (msg) => {
        started.push(msg.threadTs);
        await release.opened;
      },
    });

    worker.enqueue(message('thread-a', 'a1'));
    worker.enqueue(message('thread-b', 'b1'));
    await until(() => started.length === 2, 'both threads started');

    expect(started.sort()).toEqual(['thread-a', 'thread-b']);
    expect(worker.active).toBe(2);
    release.open();
    await worker.drain();
  });

  it('never runs more than maxConcurrent messages at once, and runs them all', async () => {
    const rec = recorder((m) => 2 + (Number(m.messageTs.slice(1)) % 4) * 3);
    const worker = createWorker({ maxConcurrent: 3, run: rec.run, log: createLogger('silent') });
    let sampledMax = 0;

    for (let t = 0; t < 8; t++) {
      for (let m = 0; m < 3; m++) worker.enqueue(message(`thread-${t}`, `m${t * 3 + m}`));
    }
    expect(worker.pending).toBe(24);
    const sampler = setInterval(() => {
      sampledMax = Math.max(sampledMax, worker.active);
    }, 1);
    await worker.drain();
    clearInterval(sampler);

    expect(rec.peak).toBe(3);
    expect(sampledMax).toBeLessThanOrEqual(3);
    expect(rec.events.filter((e) => e.startsWith('end'))).toHaveLength(24);
  });

  it('a waiting thread gets the freed slot, and the limit holds while threads hand over', async () => {
    const rec = recorder(() => 3);
    const worker = createWorker({ maxConcurrent: 1, run: rec.run, log: createLogger('silent') });

    worker.enqueue(message('thread-a', 'a1'));
    worker.enqueue(message('thread-b', 'b1'));
    worker.enqueue(message('thread-a', 'a2'));
    worker.enqueue(message('thread-b', 'b2'));
    await worker.drain();

    expect(rec.peak).toBe(1);
    expect(rec.events.filter((e) => e.startsWith('start'))).toHaveLength(4);
    expect(rec.events.indexOf('end a1')).toBeLessThan(rec.events.indexOf('start a2'));
    expect(rec.events.indexOf('end b1')).toBeLessThan(rec.events.indexOf('start b2'));
  });

  it('the limit holds when a new thread arrives just as a freed slot is handed to a waiting thread', async () => {
    // The newcomer is enqueued at each microtask offset after the running turn finishes, so one of them
    // lands between the slot being freed and the waiting thread resuming.
    for (let hops = 0; hops < 10; hops++) {
      const finishA = gate();
      let running = 0;
      let peak = 0;
      const worker = createWorker({
        maxConcurrent: 1,
        log: createLogger('silent'),
        run: async (msg) => {
          running++;
          peak = Math.max(peak, running);
          await (msg.threadTs === 'thread-a' ? finishA.opened : sleep(5));
          running--;
        },
      });

      worker.enqueue(message('thread-a', 'a1'));
      worker.enqueue(message('thread-b', 'b1'));
      await until(() => running === 1, 'a1 runs');
      finishA.open();
      for (let i = 0; i < hops; i++) await null;
      worker.enqueue(message('thread-c', 'c1'));
      await worker.drain();

      expect({ hops, peak }).toEqual({ hops, peak: 1 });
    }
  });

  it('logs a crash with its thread and goes on with the next message of that thread', async () => {
    const log = createLogger('silent');
    const errors = vi.spyOn(log, 'error');
    const ran: string[] = [];
    const worker = createWorker({
      maxConcurrent: 2,
      log,
      run: async (msg) => {
        await sleep(1);
        if (msg.messageTs === 'boom') throw new Error('turn exploded');
        ran.push(msg.messageTs);
      },
    });

    const crashing = message('thread-a', 'boom');
    worker.enqueue(crashing);
    worker.enqueue(message('thread-a', 'after'));
    await worker.drain();

    expect(ran).toEqual(['after']);
    expect(errors).toHaveBeenCalledTimes(1);
    const [fields] = errors.mock.calls[0] as unknown as [{ err: Error; threadKey: string }];
    expect(fields.err.message).toBe('turn exploded');
    expect(fields.threadKey).toBe(threadKeyOf(crashing));
    expect(worker.pending).toBe(0);
  });

  it('a crash gives its slot back: other threads still run with a limit of one', async () => {
    const ran: string[] = [];
    const worker = createWorker({
      maxConcurrent: 1,
      log: createLogger('silent'),
      run: async (msg) => {
        if (msg.threadTs === 'thread-a') throw new Error('crash');
        ran.push(msg.messageTs);
      },
    });

    worker.enqueue(message('thread-a', 'a1'));
    worker.enqueue(message('thread-b', 'b1'));
    worker.enqueue(message('thread-c', 'c1'));
    await worker.drain();

    expect(ran.sort()).toEqual(['b1', 'c1']);
    expect(worker.active).toBe(0);
  });

  it('drain() resolves only after every accepted message has finished', async () => {
    const finished: string[] = [];
    const worker = createWorker({
      maxConcurrent: 2,
      log: createLogger('silent'),
      run: async (msg) => {
        await sleep(msg.threadTs === 'thread-a' ? 15 : 5);
        finished.push(msg.messageTs);
      },
    });

    worker.enqueue(message('thread-a', 'a1'));
    worker.enqueue(message('thread-a', 'a2'));
    worker.enqueue(message('thread-b', 'b1'));
    worker.enqueue(message('thread-c', 'c1'));
    expect(worker.pending).toBe(4);

    await worker.drain();

    expect(finished.sort()).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect(worker.pending).toBe(0);
    expect(worker.active).toBe(0);
  });

  it('drain() also waits for messages accepted while it was draining', async () => {
    const finished: string[] = [];
    const worker = createWorker({
      maxConcurrent: 2,
      log: createLogger('silent'),
      run: async (msg) => {
        await sleep(5);
        finished.push(msg.messageTs);
        if (msg.messageTs === 'a1') worker.enqueue(message('thread-b', 'b1'));
      },
    });

    worker.enqueue(message('thread-a', 'a1'));
    await worker.drain();

    expect(finished).toEqual(['a1', 'b1']);
    expect(worker.pending).toBe(0);
  });

  it('drain() on an idle worker resolves at once', async () => {
    const worker = createWorker({ maxConcurrent: 1, log: createLogger('silent'), run: async () => {} });
    await expect(worker.drain()).resolves.toBeUndefined();
  });

  it('keeps threads with the same ts in different channels apart', async () => {
    const release = gate();
    let running = 0;
    const worker = createWorker({
      maxConcurrent: 4,
      log: createLogger('silent'),
      run: async () => {
        running++;
        await release.opened;
      },
    });

    worker.enqueue(message('1700000000.000100', 'x'));
    worker.enqueue({ ...message('1700000000.000100', 'y'), channelId: 'C2' });
    await until(() => running === 2, 'both channels run');
    release.open();
    await worker.drain();
  });
});
