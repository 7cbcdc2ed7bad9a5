import Database from 'better-sqlite3';
import type { DatabaseFault } from '../ports.js';

/** Classifies an error thrown by a database call; undefined when it is not a fault of the disk, file or lock. */
export function databaseFault(err: unknown): DatabaseFault | undefined {
  if (!(err instanceof Database.SqliteError)) return undefined;
  const { code } = err;
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  // A file system remounted read-only after an error surfaces as an I/O error on the open file.
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_CORRUPT')
    return 'io';
  return undefined;
}

const REASONS: Record<DatabaseFault, string> = {
  full: "the bot's database is not writable (disk full)",
  'read-only': "the bot's database is not writable (read-only)",
  locked: "the bot's database is locked by another process",
  io: "the bot's database is not writable (disk or file system error)",
};

/** One short line for the thread; the details go to the logs, never to Slack. */
export const faultReason = (fault: DatabaseFault): string => REASONS[fault];
