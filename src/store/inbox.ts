import type { ThreadMessage } from '../domain.js';
import { threadKeyOf } from '../domain.js';
import type { Sql } from './sql.js';

export type InboxStatus = 'queued' | 'running' | 'done' | 'failed';

export interface InboxItem {
  channelId: string;
  messageTs: string;
  message: ThreadMessage;
  status: InboxStatus;
  attempts: number;
  /** The turn's result was stored (history written) before the process stopped. */
  saved: boolean;
}

interface RawItem {
  channel_id: string;
  message_ts: string;
  message_json: string;
  status: InboxStatus;
  attempts: number;
  saved_at: number | null;
}

const toItem = (r: RawItem): InboxItem => ({
  channelId: r.channel_id,
  messageTs: r.message_ts,
  message: JSON.parse(r.message_json) as ThreadMessage,
  status: r.status,
  attempts: r.attempts,
  saved: r.saved_at !== null,
});

const ITEM = 'channel_id, message_ts, message_json, status, attempts, saved_at';

/**
 * Durable inbox keyed by (channel, message ts): Slack retries and the app_mention/message
 * double delivery of one message collapse into one row. Rows are written before work starts.
 */
export function createInbox(sql: Sql) {
  const update = (channelId: string, messageTs: string, status: InboxStatus, error: string | null = null) =>
    sql.run(
      `UPDATE inbox SET status = @status, last_error = @error, updated_at = @now,
         attempts = attempts + CASE WHEN @status = 'running' THEN 1 ELSE 0 END
       WHERE channel_id = @channelId AND message_ts = @messageTs`,
      { channelId, messageTs, status, error, now: Date.now() },
    );

  async function get(channelId: string, messageTs: string): Promise<InboxItem | undefined> {
    const raw = await sql.get<RawItem>(`SELECT ${ITEM} FROM inbox WHERE channel_id = ? AND message_ts = ?`, [
      channelId,
      messageTs,
    ]);
    return raw && toItem(raw);
  }

  return {
    /** Records a message; false when the same (channel, ts) was already accepted. */
    async accept(message: ThreadMessage): Promise<boolean> {
      const changes = await sql.run(
        `INSERT INTO inbox (channel_id, message_ts, thread_key, message_json, event_id, status, received_at, updated_at)
         VALUES (@channelId, @messageTs, @threadKey, @json, @eventId, 'queued', @now, @now)
         ON CONFLICT (channel_id, message_ts) DO NOTHING`,
        {
          channelId: message.channelId,
          messageTs: message.messageTs,
          threadKey: threadKeyOf(message),
          json: JSON.stringify(message),
          eventId: message.eventId ?? null,
          now: Date.now(),
        },
      );
      return changes === 1;
    },
    markQueued: (channelId: string, messageTs: string) => update(channelId, messageTs, 'queued'),
    markRunning: (channelId: string, messageTs: string) => update(channelId, messageTs, 'running'),
    markDone: (channelId: string, messageTs: string) => update(channelId, messageTs, 'done'),
    markFailed: (channelId: string, messageTs: string, error: string) =>
      update(channelId, messageTs, 'failed', error),
    /** Part of the same transaction that stores the turn's history. */
    async markSaved(channelId: string, messageTs: string): Promise<void> {
      await sql.run('UPDATE inbox SET saved_at = ? WHERE channel_id = ? AND message_ts = ?', [
        Date.now(),
        channelId,
        messageTs,
      ]);
    },
    /** Work that was queued or running when the process stopped, oldest first. */
    async open(): Promise<InboxItem[]> {
      const rows = await sql.all<RawItem>(
        `SELECT ${ITEM} FROM inbox WHERE status IN ('queued', 'running') ORDER BY received_at, message_ts`,
      );
      return rows.map(toItem);
    },
    /** The progress message posted for this message, if any. */
    async progressTs(channelId: string, messageTs: string): Promise<string | undefined> {
      const row = await sql.get<{ progress_ts: string | null }>(
        'SELECT progress_ts FROM inbox WHERE channel_id = ? AND message_ts = ?',
        [channelId, messageTs],
      );
      return row?.progress_ts ?? undefined;
    },
    async setProgressTs(channelId: string, messageTs: string, ts: string): Promise<void> {
      await sql.run('UPDATE inbox SET progress_ts = ? WHERE channel_id = ? AND message_ts = ?', [
        ts,
        channelId,
        messageTs,
      ]);
    },
    /** Queues a done or failed message again; undefined when it is unknown, queued or running. */
    async requeue(channelId: string, messageTs: string): Promise<InboxItem | undefined> {
      // Only a finished message goes back to the queue, so a double click runs it once.
      const raw = await sql.get<RawItem>(
        `UPDATE inbox SET status = 'queued', saved_at = NULL, last_error = NULL, updated_at = ?
         WHERE channel_id = ? AND message_ts = ? AND status IN ('done', 'failed')
         RETURNING ${ITEM}`,
        [Date.now(), channelId, messageTs],
      );
      return raw && toItem(raw);
    },
    get,
    /** The thread's most recent failed message, for `retry`. */
    async lastFailed(threadKey: string): Promise<InboxItem | undefined> {
      const raw = await sql.get<RawItem>(
        `SELECT ${ITEM} FROM inbox WHERE thread_key = ? AND status = 'failed'
         ORDER BY received_at DESC, message_ts DESC LIMIT 1`,
        [threadKey],
      );
      return raw && toItem(raw);
    },
    /** The thread's messages being answered now (normally one), for Slack's own stop control on the thread. */
    async runningIn(threadKey: string): Promise<{ channelId: string; messageTs: string }[]> {
      const rows = await sql.all<{ channel_id: string; message_ts: string }>(
        `SELECT channel_id, message_ts FROM inbox WHERE thread_key = ? AND status = 'running'`,
        [threadKey],
      );
      return rows.map((r) => ({ channelId: r.channel_id, messageTs: r.message_ts }));
    },
    async openCount(): Promise<number> {
      const row = await sql.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM inbox WHERE status IN ('queued', 'running')`,
      );
      return row?.n ?? 0;
    },
    /**
     * Marks the thread's oldest queued message running and returns it; undefined when none is queued. Called by
     * the lease holder only, so a thread's messages run one at a time, in the order Slack stamped them.
     */
    async claimOldest(threadKey: string): Promise<InboxItem | undefined> {
      const raw = await sql.get<RawItem>(
        `UPDATE inbox SET status = 'running', attempts = attempts + 1, stop_requested_at = NULL, updated_at = @now
         WHERE (channel_id, message_ts) = (
           SELECT channel_id, message_ts FROM inbox WHERE thread_key = @threadKey AND status = 'queued'
           ORDER BY message_ts LIMIT 1)
         AND status = 'queued'
         RETURNING ${ITEM}`,
        { threadKey, now: Date.now() },
      );
      return raw && toItem(raw);
    },
    /**
     * Open messages of threads no live lease holds, oldest first: queued ones nobody has taken yet, and running
     * ones whose replica died (or, on SQLite, that the previous run of the bot left).
     */
    async unleased(): Promise<InboxItem[]> {
      const rows = await sql.all<RawItem>(
        `SELECT ${ITEM} FROM inbox i WHERE status IN ('queued', 'running')
           AND NOT EXISTS (SELECT 1 FROM thread_leases l WHERE l.thread_key = i.thread_key AND l.expires_at >= ?)
         ORDER BY received_at, message_ts`,
        [Date.now()],
      );
      return rows.map(toItem);
    },
    /** Asks whichever replica runs this message to stop it; false when it is not running. */
    async requestStop(channelId: string, messageTs: string): Promise<boolean> {
      const changes = await sql.run(
        `UPDATE inbox SET stop_requested_at = ? WHERE channel_id = ? AND message_ts = ? AND status = 'running'`,
        [Date.now(), channelId, messageTs],
      );
      return changes === 1;
    },
    async stopRequested(channelId: string, messageTs: string): Promise<boolean> {
      const row = await sql.get<{ stop_requested_at: number | null }>(
        'SELECT stop_requested_at FROM inbox WHERE channel_id = ? AND message_ts = ?',
        [channelId, messageTs],
      );
      return row?.stop_requested_at != null;
    },
    /** Deletes the thread's finished messages (they hold what people wrote); returns how many went. */
    removeFinished: (threadKey: string): Promise<number> =>
      // Finished rows only: a queued or running one (the `forget` itself) is still to be settled.
      sql.run(`DELETE FROM inbox WHERE thread_key = ? AND status IN ('done', 'failed')`, [threadKey]),
    /** Who asked this message, for Stop and Retry permission checks; undefined when it is not in the inbox. */
    async asker(channelId: string, messageTs: string): Promise<string | undefined> {
      const item = await get(channelId, messageTs);
      return item?.message.userId;
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;
