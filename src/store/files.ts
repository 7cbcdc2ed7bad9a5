import type { ThreadFile } from '../domain.js';
import type { DataProfile } from '../files/profile/profile.js';
import type { Sql } from './sql.js';

/** Input files of a thread: Slack file id → Anthropic Files API id, uploaded once per thread. */
export function createFileStore(sql: Sql) {
  return {
    async list(threadKey: string): Promise<ThreadFile[]> {
      // rowid: insertion order (PostgreSQL's files table has an identity column of that name).
      const rows = await sql.all<{
        slack_file_id: string;
        anthropic_file_id: string;
        name: string;
        size_bytes: number;
        mime_type: string;
        container_id: string | null;
        profile_json: string | null;
      }>(
        `SELECT slack_file_id, anthropic_file_id, name, size_bytes, mime_type, container_id, profile_json
         FROM files WHERE thread_key = ? ORDER BY created_at, rowid`,
        [threadKey],
      );
      return rows.map((r) => ({
        slackFileId: r.slack_file_id,
        anthropicFileId: r.anthropic_file_id,
        name: r.name,
        sizeBytes: r.size_bytes,
        mimeType: r.mime_type,
        containerId: r.container_id,
        ...(r.profile_json ? { profile: JSON.parse(r.profile_json) as DataProfile } : {}),
      }));
    },
    async add(threadKey: string, { profile, ...f }: Omit<ThreadFile, 'containerId'>): Promise<void> {
      await sql.run(
        `INSERT INTO files (thread_key, slack_file_id, anthropic_file_id, name, size_bytes, mime_type, profile_json,
           created_at)
         VALUES (@threadKey, @slackFileId, @anthropicFileId, @name, @sizeBytes, @mimeType, @profileJson, @now)
         ON CONFLICT (thread_key, slack_file_id) DO NOTHING`,
        { threadKey, ...f, profileJson: profile ? JSON.stringify(profile) : null, now: Date.now() },
      );
    },
    markAttached(threadKey: string, anthropicFileIds: string[], containerId: string): Promise<void> {
      return sql.transaction(async (tx) => {
        for (const id of anthropicFileIds)
          await tx.run('UPDATE files SET container_id = ? WHERE thread_key = ? AND anthropic_file_id = ?', [
            containerId,
            threadKey,
            id,
          ]);
      });
    },
  };
}
export type FileStore = ReturnType<typeof createFileStore>;
