import type { Db } from './db.js';

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
export function createThreadStore(db: Db) {
  const get = db.prepare<[string], RawThread>('SELECT * FROM threads WHERE thread_key = ?');
  const insert = db.prepare(
    `INSERT INTO threads (thread_key, team_id, channel_id, thread_ts, tool_version, first_seen_at, updated_at)
     VALUES (@threadKey, @teamId, @channelId, @threadTs, @toolVersion, @now, @now)
     ON CONFLICT (thread_key) DO UPDATE SET updated_at = @now`,
  );
  const setContainer = db.prepare(
    `UPDATE threads SET
       container_created_at = CASE
         WHEN @containerId IS NULL THEN NULL
         WHEN container_id IS @containerId THEN container_created_at
         ELSE @now END,
       container_id = @containerId, container_expires_at = @expiresAt, updated_at = @now
     WHERE thread_key = @threadKey`,
  );
  const startClean = db.prepare(
    `UPDATE threads SET container_id = NULL, container_created_at = NULL, container_expires_at = NULL,
       replay_from_seq = (SELECT COALESCE(MAX(seq), 0) FROM history WHERE thread_key = @threadKey), updated_at = @now
     WHERE thread_key = @threadKey`,
  );
  const remove = db.prepare('DELETE FROM threads WHERE thread_key = ?');
  const idleSince = db.prepare<[number], { thread_key: string }>(
    'SELECT thread_key FROM threads WHERE updated_at < ? ORDER BY updated_at',
  );

  return {
    get(threadKey: string): ThreadRow | undefined {
      const raw = get.get(threadKey);
      return raw && toRow(raw);
    },
    /** Joins the bot to a thread (idempotent; counts as activity) and returns its row. */
    ensure(t: {
      threadKey: string;
      teamId: string;
      channelId: string;
      threadTs: string;
      toolVersion: string;
    }): ThreadRow {
      insert.run({ ...t, now: Date.now() });
      return toRow(get.get(t.threadKey)!);
    },
    setContainer(threadKey: string, containerId: string | null, expiresAt: number | null): void {
      setContainer.run({ threadKey, containerId, expiresAt, now: Date.now() });
    },
    /** Drops the container, and the history so far from any later restore: the next sandbox starts empty. */
    startClean(threadKey: string): void {
      startClean.run({ threadKey, now: Date.now() });
    },
    /** Threads with no activity since `beforeMs`, oldest first. */
    idleSince(beforeMs: number): string[] {
      return idleSince.all(beforeMs).map((r) => r.thread_key);
    },
    delete(threadKey: string): void {
      remove.run(threadKey);
    },
  };
}
export type ThreadStore = ReturnType<typeof createThreadStore>;
