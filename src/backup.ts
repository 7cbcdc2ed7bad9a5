/**
 * `npm run backup [-- DESTINATION]` (in a container: `node dist/backup.js [DESTINATION]`): a consistent copy of
 * the database (see store/backup.ts). The default destination is `backups/slack-analyst-<UTC time>.db` beside
 * the database.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_DATABASE_PATH } from './config.js';
import { backupDatabase } from './store/backup.js';

function defaultDestination(source: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
  return join(dirname(source), 'backups', `slack-analyst-${stamp}.db`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  if (process.env.DATABASE_URL) {
    process.stderr.write(
      'backup: DATABASE_URL is PostgreSQL; back it up with pg_dump (see README, Deploy)\n',
    );
    process.exit(2);
  }
  const source = process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH;
  const destination = process.argv[2] ?? defaultDestination(source);
  backupDatabase(source, destination).then(
    (b) =>
      process.stdout.write(
        `backup written: ${b.path} (${b.bytes} bytes, schema version ${b.schemaVersion})\n`,
      ),
    (err: unknown) => {
      process.stderr.write(`backup failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
