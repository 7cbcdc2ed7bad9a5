import type { Sql } from './sql.js';

export interface ThreadRow {
  threadKey: string;
  teamId: string;
  channelId: string;
  threadTs: string;
  toolVersion: string;
  containerId: string | null;
  containerCreatedAt: number | null;
  containerExpiresAt: number | null;
  /** History entries up to this seq are left out when the sandbox is restored (before a `reset clean`). */
  replayFromSeq: number;
  firstSeenAt: number;
}

interface RawThread {
  thread_key: string;
  team_id: string;
  channel_id: string;
  thread_ts: string;
  tool_version: string;
  container_id: string | null;
  container_created_at: number | null;
  container_expires_at: number | null;
  replay_from_seq: number;
  first_seen_at: number;
}

const toRow = (r: RawThread): ThreadRow => ({
  threadKey: r.thread_key,
  teamId: r.team_id,
  channelId: r.channel_id,
  threadTs: r.thread_ts,
  toolVersion: r.tool_version,
  containerId: r.container_id,
  containerCreatedAt: r.container_created_at,
  containerExpiresAt: r.container_expires_at,
  replayFromSeq: r.replay_from_seq,
  firstSeenAt: r.first_seen_at,
});

/** Threads the bot takes part in, and the container each one owns. */
export function createThreadStore(sql: Sql) {
  async function get(threadKey: string): Promise<ThreadRow | undefined> {
    const raw = await sql.get<RawThread>('SELECT * FROM threads WHERE thread_key = ?', [threadKey]);
    return raw && toRow(raw);
  }

  return {
    get,
    /** Joins the bot to a thread (idempotent; counts as activity) and returns its row. */
    async ensure(t: {
      threadKey: string;
      teamId: string;
      channelId: string;
      threadTs: string;
      toolVersion: string;
    }): Promise<ThreadRow> {
      await sql.run(
        `INSERT INTO threads (thread_key, team_id, channel_id, thread_ts, tool_version, first_seen_at, updated_at)
         VALUES (@threadKey, @teamId, @channelId, @threadTs, @toolVersion, @now, @now)
         ON CONFLICT (thread_key) DO UPDATE SET updated_at = @now`,
        { ...t, now: Date.now() },
      );
      return (await get(t.threadKey))!;
    },
    async setContainer(
      threadKey: string,
      containerId: string | null,
      expiresAt: number | null,
    ): Promise<void> {
      await sql.run(
        `UPDATE threads SET
           container_created_at = CASE
             WHEN CAST(@containerId AS TEXT) IS NULL THEN NULL
             WHEN container_id IS NOT DISTINCT FROM CAST(@containerId AS TEXT) THEN container_created_at
             ELSE @now END,
           container_id = @containerId, container_expires_at = @expiresAt, updated_at = @now
         WHERE thread_key = @threadKey`,
        { threadKey, containerId, expiresAt, now: Date.now() },
      );
    },
    /** Drops the container, and the history so far from any later restore: the next sandbox starts empty. */
    async startClean(threadKey: string): Promise<void> {
      await sql.run(
        `UPDATE threads SET container_id = NULL, container_created_at = NULL, container_expires_at = NULL,
           replay_from_seq = (SELECT COALESCE(MAX(seq), 0) FROM history WHERE thread_key = @threadKey),
           updated_at = @now
         WHERE thread_key = @threadKey`,
        { threadKey, now: Date.now() },
      );
    },
    /** Threads with no activity since `beforeMs`, oldest first. */
    async idleSince(beforeMs: number): Promise<string[]> {
      const rows = await sql.all<{ thread_key: string }>(
        'SELECT thread_key FROM threads WHERE updated_at < ? ORDER BY updated_at',
        [beforeMs],
      );
      return rows.map((r) => r.thread_key);
    },
    async delete(threadKey: string): Promise<void> {
      await sql.run('DELETE FROM threads WHERE thread_key = ?', [threadKey]);
    },
  };
}
export type ThreadStore = ReturnType<typeof createThreadStore>;
