import type { Sql } from './sql.js';

export type Rating = 'up' | 'down';

export interface FeedbackRecord {
  turnId: string;
  userId: string;
  rating: Rating;
  threadKey: string;
}

/** Ratings of answers: one per person and turn, the latest click wins. */
export function createFeedbackStore(sql: Sql) {
  return {
    async record(f: FeedbackRecord): Promise<void> {
      await sql.run(
        `INSERT INTO feedback (turn_id, user_id, rating, thread_key, created_at)
         VALUES (@turnId, @userId, @rating, @threadKey, @now)
         ON CONFLICT (turn_id, user_id) DO UPDATE SET rating = excluded.rating, created_at = excluded.created_at`,
        { ...f, now: Date.now() },
      );
    },
    /** 👍 and 👎 counts of one workspace. */
    async counts(teamId: string): Promise<{ up: number; down: number }> {
      // Scoped to one workspace by the `team:` prefix of the thread key, as a range (see reports.ts).
      const row = await sql.get<{ up: number; down: number }>(
        `SELECT COALESCE(SUM(CASE WHEN rating = 'up' THEN 1 ELSE 0 END), 0) AS up,
           COALESCE(SUM(CASE WHEN rating = 'down' THEN 1 ELSE 0 END), 0) AS down
         FROM feedback WHERE thread_key > @lo AND thread_key < @hi`,
        { lo: `${teamId}:`, hi: `${teamId};` },
      );
      return { up: row?.up ?? 0, down: row?.down ?? 0 };
    },
    async ofTurn(turnId: string): Promise<{ userId: string; rating: Rating }[]> {
      const rows = await sql.all<{ user_id: string; rating: Rating }>(
        'SELECT user_id, rating FROM feedback WHERE turn_id = ? ORDER BY user_id',
        [turnId],
      );
      return rows.map((r) => ({ userId: r.user_id, rating: r.rating }));
    },
  };
}
export type FeedbackStore = ReturnType<typeof createFeedbackStore>;
