import pg from 'pg';
import { DatabaseTooNewError } from './db.js';
import { PG_MIGRATIONS } from './migrations.js';
import type { Params, Sql } from './sql.js';

export interface PostgresOptions {
  /** Connections this replica keeps at most (see the README's pool sizing). */
  poolSize?: number;
}

/** Any fixed number: the advisory lock replicas take so only one of them migrates at a time. */
const MIGRATION_LOCK = 7_401_614;

/**
 * Rewrites SQLite-style parameters (`?` positional, `@name` named) to PostgreSQL's `$n`, so repositories write
 * their SQL once. Quoted strings and identifiers are copied untouched.
 */
export function toPostgres(sql: string, params: Params = []): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const named = new Map<string, number>();
  let position = 0;
  const text = sql.replace(/'(?:[^']|'')*'|"[^"]*"|@(\w+)|\?/g, (match, name: string | undefined) => {
    if (match.startsWith("'") || match.startsWith('"')) return match;
    if (name === undefined) {
      values.push((params as readonly unknown[])[position++] ?? null);
      return `$${values.length}`;
    }
    let n = named.get(name);
    if (n === undefined) {
      values.push((params as Record<string, unknown>)[name] ?? null);
      n = values.length;
      named.set(name, n);
    }
    return `$${n}`;
  });
  return { text, values };
}

// BIGINT (ms timestamps, counts) and NUMERIC (sums) as JS numbers: every value the store keeps is far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `Sql` over one pg client or the pool. */
function over(client: pg.Pool | pg.PoolClient, pool: pg.Pool, closed: () => boolean): Sql {
  const query = async <T>(sql: string, params?: Params) => {
    // Without parameters the text goes as written (migrations: several statements, comments with quotes).
    const { text, values } = params === undefined ? { text: sql, values: [] } : toPostgres(sql, params);
    return client.query(text, values) as unknown as Promise<pg.QueryResult<T & pg.QueryResultRow>>;
  };
  const self: Sql = {
    engine: 'postgres',
    all: async <T>(sql: string, params?: Params) => (await query<T>(sql, params)).rows,
    get: async <T>(sql: string, params?: Params) => (await query<T>(sql, params)).rows[0],
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (client !== pool) return fn(self); // already in one: join it
      return inTransaction(pool, closed, fn);
    },
    noWait: (fn) =>
      self.transaction(async (tx) => {
        // A held row lock fails the probe at once instead of making /healthz hang.
        await tx.run(`SET LOCAL lock_timeout = '100ms'`);
        return fn(tx);
      }),
    isOpen: () => !closed(),
    close: async () => {
      if (!closed()) await pool.end();
    },
  };
  return self;
}

async function inTransaction<T>(
  pool: pg.Pool,
  closed: () => boolean,
  fn: (tx: Sql) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(over(client, pool, closed));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Connects to PostgreSQL and applies every pending migration in one transaction, under an advisory lock so
 * replicas starting together migrate once. A database migrated by a newer version is refused before any change.
 */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Sql> {
  let ended = false;
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types });
  // An idle client losing its connection (server restart) must not take the process down; the next query
  // reconnects and /healthz reports the database meanwhile.
  pool.on('error', () => undefined);
  const end = pool.end.bind(pool);
  pool.end = async () => {
    ended = true;
    await end();
  };
  const sql = over(pool, pool, () => ended);
  try {
    await migratePostgres(sql);
    return sql;
  } catch (err) {
    await sql.close();
    throw err;
  }
}

export async function migratePostgres(sql: Sql): Promise<number> {
  return sql.transaction(async (tx) => {
    await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = await tx.get<{ version: number }>('SELECT version FROM schema_version');
    const current = row?.version ?? 0;
    if (current > PG_MIGRATIONS.length) throw new DatabaseTooNewError(current, PG_MIGRATIONS.length);
    for (const step of PG_MIGRATIONS.slice(current)) await tx.run(step);
    if (row) await tx.run('UPDATE schema_version SET version = ?', [PG_MIGRATIONS.length]);
    else await tx.run('INSERT INTO schema_version (version) VALUES (?)', [PG_MIGRATIONS.length]);
    return PG_MIGRATIONS.length;
  });
}
