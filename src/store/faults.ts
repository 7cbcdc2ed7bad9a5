import Database from 'better-sqlite3';
import type { DatabaseFault } from '../ports.js';

/** Classifies an error thrown by a database call; undefined when it is not a fault of the disk, file or lock. */
export function databaseFault(err: unknown): DatabaseFault | undefined {
  if (!(err instanceof Database.SqliteError)) return postgresFault(err);
  const { code } = err;
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  // A file system remounted read-only after an error surfaces as an I/O error on the open file.
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_CORRUPT')
    return 'io';
  return undefined;
}

/** PostgreSQL's SQLSTATE classes (driver errors carry `code`), and a server that cannot be reached at all. */
function postgresFault(err: unknown): DatabaseFault | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    const message = err instanceof Error ? err.message : '';
    // The pool's own errors once the server is gone (no code).
    return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
      ? 'unreachable'
      : undefined;
  }
  if (code === '53100') return 'full';
  if (code === '25006') return 'read-only';
  if (code === '55P03' || code === '40P01') return 'locked';
  if (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P03' ||
    /^E(CONNREFUSED|CONNRESET|NOTFOUND|TIMEDOUT|HOSTUNREACH)$/.test(code)
  )
    return 'unreachable';
  if (code.startsWith('58')) return 'io';
  return undefined;
}

const REASONS: Record<DatabaseFault, string> = {
  full: "the bot's database is not writable (disk full)",
  'read-only': "the bot's database is not writable (read-only)",
  locked: "the bot's database is locked by another process",
  io: "the bot's database is not writable (disk or file system error)",
  unreachable: "the bot's database cannot be reached",
};

/** One short line for the thread; the details go to the logs, never to Slack. */
export const faultReason = (fault: DatabaseFault): string => REASONS[fault];
