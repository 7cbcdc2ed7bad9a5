import type Anthropic from '@anthropic-ai/sdk';
import { createAuditLog } from './audit.js';
import { type DatabaseOptions, type Db, openDatabase } from './db.js';
import { createFeedbackStore } from './feedback.js';
import { createFileStore } from './files.js';
import { createHealthProbe } from './health.js';
import { createHistoryStore } from './history.js';
import { createInbox } from './inbox.js';
import { createLeases } from './leases.js';
import { openPostgres } from './postgres.js';
import { createProfilingMarks } from './profiling.js';
import { createReports } from './reports.js';
import type { Sql } from './sql.js';
import { sqliteSql } from './sqlite.js';
import { createThreadStore } from './threads.js';
import { createUsageStore } from './usage.js';

export { openDatabase } from './db.js';

/**
 * Opens the configured engine and applies pending migrations: PostgreSQL when `url` is set (any number of
 * replicas share it), otherwise SQLite at `path` (one process).
 */
export async function openStore(opts: {
  url?: string | undefined;
  path: string;
  poolSize?: number;
  sqlite?: DatabaseOptions;
}): Promise<Store> {
  if (opts.url) return createStore(await openPostgres(opts.url, { poolSize: opts.poolSize ?? 10 }));
  return createStore(openDatabase(opts.path, opts.sqlite));
}
export { databaseFault, faultReason } from './faults.js';
export type { DatabaseHealth } from './health.js';
export type { Sql } from './sql.js';

/**
 * All repositories over one database; the only place SQL lives. Takes an engine's `Sql` (or an open SQLite
 * handle, wrapped here). `atomically` gives its callback a store whose every write lands in one transaction.
 */
export function createStore(db: Sql | Db) {
  const sql = 'prepare' in db ? sqliteSql(db) : db;
  return {
    ...repositoriesOver(sql),
    /**
     * Runs `fn` in one write transaction with the repositories bound to it: every write made through `tx`
     * lands, or none does. Use only `tx` inside `fn`.
     */
    atomically: <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> =>
      sql.transaction((t) => fn(repositoriesOver(t))),
  };
}

function repositoriesOver(sql: Sql) {
  const threads = createThreadStore(sql);
  const history = createHistoryStore(sql);
  const inbox = createInbox(sql);
  const audit = createAuditLog(sql);
  return {
    /** The engine under the repositories (tests read raw rows through it; the app never does). */
    sql,
    engine: sql.engine,
    isOpen: (): boolean => sql.isOpen(),
    close: (): Promise<void> => sql.close(),
    threads,
    history,
    files: createFileStore(sql),
    inbox,
    /** Which replica works on which thread (see leases.ts). */
    leases: createLeases(sql),
    usage: createUsageStore(sql),
    /** One row per question and per refusal; numbers and ids only. */
    audit,
    /** 👍/👎 on answers. */
    feedback: createFeedbackStore(sql),
    /** Whether the database can be written now (a probe write, cached for a few seconds). */
    health: createHealthProbe(sql),
    profiling: createProfilingMarks(sql),
    /** Read-only usage and failure reports for the App Home. */
    reports: createReports(sql),
    /**
     * Deletes everything stored for a thread, in one transaction: the thread row (history and files cascade) and
     * its finished inbox rows, which hold the messages' text. Usage counts and audit rows stay, for budgets and
     * reports, without the names of the thread's files.
     */
    forget(threadKey: string): Promise<void> {
      const [teamId = '', channelId = '', threadTs = ''] = threadKey.split(':');
      return sql.transaction(async (tx) => {
        await createThreadStore(tx).delete(threadKey);
        await createInbox(tx).removeFinished(threadKey);
        await createAuditLog(tx).dropFileNames({ teamId, channelId, threadTs });
      });
    },
    /** Stores a finished turn and marks its inbox row as saved, atomically. */
    saveTurn(
      source: { channelId: string; messageTs: string },
      threadKey: string,
      turnId: string,
      messages: Anthropic.MessageParam[],
    ): Promise<void> {
      return sql.transaction(async (tx) => {
        await createHistoryStore(tx).appendTurn(threadKey, turnId, messages);
        await createInbox(tx).markSaved(source.channelId, source.messageTs);
      });
    },
  };
}
export type Repositories = ReturnType<typeof repositoriesOver>;
export type Store = ReturnType<typeof createStore>;
