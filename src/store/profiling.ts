import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

/**
 * Which Slack files are being profiled. A row is written when profiling starts and deleted when it ends, however
 * it ends (profile, limit exceeded, cancelled). A row left by an earlier run of the bot means that run died while
 * profiling the file: the profiler runs isolated, so that takes something the limits did not catch, and a
 * restart that re-runs the interrupted turn must not profile it again (and die again).
 */
export function createProfilingMarks(db: Db) {
  /** This run of the bot; rows from other runs were left by a process that stopped mid-profile. */
  const bootId = randomUUID();
  const get = db.prepare<[string], { boot_id: string }>(
    'SELECT boot_id FROM profiling WHERE slack_file_id = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO profiling (slack_file_id, boot_id, started_at) VALUES (?, ?, ?)
     ON CONFLICT (slack_file_id) DO UPDATE SET boot_id = excluded.boot_id, started_at = excluded.started_at`,
  );
  const remove = db.prepare('DELETE FROM profiling WHERE slack_file_id = ?');

  return {
    /**
     * Marks the file as being profiled. Returns false, and leaves the mark in place, when an earlier run of the
     * bot stopped while profiling it: then it must not be profiled.
     */
    begin(slackFileId: string): boolean {
      const row = get.get(slackFileId);
      if (row && row.boot_id !== bootId) return false;
      upsert.run(slackFileId, bootId, Date.now());
      return true;
    },
    /** Profiling ended (in any way but the process dying). */
    end(slackFileId: string): void {
      remove.run(slackFileId);
    },
  };
}
export type ProfilingMarks = ReturnType<typeof createProfilingMarks>;
