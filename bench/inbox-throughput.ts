/**
 * Benchmark 3: inbox writes on a file vs in memory, and with SQLITE_SYNCHRONOUS=FULL vs the default NORMAL.
 *
 * `inbox.accept()` — the write each acknowledged event waits for — into a file-backed database opened exactly as
 * the bot opens it (`openDatabase`: WAL, synchronous=NORMAL, migrations), into a second one opened with
 * synchronous=FULL (an fsync per commit), and into the same schema in `:memory:`.
 * Rounds rotate which database goes first; each round accepts `perRound` distinct, pre-built messages one by
 * one (one autocommit transaction each, as in the bot), `fullPerRound` on the FULL database (each costs an fsync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ThreadMessage } from '../src/domain.js';
import { openDatabase } from '../src/store/db.js';
import { createInbox } from '../src/store/inbox.js';
import { sqliteSql } from '../src/store/sqlite.js';
import { median } from './stats.js';

export interface InboxThroughputOptions {
  warmup: number;
  rounds: number;
  perRound: number;
  fullPerRound: number;
}

export interface InboxThroughputResult {
  perRound: number;
  rounds: number;
  /** Median over rounds of the mean time of one accept(), in microseconds. */
  fileUs: number;
  /** The same on a file database with synchronous=FULL. */
  fullUs: number;
  fullPerRound: number;
  memoryUs: number;
  /** journal_mode and synchronous of the file database, as the bot sets them. */
  journalMode: string;
  synchronous: number;
  /** Where the file database lived (the OS temp directory). */
  directory: string;
}

export async function runInboxThroughput(opts: InboxThroughputOptions): Promise<InboxThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-bench-inbox-'));
  const fileDb = openDatabase(join(dir, 'inbox.db'));
  const fullDb = openDatabase(join(dir, 'inbox-full.db'), { synchronous: 'FULL' });
  const memoryDb = openDatabase(':memory:');
  try {
    const sides = {
      file: createInbox(sqliteSql(fileDb)),
      full: createInbox(sqliteSql(fullDb)),
      memory: createInbox(sqliteSql(memoryDb)),
    };
    let counter = 0;
    const batch = (n: number): ThreadMessage[] =>
      Array.from({ length: n }, () => {
        counter += 1;
        const ts = `${1_795_900_000 + counter}.${String(counter % 1_000_000).padStart(6, '0')}`;
        return {
          teamId: 'T07QWERT1AB',
          channelId: 'C07DATATEAM',
          threadTs: ts,
          messageTs: ts,
          userId: 'U04ANALYST7',
          text: `which region grew fastest in Q${(counter % 4) + 1}? (question ${counter})`,
          files: [],
          addressed: true,
          isDirectMessage: false,
          eventId: `Ev0INBOX${String(counter).padStart(7, '0')}`,
        };
      });
    const acceptAll = async (side: keyof typeof sides, messages: ThreadMessage[]): Promise<number> => {
      const inbox = sides[side];
      const started = performance.now();
      for (const m of messages) {
        if (!(await inbox.accept(m)))
          throw new Error(`message ${m.messageTs} was not accepted by the ${side} inbox`);
      }
      return ((performance.now() - started) * 1000) / messages.length;
    };

    await acceptAll('file', batch(opts.warmup));
    await acceptAll('full', batch(opts.fullPerRound));
    await acceptAll('memory', batch(opts.warmup));
    const us = { file: [] as number[], full: [] as number[], memory: [] as number[] };
    const order = ['file', 'full', 'memory'] as const;
    for (let r = 0; r < opts.rounds; r++) {
      for (let i = 0; i < order.length; i++) {
        const side = order[(r + i) % order.length]!;
        us[side].push(await acceptAll(side, batch(side === 'full' ? opts.fullPerRound : opts.perRound)));
      }
    }
    return {
      perRound: opts.perRound,
      rounds: opts.rounds,
      fileUs: median(us.file),
      fullUs: median(us.full),
      fullPerRound: opts.fullPerRound,
      memoryUs: median(us.memory),
      journalMode: String(fileDb.pragma('journal_mode', { simple: true })),
      synchronous: Number(fileDb.pragma('synchronous', { simple: true })),
      directory: tmpdir(),
    };
  } finally {
    fileDb.close();
    fullDb.close();
    memoryDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
