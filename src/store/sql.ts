import type Database from 'better-sqlite3';

/** Positional (`?`) or named (`@name`) parameters, as better-sqlite3 takes them. */
export type Params = readonly unknown[] | Record<string, unknown>;

/**
 * The one seam between the repositories and a database engine. Repositories write their SQL once, in the
 * subset both SQLite and PostgreSQL understand; each engine's adapter (sqlite.ts, postgres.ts) runs it.
 */
export interface Sql {
  readonly engine: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /**
   * Runs `fn` in one write transaction on its own connection: every write through `tx` lands, or none does.
   * Inside `fn`, use only `tx` (the outer handle waits for the transaction to end). Nested calls join it.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Runs `fn` without waiting for another writer's lock: a held lock fails at once (the health probe). */
  noWait<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  isOpen(): boolean;
  close(): Promise<void>;
  /** The SQLite handle, for SQLite-only operations (backup, fault tests); undefined on PostgreSQL. */
  readonly sqlite?: Database.Database;
}
