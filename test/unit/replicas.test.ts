import { afterEach, describe, expect, it } from 'vitest';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { createIntake, type Intake } from '../../src/intake.js';
import { createLogger } from '../../src/log.js';
import type { TurnOutcome } from '../../src/ports.js';
import { createStore, type Store } from '../../src/store/index.js';
import { openPostgres } from '../../src/store/postgres.js';
import { createWorker, type Worker } from '../../src/worker.js';
import { ENGINES, openTestStore, testPostgres } from '../support/engines.js';
import { recordingReplier } from '../support/recording-replier.js';

const message = (threadTs: string, messageTs: string): ThreadMessage => ({
  teamId: 'T1',
  channelId: 'C1',
  threadTs,
  messageTs,
  userId: 'U1',
  text: `question ${messageTs}`,
  files: [],
  addressed: true,
  isDirectMessage: false,
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

/** One bot replica: its own store connection, worker and intake; `runTurn` says what a turn does. */
function replica(
  name: string,
  store: Store,
  runTurn: (m: ThreadMessage, signal: AbortSignal, replica: string) => Promise<TurnOutcome>,
  leaseMs = 10_000,
) {
  let intake: Intake;
  const worker: Worker = createWorker({
    maxConcurrent: 8,
    run: (m) => intake.process(m),
    log: createLogger('silent'),
  });
  intake = createIntake({
    store,
    worker,
    replier: recordingReplier().replier,
    log: createLogger('silent'),
    toolVersion: 'code_execution_20260521',
    runTurn: (m, signal) => runTurn(m, signal, name),
    runCommand: async () => ({ status: 'answered' }),
    turnTimeoutMs: 10_000,
    maxQueued: 100,
    slackResends: true,
    leaseMs,
  });
  return { name, store, worker, intake };
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe.each(ENGINES)('thread leases (%s)', (engine) => {
  it('one owner at a time; an expired lease is taken over and its old owner cannot renew it', async () => {
    const store = await openTestStore(engine);
    stores.push(store);
    const key = 'T1:C1:1.1';
    expect(await store.leases.acquire(key, 'a', 10_000)).toBe(true);
    expect(await store.leases.acquire(key, 'b', 10_000)).toBe(false);
    expect(await store.leases.acquire(key, 'a', 10_000)).toBe(true); // its owner extends it
    expect(await store.leases.acquire(key, 'c', -1)).toBe(false);
    await store.leases.release(key, 'a');
    expect(await store.leases.acquire(key, 'b', -1)).toBe(true); // taken, and already expired
    expect(await store.leases.acquire(key, 'c', 10_000)).toBe(true);
    expect(await store.leases.renew(key, 'b', 10_000)).toBe(false);
  });
});

/** Two or three replicas on one PostgreSQL database, as separate processes would be (each its own pool). */
async function replicasOnPostgres(
  count: number,
  runTurn: (m: ThreadMessage, signal: AbortSignal, replica: string) => Promise<TurnOutcome>,
  leaseMs?: number,
) {
  const url = await (await testPostgres()).newDatabase();
  const out = [];
  for (let i = 0; i < count; i++) {
    const store = createStore(await openPostgres(url, { poolSize: 4 }));
    stores.push(store);
    out.push(replica(`r${i}`, store, runTurn, leaseMs));
  }
  return out;
}

describe('replicas sharing PostgreSQL', () => {
  it("answers every message exactly once, one thread's messages in order and never two at once", async () => {
    const ran: { ts: string; replica: string }[] = [];
    const busy = new Set<string>();
    let overlap = false;
    const replicas = await replicasOnPostgres(3, async (m, _signal, name) => {
      const key = threadKeyOf(m);
      if (busy.has(key)) overlap = true;
      busy.add(key);
      await pause(20);
      ran.push({ ts: m.messageTs, replica: name });
      busy.delete(key);
      return { status: 'answered' };
    });
    // Three threads, four messages each, every delivery sent to one replica and retried at another at once. The
    // threads arrive side by side; within a thread each message arrives after the one before it (the order the rule
    // promises: arrival order).
    const threads = ['100', '200', '300'].map((t) => [1, 2, 3, 4].map((n) => message(`${t}.0`, `${t}.${n}`)));
    const messages = threads.flat();
    const accepted = (
      await Promise.all(
        threads.map(async (thread, t) => {
          const taken: boolean[] = [];
          for (const [n, m] of thread.entries()) {
            const first = replicas[(t + n) % 3]!;
            const retry = replicas[(t + n + 1) % 3]!;
            taken.push(...(await Promise.all([first.intake.receive(m), retry.intake.receive(m)])));
          }
          return taken;
        }),
      )
    ).flat();
    expect(accepted.filter(Boolean)).toHaveLength(messages.length);
    for (let i = 0; i < 50 && ran.length < messages.length; i++) {
      await Promise.all(replicas.map((r) => r.worker.drain()));
      await Promise.all(replicas.map((r) => r.intake.resume())); // the sweep each replica runs
      await pause(50);
    }
    await Promise.all(replicas.map((r) => r.worker.drain()));

    expect(ran.map((r) => r.ts).sort()).toEqual(messages.map((m) => m.messageTs).sort());
    for (const t of ['100', '200', '300']) {
      const order = ran.filter((r) => r.ts.startsWith(`${t}.`)).map((r) => r.ts);
      expect(order).toEqual([1, 2, 3, 4].map((n) => `${t}.${n}`));
    }
    expect(overlap).toBe(false);
  });

  it("a dead replica's turn is run again by another once its lease expires", async () => {
    const ran: string[] = [];
    const [a, b] = await replicasOnPostgres(
      2,
      async (_m, _signal, name) => {
        ran.push(name);
        return { status: 'answered' };
      },
      300,
    );
    const m = message('500.0', '500.1');
    // Replica "dead" took the thread and started the turn, then vanished (kill -9): lease and running row stay.
    await a!.store.inbox.accept(m);
    expect(await a!.store.leases.acquire(threadKeyOf(m), 'dead', 300)).toBe(true);
    expect((await a!.store.inbox.claimOldest(threadKeyOf(m)))?.messageTs).toBe('500.1');

    expect(await b!.intake.resume()).toBe(0); // the lease is still live: nobody touches it
    await pause(350);
    expect(await b!.intake.resume()).toBe(1);
    await b!.worker.drain();
    expect(ran).toEqual(['r1']);
    expect((await b!.store.inbox.get('C1', '500.1'))?.status).toBe('done');
    expect((await b!.store.inbox.get('C1', '500.1'))?.attempts).toBe(2);
  });

  it('Stop clicked on another replica stops the turn where it runs', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const [a, b] = await replicasOnPostgres(2, async (_m, signal) => {
      started();
      return untilAborted(signal);
    });
    const m = message('600.0', '600.1');
    await a!.intake.receive(m);
    await running;
    expect(await b!.intake.stop('C1|600.1')).toBe(true);
    await a!.worker.drain();
    const row = await a!.store.inbox.get('C1', '600.1');
    expect(row?.status).toBe('failed');
    expect(await b!.intake.stop('C1|600.1')).toBe(false); // no longer running anywhere
  });
});
