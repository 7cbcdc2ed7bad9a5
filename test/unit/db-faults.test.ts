import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { type ThreadMessage, threadKeyOf } from '../../src/domain.js';
import { type Db, openDatabase } from '../../src/store/db.js';
import { createStore, databaseFault } from '../../src/store/index.js';

let dir: string;
let path: string;
const opened: Db[] = [];
function track(db: Db): Db {
  opened.push(db);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slack-analyst-dbfaults-'));
  path = join(dir, 'bot.db');
});
afterEach(() => {
  vi.useRealTimers();
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Another process's connection (same file, own lock), as an admin's sqlite3 shell would be. */
const otherConnection = () => track(new Database(path));

const message: ThreadMessage = {
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1700000000.000100',
  messageTs: '1700000000.000100',
  userId: 'U1',
  text: 'q',
  files: [],
  addressed: true,
  isDirectMessage: false,
};

describe('databaseFault: real SQLite errors', () => {
  it('names a full database, a read-only one and a held lock; a bug in a query is not a fault', () => {
    const db = track(openDatabase(path, { busyTimeoutMs: 0 }));
    const fault = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return databaseFault(err) ?? `not a fault: ${(err as Error).message}`;
      }
      return 'no error';
    };

    // SQLite's own limit: the database may not grow by another page, a real SQLITE_FULL.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    expect(fault(() => db.prepare('INSERT INTO no_such_table VALUES (1)').run())).toMatch(/^not a fault/);
    expect(
      fault(() =>
        db.exec(`CREATE TABLE filler (x TEXT); INSERT INTO filler VALUES ('${'x'.repeat(100_000)}')`),
      ),
    ).toBe('full');

    const readOnly = track(new Database(path, { readonly: true }));
    expect(fault(() => readOnly.exec('CREATE TABLE t (x)'))).toBe('read-only');

    const other = otherConnection();
    other.exec('BEGIN IMMEDIATE');
    expect(fault(() => db.exec('CREATE TABLE t (x)'))).toBe('locked');
    other.exec('ROLLBACK');

    expect(databaseFault(new Error('disk full'))).toBeUndefined(); // only SQLite's own codes count
  });

  it('a save that fails half-way leaves nothing behind: usage, history and saved_at land together or not at all', async () => {
    const store = createStore(track(openDatabase(path)));
    const threadKey = threadKeyOf(message);
    await store.inbox.accept(message);
    await store.threads.ensure({ ...message, threadKey, toolVersion: 'code_execution_20260521' });
    store.sql.sqlite!.pragma(`max_page_count = ${store.sql.sqlite!.pragma('page_count', { simple: true })}`);

    const save = () =>
      store.atomically(async (tx) => {
        await tx.usage.record({
          turnId: 'turn-1',
          threadKey,
          model: 'm',
          inputTokens: 1,
          outputTokens: 1,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          cacheCreation1hInputTokens: 0,
          codeRuns: 0,
        });
        await tx.saveTurn(message, threadKey, 'turn-1', [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'x'.repeat(200_000) }, // needs pages the database may not have
        ]);
      });

    await expect(save()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect((await store.usage.threadTotals(threadKey)).turns).toBe(0);
    expect(await store.history.list(threadKey)).toEqual([]);
    expect((await store.inbox.get(message.channelId, message.messageTs))?.saved).toBe(false);
  });
});

describe('store.health', () => {
  it('is ok when a write commits, and says read-only when it cannot', async () => {
    openDatabase(path).close(); // create the schema
    expect(await createStore(track(openDatabase(path))).health()).toEqual({ ok: true, status: 'ok' });
    const readOnly = createStore(track(new Database(path, { readonly: true })));
    expect(await readOnly.health()).toEqual({ ok: false, status: 'read-only' });
  });

  it("reports another process's write lock without waiting out the busy timeout, and keeps the timeout", async () => {
    const db = track(openDatabase(path, { busyTimeoutMs: 2_000 }));
    const store = createStore(db);
    otherConnection().exec('BEGIN IMMEDIATE');

    const started = Date.now();
    expect(await store.health()).toEqual({ ok: false, status: 'locked' });
    expect(Date.now() - started).toBeLessThan(1_000); // a 2 s wait would have blocked every ack
    expect(db.pragma('busy_timeout', { simple: true })).toBe(2_000);
  });

  it('probes at most once every few seconds (cached), then sees the lock gone', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const store = createStore(track(openDatabase(path)));
    const other = otherConnection();
    other.exec('BEGIN IMMEDIATE');
    expect((await store.health()).status).toBe('locked');
    other.exec('ROLLBACK');

    vi.setSystemTime(1_002_000);
    expect((await store.health()).status).toBe('locked'); // cached
    vi.setSystemTime(1_003_000);
    expect((await store.health()).status).toBe('ok');
  });

  it('says so when the database is closed instead of throwing', async () => {
    const store = createStore(openDatabase(path));
    await store.close();
    expect(await store.health()).toEqual({ ok: false, status: 'error' });
  });
});

describe('openDatabase options', () => {
  it('sets the busy timeout and synchronous mode it is given (NORMAL by default)', () => {
    const normal = track(openDatabase(path));
    expect(normal.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(normal.pragma('busy_timeout', { simple: true })).toBe(1_000);
    normal.close();
    const full = track(openDatabase(path, { synchronous: 'FULL', busyTimeoutMs: 250 }));
    expect(full.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(full.pragma('busy_timeout', { simple: true })).toBe(250);
  });
});

describe('config: SQLITE_BUSY_TIMEOUT_MS and SQLITE_SYNCHRONOUS', () => {
  const env = {
    SLACK_BOT_TOKEN: ['xoxb', '1-2-abc'].join('-'),
    SLACK_SIGNING_SECRET: '0123456789abcdef',
    ANTHROPIC_API_KEY: 'k',
  };
  const problems = (extra: Record<string, string>) => {
    try {
      loadConfig({ ...env, ...extra });
    } catch (err) {
      return (err as ConfigError).problems;
    }
    return [];
  };

  it('defaults to a 1 s lock wait and NORMAL; accepts full in any case', () => {
    expect(loadConfig(env)).toMatchObject({ SQLITE_BUSY_TIMEOUT_MS: 1_000, SQLITE_SYNCHRONOUS: 'NORMAL' });
    expect(loadConfig({ ...env, SQLITE_SYNCHRONOUS: 'full' }).SQLITE_SYNCHRONOUS).toBe('FULL');
  });

  it("refuses a lock wait near Slack's 3 s ack limit and an unknown synchronous mode", () => {
    expect(problems({ SQLITE_BUSY_TIMEOUT_MS: '5000', SQLITE_SYNCHRONOUS: 'OFF' })).toEqual([
      'SQLITE_BUSY_TIMEOUT_MS must be at most 2000',
      'SQLITE_SYNCHRONOUS must be NORMAL or FULL',
    ]);
    expect(() => loadConfig({ ...env, SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(ConfigError);
  });
});
