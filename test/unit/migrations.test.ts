import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseTooNewError, type Db, migrate, openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

const userVersion = (db: Db) => db.pragma('user_version', { simple: true });

const insertThread = (db: Db, key = 'T1:C1:1700000000.000100') =>
  db
    .prepare(
      `INSERT INTO threads (thread_key, team_id, channel_id, thread_ts, tool_version, first_seen_at, updated_at)
       VALUES (?, 'T1', 'C1', '1700000000.000100', 'code_execution_20260521', 1, 1)`,
    )
    .run(key);

const tmpDirs: string[] = [];
const tmpDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'slack-analyst-db-'));
  tmpDirs.push(dir);
  return dir;
};
const openDbs: Db[] = [];
const track = (db: Db) => {
  openDbs.push(db);
  return db;
};

afterEach(() => {
  for (const db of openDbs.splice(0)) if (db.open) db.close();
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase and migrate', () => {
  it('brings a fresh database to the newest schema version', () => {
    const db = track(openDatabase(':memory:'));
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((r) => r.name);
    expect(tables).toEqual([
      'audit',
      'feedback',
      'files',
      'health_probe',
      'history',
      'inbox',
      'profiling',
      'thread_leases',
      'threads',
      'usage',
    ]);
  });

  it('creates STRICT tables: a value of the wrong type is rejected, not silently stored', () => {
    const db = track(openDatabase(':memory:'));
    const strict = db
      .prepare<[], { name: string; strict: number }>(
        "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'",
      )
      .all();
    expect(strict.length).toBeGreaterThan(0);
    expect(strict.filter((t) => t.strict !== 1)).toEqual([]);

    expect(() =>
      db
        .prepare(
          `INSERT INTO threads (thread_key, team_id, channel_id, thread_ts, tool_version, first_seen_at, updated_at)
           VALUES ('k', 'T', 'C', 'ts', 'v', 'yesterday', 1)`,
        )
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
  });

  it('running migrate again is a no-op that keeps the data', () => {
    const db = track(openDatabase(':memory:'));
    insertThread(db);
    expect(() => migrate(db)).not.toThrow();
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT COUNT(*) AS n FROM threads').get()).toEqual({ n: 1 });
  });

  it('upgrades a database from the first schema version in place, keeping its rows', () => {
    const path = join(tmpDir(), 'v1.db');
    const v1 = new Database(path);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    insertThread(v1);
    v1.close();

    const db = track(openDatabase(path));
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT thread_key FROM threads').all()).toEqual([
      { thread_key: 'T1:C1:1700000000.000100' },
    ]);
  });

  it('refuses a database written by a newer build', () => {
    const db = track(openDatabase(':memory:'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(DatabaseTooNewError);
    expect(userVersion(db)).toBe(MIGRATIONS.length + 1);
  });

  it('refuses to open a database file from a newer build and leaves it untouched', () => {
    const path = join(tmpDir(), 'future.db');
    const future = new Database(path);
    future.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    future.close();

    expect(() => track(openDatabase(path))).toThrow(DatabaseTooNewError);
    const check = track(new Database(path));
    expect(userVersion(check)).toBe(MIGRATIONS.length + 5);
    expect(check.prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table'").get()).toEqual({
      n: 0,
    });
  });

  it('opens a file database in WAL mode with foreign keys on, creating missing directories', () => {
    const path = join(tmpDir(), 'nested', 'data', 'slack-analyst.db');
    const db = track(openDatabase(path));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(userVersion(db)).toBe(MIGRATIONS.length);
  });

  it('keeps data across a reopen of the same file without migrating again', () => {
    const path = join(tmpDir(), 'reopen.db');
    const first = track(openDatabase(path));
    insertThread(first);
    first.close();

    const second = track(openDatabase(path));
    expect(userVersion(second)).toBe(MIGRATIONS.length);
    expect(second.prepare('SELECT COUNT(*) AS n FROM threads').get()).toEqual({ n: 1 });
  });

  it('deleting a thread deletes its history and files', () => {
    const db = track(openDatabase(':memory:'));
    insertThread(db, 'gone');
    insertThread(db, 'kept');
    for (const key of ['gone', 'kept']) {
      db.prepare(
        `INSERT INTO history (thread_key, seq, role, content_json, approx_tokens, turn_id, created_at)
         VALUES (?, 1, 'user', '"hi"', 1, 'turn', 1)`,
      ).run(key);
      db.prepare(
        `INSERT INTO files (thread_key, slack_file_id, anthropic_file_id, name, size_bytes, mime_type, created_at)
         VALUES (?, 'F1', 'file_1', 'a.csv', 10, 'text/csv', 1)`,
      ).run(key);
    }

    db.prepare('DELETE FROM threads WHERE thread_key = ?').run('gone');

    const rowsOf = (table: string) =>
      db.prepare(`SELECT thread_key FROM ${table} ORDER BY thread_key`).all() as { thread_key: string }[];
    expect(rowsOf('history')).toEqual([{ thread_key: 'kept' }]);
    expect(rowsOf('files')).toEqual([{ thread_key: 'kept' }]);
  });

  it('rejects history for a thread that does not exist', () => {
    const db = track(openDatabase(':memory:'));
    expect(() =>
      db
        .prepare(
          `INSERT INTO history (thread_key, seq, role, content_json, approx_tokens, turn_id, created_at)
           VALUES ('nope', 1, 'user', '"hi"', 1, 'turn', 1)`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
  });
});
