import { afterAll } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { openPostgres } from '../../src/store/postgres.js';
import { startPostgres, type TestPostgres } from './postgres.js';

/** Both engines behind the store; store tests run once per engine with `describe.each(ENGINES)`. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let server: Promise<TestPostgres> | undefined;

// Registered when a test file imports this module (a hook added while a test runs would never fire).
afterAll(async () => {
  const started = server;
  server = undefined;
  await (await started)?.stop();
});

/** The test file's PostgreSQL server, started on first use and stopped after the file's tests. */
export function testPostgres(): Promise<TestPostgres> {
  server ??= startPostgres();
  return server;
}

/** A fresh, migrated, empty store: SQLite in memory, or a new database on the file's PostgreSQL server. */
export async function openTestStore(engine: Engine): Promise<Store> {
  if (engine === 'sqlite') return createStore(openDatabase(':memory:'));
  const pg = await testPostgres();
  return createStore(await openPostgres(await pg.newDatabase(), { poolSize: 4 }));
}
