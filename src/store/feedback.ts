import type { Db } from './db.js';

export type Rating = 'up' | 'down';

export interface FeedbackRecord {
  turnId: string;
  userId: string;
  rating: Rating;
  threadKey: string;
}

/** Ratings of answers: one per person and turn, the latest click wins. */
export function createFeedbackStore(db: Db) {
  const upsert = db.prepare(
    `INSERT INTO feedback (turn_id, user_id, rating, thread_key, created_at)
     VALUES (@turnId, @userId, @rating, @threadKey, @now)
     ON CONFLICT (turn_id, user_id) DO UPDATE SET rating = excluded.rating, created_at = excluded.created_at`,
  );
  // Scoped to one workspace by the `team:` prefix of the thread key, as a range (see reports.ts).
  const counts = db.prepare<{ lo: string; hi: string }, { up: number; down: number }>(
    `SELECT COALESCE(SUM(rating = 'up'), 0) AS up, COALESCE(SUM(rating = 'down'), 0) AS down
     FROM feedback WHERE thread_key > @lo AND thread_key < @hi`,
  );
  const ofTurn = db.prepare<[string], { user_id: string; rating: Rating }>(
    'SELECT user_id, rating FROM feedback WHERE turn_id = ? ORDER BY user_id',
  );
  return {
    record(f: FeedbackRecord): void {
      upsert.run({ ...f, now: Date.now() });
    },
    /** 👍 and 👎 counts of one workspace. */
    counts(teamId: string): { up: number; down: number } {
      return counts.get({ lo: `${teamId}:`, hi: `${teamId};` })!;
    },
    ofTurn(turnId: string): { userId: string; rating: Rating }[] {
      return ofTurn.all(turnId).map((r) => ({ userId: r.user_id, rating: r.rating }));
    },
  };
}
export type FeedbackStore = ReturnType<typeof createFeedbackStore>;
