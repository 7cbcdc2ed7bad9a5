import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateCommand } from '../../src/migrate.js';
import { DatabaseTooNewError } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import { MIGRATIONS, PG_MIGRATIONS } from '../../src/store/migrations.js';
import { openPostgres, toPostgres } from '../../src/store/postgres.js';
import { testPostgres } from '../support/engines.js';
import { startPostgres } from '../support/postgres.js';

const version = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT version FROM schema_version')).rows[0]?.version as number | undefined;
  } finally {
    await client.end();
  }
};

describe('PostgreSQL engine', () => {
  it('has the same numbered migrations as SQLite and records the version it reached', async () => {
    expect(PG_MIGRATIONS.length).toBe(MIGRATIONS.length);
    const url = await (await testPostgres()).newDatabase();
    await (await openPostgres(url)).close();
    expect(await version(url)).toBe(MIGRATIONS.length);
    await (await openPostgres(url)).close(); // a second start changes nothing
    expect(await version(url)).toBe(MIGRATIONS.length);
  });

  it('replicas starting together migrate once (advisory lock) and all come up', async () => {
    const url = await (await testPostgres()).newDatabase();
    const replicas = await Promise.all([openPostgres(url), openPostgres(url), openPostgres(url)]);
    await Promise.all(replicas.map((r) => r.close()));
    expect(await version(url)).toBe(MIGRATIONS.length);
  });

  it('refuses a database from a newer version before changing anything', async () => {
    const url = await (await testPostgres()).newDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    await client.query('INSERT INTO schema_version VALUES (99)');
    await expect(openPostgres(url)).rejects.toBeInstanceOf(DatabaseTooNewError);
    const tables = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    await client.end();
    expect(tables.rows.map((r) => r.tablename)).toEqual(['schema_version']);
    expect(await version(url)).toBe(99);
  });

  it('rewrites ? and @name parameters to $n, leaving quoted text alone', () => {
    expect(toPostgres(`SELECT '?@x' AS "a?", ? , @b, @b, ?`, [1, 2])).toEqual({
      text: `SELECT '?@x' AS "a?", $1 , $2, $2, $3`,
      values: [1, undefined, 2].map((v) => v ?? null),
    });
    expect(toPostgres('UPDATE t SET a = @a WHERE b = @b', { a: 'x', b: undefined })).toEqual({
      text: 'UPDATE t SET a = $1 WHERE b = $2',
      values: ['x', null],
    });
  });

  it('the health probe reports a server that went away as unreachable', async () => {
    const server = await startPostgres();
    try {
      const store = createStore(await openPostgres(await server.newDatabase(), { poolSize: 2 }));
      expect(await store.health()).toEqual({ ok: true, status: 'ok' });
      await server.stop();
      await new Promise((r) => setTimeout(r, 3_100)); // past the probe's cache
      expect(await store.health()).toEqual({ ok: false, status: 'unreachable' });
      await store.close();
    } finally {
      await server.stop();
    }
  });
});

describe('npm run migrate', () => {
  it('brings a PostgreSQL database to the newest version and says so; a newer one is refused', async () => {
    const url = await (await testPostgres()).newDatabase();
    expect(await migrateCommand({ DATABASE_URL: url })).toBe(
      `PostgreSQL database is at schema version ${MIGRATIONS.length}`,
    );
    expect(await version(url)).toBe(MIGRATIONS.length);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE schema_version SET version = 99');
    await client.end();
    await expect(migrateCommand({ DATABASE_URL: url })).rejects.toBeInstanceOf(DatabaseTooNewError);
  });

  it('migrates SQLite at DATABASE_PATH when no DATABASE_URL is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-migrate-'));
    try {
      expect(await migrateCommand({ DATABASE_PATH: join(dir, 'bot.db') })).toBe(
        `SQLite database is at schema version ${MIGRATIONS.length}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DATABASE_URL configuration', () => {
  const base = {
    SLACK_BOT_TOKEN: ['xoxb', '1111', '2222', 'abcdefghijklmnopqrstuvwx'].join('-'),
    SLACK_SIGNING_SECRET: '0123456789abcdef',
    ANTHROPIC_API_KEY: 'test-key',
  };
  it('takes a postgres:// URL, and refuses anything else or both engines at once', () => {
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://u:p@db:5432/x' }).DATABASE_URL).toBe(
      'postgres://u:p@db:5432/x',
    );
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://db/x' })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ URL/,
    );
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://db/x', DATABASE_PATH: './x.db' })).toThrow(
      /DATABASE_URL and DATABASE_PATH are both set/,
    );
  });
});
