/**
 * Benchmark 3: inbox writes on a file vs in memory.
 *
 * `inbox.accept()` — the write each acknowledged event waits for — into a file-backed database opened exactly as
 * the bot opens it (`openDatabase`: WAL, synchronous=NORMAL, migrations) vs the same schema in `:memory:`.
 * Rounds alternate which database goes first; each round accepts `perRound` distinct, pre-built messages one by
 * one (one autocommit transaction each, as in the bot).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ThreadMessage } from '../src/domain.js';
import { openDatabase } from '../src/store/db.js';
import { createInbox } from '../src/store/inbox.js';
import { median } from './stats.js';

export interface InboxThroughputOptions {
  warmup: number;
  rounds: number;
  perRound: number;
}

export interface InboxThroughputResult {
  perRound: number;
  rounds: number;
  /** Median over rounds of the mean time of one accept(), in microseconds. */
  fileUs: number;
  memoryUs: number;
  /** journal_mode and synchronous of the file database, as the bot sets them. */
  journalMode: string;
  synchronous: number;
  /** Where the file database lived (the OS temp directory). */
  directory: string;
}

export function runInboxThroughput(opts: InboxThroughputOptions): InboxThroughputResult {
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-bench-inbox-'));
  const fileDb = openDatabase(join(dir, 'inbox.db'));
  const memoryDb = openDatabase(':memory:');
  try {
    const sides = { file: createInbox(fileDb), memory: createInbox(memoryDb) };
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
    const acceptAll = (side: keyof typeof sides, messages: ThreadMessage[]): number => {
      const inbox = sides[side];
      const started = performance.now();
      for (const m of messages) {
        if (!inbox.accept(m)) throw new Error(`message ${m.messageTs} was not accepted by the ${side} inbox`);
      }
      return ((performance.now() - started) * 1000) / messages.length;
    };

    acceptAll('file', batch(opts.warmup));
    acceptAll('memory', batch(opts.warmup));
    const us = { file: [] as number[], memory: [] as number[] };
    for (let r = 0; r < opts.rounds; r++) {
      for (const side of r % 2 === 0 ? (['file', 'memory'] as const) : (['memory', 'file'] as const)) {
        us[side].push(acceptAll(side, batch(opts.perRound)));
      }
    }
    return {
      perRound: opts.perRound,
      rounds: opts.rounds,
      fileUs: median(us.file),
      memoryUs: median(us.memory),
      journalMode: String(fileDb.pragma('journal_mode', { simple: true })),
      synchronous: Number(fileDb.pragma('synchronous', { simple: true })),
      directory: tmpdir(),
    };
  } finally {
    fileDb.close();
    memoryDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
