import type { ThreadFile } from '../domain.js';
import type { DataProfile } from '../files/profile/profile.js';
import type { Db } from './db.js';

/** Input files of a thread: Slack file id → Anthropic Files API id, uploaded once per thread. */
export function createFileStore(db: Db) {
  const list = db.prepare<
    [string],
    {
      slack_file_id: string;
      anthropic_file_id: string;
      name: string;
      size_bytes: number;
      mime_type: string;
      container_id: string | null;
      profile_json: string | null;
    }
  >('SELECT * FROM files WHERE thread_key = ? ORDER BY created_at, rowid');
  const insert = db.prepare(
    `INSERT INTO files (thread_key, slack_file_id, anthropic_file_id, name, size_bytes, mime_type, profile_json,
       created_at)
     VALUES (@threadKey, @slackFileId, @anthropicFileId, @name, @sizeBytes, @mimeType, @profileJson, @now)
     ON CONFLICT (thread_key, slack_file_id) DO NOTHING`,
  );
  const attach = db.prepare(
    'UPDATE files SET container_id = ? WHERE thread_key = ? AND anthropic_file_id = ?',
  );

  return {
    list(threadKey: string): ThreadFile[] {
      return list.all(threadKey).map((r) => ({
        slackFileId: r.slack_file_id,
        anthropicFileId: r.anthropic_file_id,
        name: r.name,
        sizeBytes: r.size_bytes,
        mimeType: r.mime_type,
        containerId: r.container_id,
        ...(r.profile_json ? { profile: JSON.parse(r.profile_json) as DataProfile } : {}),
      }));
    },
    add(threadKey: string, { profile, ...f }: Omit<ThreadFile, 'containerId'>): void {
      insert.run({ threadKey, ...f, profileJson: profile ? JSON.stringify(profile) : null, now: Date.now() });
    },
    markAttached(threadKey: string, anthropicFileIds: string[], containerId: string): void {
      db.transaction(() => {
        for (const id of anthropicFileIds) attach.run(containerId, threadKey, id);
      })();
    },
  };
}
export type FileStore = ReturnType<typeof createFileStore>;
