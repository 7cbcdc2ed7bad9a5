import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface DatabaseOptions {
  /**
   * How long a write waits for another process's write lock. The driver is synchronous, so this wait blocks
   * the event loop and with it every ack: keep it well under Slack's 3 s.
   */
  busyTimeoutMs?: number;
  /** NORMAL (WAL: an OS crash can lose the last commits, never corrupts) or FULL (fsync on every commit). */
  synchronous?: 'NORMAL' | 'FULL';
}

export class DatabaseTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `Database schema version ${found} is newer than this build understands (${known}). ` +
        'Run a newer slack-analyst, or point DATABASE_PATH at another file.',
    );
    this.name = 'DatabaseTooNewError';
  }
}

/** Opens (creating if needed) the SQLite database and applies every pending migration in one transaction. */
export function openDatabase(path: string, opts: DatabaseOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: opts.busyTimeoutMs ?? 1_000 });
  try {
    // Refuse a newer schema before changing anything on disk (even the journal mode).
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new DatabaseTooNewError(version, MIGRATIONS.length);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new DatabaseTooNewError(current, MIGRATIONS.length);
  const pending = MIGRATIONS.slice(current);
  if (pending.length === 0) return;
  db.transaction(() => {
    for (const sql of pending) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
