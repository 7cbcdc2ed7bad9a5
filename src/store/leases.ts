import type { Sql } from './sql.js';

/**
 * Who works on a thread: one replica at a time holds a thread's lease, renews it while it works, and releases it
 * when the thread has nothing queued. A replica that dies stops renewing, so its lease expires and another
 * replica takes the thread over. Times in ms.
 */
export function createLeases(sql: Sql) {
  return {
    /** Takes (or extends) the lease for `owner`; false while another owner's lease is live. */
    async acquire(threadKey: string, owner: string, ttlMs: number): Promise<boolean> {
      const now = Date.now();
      const changes = await sql.run(
        `INSERT INTO thread_leases (thread_key, owner, expires_at) VALUES (@threadKey, @owner, @expiresAt)
         ON CONFLICT (thread_key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE thread_leases.owner = excluded.owner OR thread_leases.expires_at < @now`,
        { threadKey, owner, expiresAt: now + ttlMs, now },
      );
      return changes === 1;
    },
    /** Extends a lease this owner holds; false when it lost it (it expired and another replica took it). */
    async renew(threadKey: string, owner: string, ttlMs: number): Promise<boolean> {
      const changes = await sql.run(
        'UPDATE thread_leases SET expires_at = ? WHERE thread_key = ? AND owner = ?',
        [Date.now() + ttlMs, threadKey, owner],
      );
      return changes === 1;
    },
    async release(threadKey: string, owner: string): Promise<void> {
      await sql.run('DELETE FROM thread_leases WHERE thread_key = ? AND owner = ?', [threadKey, owner]);
    },
    /** Drops every lease: only for SQLite, where the starting process is the only one using the database. */
    async releaseAll(): Promise<void> {
      await sql.run('DELETE FROM thread_leases');
    },
  };
}
export type Leases = ReturnType<typeof createLeases>;
