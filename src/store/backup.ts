import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Writes a consistent copy of the database with SQLite's online backup, safe while the bot runs and
 * writes (a plain `cp` of a WAL-mode file can miss or tear the latest transactions).
 */
export async function backupDatabase(source: string, destination: string) {
  if (!existsSync(source)) throw new Error(`no database at ${source} (check DATABASE_PATH)`);
  if (existsSync(destination)) throw new Error(`${destination} already exists; not overwriting it`);
  mkdirSync(dirname(destination), { recursive: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  // One self-contained file (the copy inherits WAL mode, which would leave -wal/-shm files beside it),
  // proven sound before it is called a backup. The bot switches it back to WAL when it opens it.
  const copy = new Database(destination);
  try {
    copy.pragma('journal_mode = DELETE');
    const integrity = copy.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`the copy failed its integrity check: ${String(integrity)}`);
    return {
      path: destination,
      bytes: statSync(destination).size,
      schemaVersion: copy.pragma('user_version', { simple: true }) as number,
    };
  } finally {
    copy.close();
  }
}
