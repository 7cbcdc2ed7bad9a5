import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULT_DATABASE_PATH } from './config.js';
import { DatabaseTooNewError } from './store/db.js';
import { openStore } from './store/index.js';
import { MIGRATIONS } from './store/migrations.js';

/**
 * `npm run migrate`: applies pending schema migrations to the configured database (DATABASE_URL, or SQLite at
 * DATABASE_PATH) and exits, so a deploy can migrate once before starting replicas. The bot also migrates at start;
 * either way a database from a newer version is refused untouched (exit 2).
 */
export async function migrateCommand(env: Record<string, string | undefined>): Promise<string> {
  const url = env.DATABASE_URL || undefined;
  const store = await openStore({ url, path: env.DATABASE_PATH || DEFAULT_DATABASE_PATH });
  await store.close();
  return `${url ? 'PostgreSQL' : 'SQLite'} database is at schema version ${MIGRATIONS.length}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  migrateCommand(process.env).then(
    (line) => process.stdout.write(`${line}\n`),
    (err: unknown) => {
      process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof DatabaseTooNewError ? 2 : 1);
    },
  );
}
