import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ThreadMessage } from '../../src/domain.js';
import { createIntake, type Intake } from '../../src/intake.js';
import { createLogger } from '../../src/log.js';
import type { TurnOutcome } from '../../src/ports.js';
import { openDatabase } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { createWorker, type Worker } from '../../src/worker.js';
import { recordingReplier } from '../support/recording-replier.js';

const msg: ThreadMessage = {
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1700000000.000100',
  messageTs: '1700000000.000100',
  userId: 'U1',
  text: 'how many rows?',
  files: [],
  addressed: true,
  isDirectMessage: false,
};

let store: Store;
let worker: Worker;
let said: ReturnType<typeof recordingReplier>['said'];

beforeEach(() => {
  store = createStore(openDatabase(':memory:'));
});
afterEach(async () => {
  await worker?.drain();
  await store.close();
});

/** Runs one message through intake with `runTurn`, and returns how its inbox row ended. */
async function run(
  runTurn: (signal: AbortSignal, intake: Intake) => Promise<TurnOutcome>,
  turnTimeoutMs = 5_000,
) {
  const memory = recordingReplier();
  said = memory.said;
  let intake: Intake;
  worker = createWorker({ maxConcurrent: 1, run: (m) => intake.process(m), log: createLogger('silent') });
  intake = createIntake({
    store,
    worker,
    replier: memory.replier,
    log: createLogger('silent'),
    toolVersion: 'code_execution_20260521',
    runTurn: (_m, signal) => runTurn(signal, intake),
    runCommand: async () => ({ status: 'answered' }),
    turnTimeoutMs,
    maxQueued: 10,
    slackResends: true,
  });
  expect(await intake.receive(msg)).toBe(true);
  await worker.drain();
  const [failure] = await store.reports.recentFailures('T1');
  return failure?.lastError ?? (await store.inbox.get('C1', msg.messageTs))?.status;
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );

describe('how a message ends', () => {
  it('an answered turn is done, with nothing more said', async () => {
    expect(await run(async () => ({ status: 'answered' }))).toBe('done');
    expect(said).toEqual([]);
  });

  it('a failed turn keeps its code and is not reported twice (the turn told the thread)', async () => {
    expect(await run(async () => ({ status: 'failed', code: 'overloaded' }))).toBe('overloaded');
    expect(said).toEqual([]);
  });

  it('a crash is reported as something that went wrong, never as stopped', async () => {
    const lastError = await run(async () => {
      throw new TypeError('x is undefined');
    });
    expect(lastError).toBe('TypeError');
    expect(said).toHaveLength(1);
    expect(said[0]?.text).toMatch(/^⚠️ Something went wrong while answering this; the error was logged\./);
    expect(said[0]?.text).not.toContain('Stopped');
  });

  it('a database fault thrown out of the turn says the database is the problem', async () => {
    const lastError = await run(async () => {
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    });
    expect(lastError).toBe('database full');
    expect(said.map((s) => s.text)).toEqual([
      "💾 I couldn't finish this: the bot's database is not writable (disk full). An admin has been told in the " +
        'logs. Reply `retry` in this thread to try again.',
    ]);
  });

  it('the Stop button ends the turn as stopped', async () => {
    const lastError = await run(async (signal, intake) => {
      setTimeout(() => intake.stop('C1|1700000000.000100'), 10);
      return untilAborted(signal);
    });
    expect(lastError).toBe('stopped');
    expect(said.map((s) => s.text)).toEqual([
      "🛑 Stopped. The thread's sandbox is kept, so you can ask again or retry.",
    ]);
  });

  it("the turn's time limit ends it as timed out", async () => {
    const lastError = await run(async (signal) => untilAborted(signal), 1_000);
    expect(lastError).toBe('timeout');
    expect(said.map((s) => s.text)).toEqual([
      '⏱️ This took longer than the 1-second limit, so I stopped it. Reply `retry` in this thread to try again.',
    ]);
  });
});
