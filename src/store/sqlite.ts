import type Database from 'better-sqlite3';
import type { Params, Sql } from './sql.js';

/**
 * `Sql` over one better-sqlite3 connection. Statements run synchronously (prepared once, cached by text); the
 * promises only give both engines one interface. A transaction holds the connection across awaits, so every
 * call from outside it waits at the gate until it ends: nothing else can slip into (or be rolled back with) it.
 */
export function sqliteSql(db: Database.Database): Sql {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  const bind = (params: Params | undefined): unknown[] =>
    params === undefined ? [] : Array.isArray(params) ? params : [params];
  let gate: Promise<void> | undefined;

  const direct = (): Sql => ({
    engine: 'sqlite',
    sqlite: db,
    all: async <T>(sql: string, params?: Params) => prepare(sql).all(...bind(params)) as T[],
    get: async <T>(sql: string, params?: Params) => prepare(sql).get(...bind(params)) as T | undefined,
    run: async (sql: string, params?: Params) => prepare(sql).run(...bind(params)).changes,
    transaction: (fn) => fn(inTx),
    noWait: (fn) => fn(inTx),
    isOpen: () => db.open,
    close: async () => void db.close(),
  });
  const inTx = direct();

  const outer: Sql = {
    ...inTx,
    all: async (sql, params) => {
      // Re-checked after every wake-up, with no await before the statement runs.
      while (gate) await gate;
      return inTx.all(sql, params);
    },
    get: async (sql, params) => {
      while (gate) await gate;
      return inTx.get(sql, params);
    },
    run: async (sql, params) => {
      while (gate) await gate;
      return inTx.run(sql, params);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      // No await between the loop's last check and taking the gate, so two waiters cannot both get through.
      while (gate) await gate;
      let open!: () => void;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(inTx);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        gate = undefined;
        open();
      }
    },
    async noWait<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      while (gate) await gate;
      const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma('busy_timeout = 0');
      try {
        return await fn(inTx);
      } finally {
        if (db.open) db.pragma(`busy_timeout = ${busyTimeout}`);
      }
    },
  };
  return outer;
}
