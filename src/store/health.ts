import type { DatabaseFault } from '../ports.js';
import { databaseFault } from './faults.js';
import type { Sql } from './sql.js';

export type DatabaseHealth = { ok: true; status: 'ok' } | { ok: false; status: DatabaseFault | 'error' };

/** /healthz may be polled often; one probe write per this many ms is plenty. */
const CACHE_MS = 3_000;

/**
 * Whether the database can be written right now: a real one-row write that commits (a read, or a transaction
 * that rolls back, succeeds on a full disk). It never waits for another process's lock: a held lock is reported.
 */
export function createHealthProbe(sql: Sql) {
  let cached: { at: number; health: DatabaseHealth } | undefined;

  async function probe(): Promise<DatabaseHealth> {
    if (!sql.isOpen()) return { ok: false, status: 'error' };
    try {
      await sql.noWait((now) =>
        now.run(
          `INSERT INTO health_probe (id, checked_at) VALUES (1, ?)
           ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`,
          [Date.now()],
        ),
      );
      return { ok: true, status: 'ok' };
    } catch (err) {
      return { ok: false, status: databaseFault(err) ?? 'error' };
    }
  }

  return async (): Promise<DatabaseHealth> => {
    const now = Date.now();
    if (!cached || now - cached.at >= CACHE_MS) cached = { at: now, health: await probe() };
    return cached.health;
  };
}
