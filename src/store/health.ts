import type { DatabaseFault } from '../ports.js';
import type { Db } from './db.js';
import { databaseFault } from './faults.js';

export type DatabaseHealth = { ok: true; status: 'ok' } | { ok: false; status: DatabaseFault | 'error' };

/** /healthz may be polled often; one probe write per this many ms is plenty. */
const CACHE_MS = 3_000;

/**
 * Whether the database can be written right now: a real one-row write that commits (a read, or a transaction
 * that rolls back, succeeds on a full disk). It never waits for another process's lock: a held lock is reported.
 */
export function createHealthProbe(db: Db) {
  const write = db.prepare(
    `INSERT INTO health_probe (id, checked_at) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`,
  );
  let cached: { at: number; health: DatabaseHealth } | undefined;

  function probe(): DatabaseHealth {
    if (!db.open) return { ok: false, status: 'error' };
    const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      write.run(Date.now());
      return { ok: true, status: 'ok' };
    } catch (err) {
      return { ok: false, status: databaseFault(err) ?? 'error' };
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }

  return (): DatabaseHealth => {
    const now = Date.now();
    if (!cached || now - cached.at >= CACHE_MS) cached = { at: now, health: probe() };
    return cached.health;
  };
}
