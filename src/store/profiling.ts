import { randomUUID } from 'node:crypto';
import type { Sql } from './sql.js';

/**
 * Which Slack files are being profiled. A row is written when profiling starts and deleted when it ends, however
 * it ends (profile, limit exceeded, cancelled). A row left by an earlier run of the bot means that run died while
 * profiling the file: the profiler runs isolated, so that takes something the limits did not catch, and a
 * restart that re-runs the interrupted turn must not profile it again (and die again).
 */
export function createProfilingMarks(sql: Sql) {
  /** This run of the bot; rows from other runs were left by a process that stopped mid-profile. */
  const bootId = randomUUID();
  return {
    /**
     * Marks the file as being profiled. Returns false, and leaves the mark in place, when an earlier run of the
     * bot stopped while profiling it: then it must not be profiled.
     */
    async begin(slackFileId: string): Promise<boolean> {
      const row = await sql.get<{ boot_id: string }>(
        'SELECT boot_id FROM profiling WHERE slack_file_id = ?',
        [slackFileId],
      );
      if (row && row.boot_id !== bootId) return false;
      await sql.run(
        `INSERT INTO profiling (slack_file_id, boot_id, started_at) VALUES (?, ?, ?)
         ON CONFLICT (slack_file_id) DO UPDATE SET boot_id = excluded.boot_id, started_at = excluded.started_at`,
        [slackFileId, bootId, Date.now()],
      );
      return true;
    },
    /** Profiling ended (in any way but the process dying). */
    async end(slackFileId: string): Promise<void> {
      await sql.run('DELETE FROM profiling WHERE slack_file_id = ?', [slackFileId]);
    },
  };
}
export type ProfilingMarks = ReturnType<typeof createProfilingMarks>;
