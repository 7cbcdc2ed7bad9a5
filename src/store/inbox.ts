import type { ThreadMessage } from '../domain.js';
import { threadKeyOf } from '../domain.js';
import type { Db } from './db.js';

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

/**
 * Durable inbox keyed by (channel, message ts): Slack retries and the app_mention/message
 * double delivery of one message collapse into one row. Rows are written before work starts.
 */
export function createInbox(db: Db) {
  const insert = db.prepare(
    `INSERT INTO inbox (channel_id, message_ts, thread_key, message_json, event_id, status, received_at, updated_at)
     VALUES (@channelId, @messageTs, @threadKey, @json, @eventId, 'queued', @now, @now)
     ON CONFLICT (channel_id, message_ts) DO NOTHING`,
  );
  const setStatus = db.prepare(
    `UPDATE inbox SET status = @status, last_error = @error, updated_at = @now,
       attempts = attempts + CASE WHEN @status = 'running' THEN 1 ELSE 0 END
     WHERE channel_id = @channelId AND message_ts = @messageTs`,
  );
  const open = db.prepare<[], RawItem>(
    `SELECT channel_id, message_ts, message_json, status, attempts, saved_at FROM inbox
     WHERE status IN ('queued', 'running') ORDER BY received_at, message_ts`,
  );
  const lastFailed = db.prepare<[string], RawItem>(
    `SELECT channel_id, message_ts, message_json, status, attempts, saved_at FROM inbox
     WHERE thread_key = ? AND status = 'failed' ORDER BY received_at DESC, message_ts DESC LIMIT 1`,
  );
  const markSaved = db.prepare('UPDATE inbox SET saved_at = ? WHERE channel_id = ? AND message_ts = ?');
  const setProgressTs = db.prepare(
    'UPDATE inbox SET progress_ts = ? WHERE channel_id = ? AND message_ts = ?',
  );
  const getProgressTs = db.prepare<[string, string], { progress_ts: string | null }>(
    'SELECT progress_ts FROM inbox WHERE channel_id = ? AND message_ts = ?',
  );
  // Only a finished message goes back to the queue, so a double click runs it once.
  const requeue = db.prepare<[number, string, string], RawItem>(
    `UPDATE inbox SET status = 'queued', saved_at = NULL, last_error = NULL, updated_at = ?
     WHERE channel_id = ? AND message_ts = ? AND status IN ('done', 'failed')
     RETURNING channel_id, message_ts, message_json, status, attempts, saved_at`,
  );
  const get = db.prepare<[string, string], RawItem>(
    `SELECT channel_id, message_ts, message_json, status, attempts, saved_at FROM inbox
     WHERE channel_id = ? AND message_ts = ?`,
  );
  const askerOf = db.prepare<[string, string], { user_id: string | null }>(
    `SELECT json_extract(message_json, '$.userId') AS user_id FROM inbox WHERE channel_id = ? AND message_ts = ?`,
  );
  // Finished rows only: a queued or running one (the `forget` itself) is still to be settled.
  const removeFinished = db.prepare(
    `DELETE FROM inbox WHERE thread_key = ? AND status IN ('done', 'failed')`,
  );
  const countOpen = db.prepare<[], { n: number }>(
    `SELECT COUNT(*) AS n FROM inbox WHERE status IN ('queued', 'running')`,
  );

  const update = (channelId: string, messageTs: string, status: InboxStatus, error: string | null = null) =>
    setStatus.run({ channelId, messageTs, status, error, now: Date.now() });

  return {
    /** Records a message; false when the same (channel, ts) was already accepted. */
    accept(message: ThreadMessage): boolean {
      const result = insert.run({
        channelId: message.channelId,
        messageTs: message.messageTs,
        threadKey: threadKeyOf(message),
        json: JSON.stringify(message),
        eventId: message.eventId ?? null,
        now: Date.now(),
      });
      return result.changes === 1;
    },
    markQueued: (channelId: string, messageTs: string) => update(channelId, messageTs, 'queued'),
    markRunning: (channelId: string, messageTs: string) => update(channelId, messageTs, 'running'),
    markDone: (channelId: string, messageTs: string) => update(channelId, messageTs, 'done'),
    markFailed: (channelId: string, messageTs: string, error: string) =>
      update(channelId, messageTs, 'failed', error),
    /** Work that was queued or running when the process stopped, oldest first. */
    /** Part of the same transaction that stores the turn's history. */
    markSaved: (channelId: string, messageTs: string) => void markSaved.run(Date.now(), channelId, messageTs),
    open: (): InboxItem[] => open.all().map(toItem),
    /** The progress message posted for this message, if any. */
    progressTs: (channelId: string, messageTs: string): string | undefined =>
      getProgressTs.get(channelId, messageTs)?.progress_ts ?? undefined,
    setProgressTs: (channelId: string, messageTs: string, ts: string) =>
      void setProgressTs.run(ts, channelId, messageTs),
    /** Queues a done or failed message again; undefined when it is unknown, queued or running. */
    requeue(channelId: string, messageTs: string): InboxItem | undefined {
      const raw = requeue.get(Date.now(), channelId, messageTs);
      return raw && toItem(raw);
    },
    get(channelId: string, messageTs: string): InboxItem | undefined {
      const raw = get.get(channelId, messageTs);
      return raw && toItem(raw);
    },
    /** The thread's most recent failed message, for `retry`. */
    lastFailed(threadKey: string): InboxItem | undefined {
      const raw = lastFailed.get(threadKey);
      return raw && toItem(raw);
    },
    openCount: (): number => countOpen.get()!.n,
    /** Deletes the thread's finished messages (they hold what people wrote); returns how many went. */
    removeFinished: (threadKey: string): number => removeFinished.run(threadKey).changes,
    /** Who asked this message, for Stop and Retry permission checks; undefined when it is not in the inbox. */
    asker: (channelId: string, messageTs: string): string | undefined =>
      askerOf.get(channelId, messageTs)?.user_id ?? undefined,
  };
}
export type Inbox = ReturnType<typeof createInbox>;
