import pg from 'pg';
import type { InvalidAppListener } from './app-repository.js';
import { SqlAppStore, type SqlDialect } from './sql-app-store.js';
import { describeDatabaseUrl } from './database-url.js';

const UNIQUE_VIOLATION = '23505';
const DUPLICATE_TABLE = '42P07';

const pgCode = (err: unknown) => (err instanceof Error && 'code' in err ? String(err.code) : '');

const postgres: SqlDialect = {
  param: (n) => `$${n}`,
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY,
      app_key TEXT NOT NULL UNIQUE,
      secret TEXT NOT NULL,
      enabled BOOLEAN NOT NULL DEFAULT TRUE,
      options TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  ],
  bool: (value) => value,
  isDuplicateKey: (err) => pgCode(err) === UNIQUE_VIOLATION,
  // IF NOT EXISTS is not atomic in PostgreSQL: a concurrent create fails on the catalog instead.
  isConcurrentCreate: (err) => pgCode(err) === UNIQUE_VIOLATION || pgCode(err) === DUPLICATE_TABLE,
};

/** Apps in a PostgreSQL database the operator already runs. */
export class PostgresAppStore extends SqlAppStore {
  constructor(url: string, table: string, onInvalid?: InvalidAppListener) {
    // A small pool: the server reads the table once per cache TTL, the CLI a few times.
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    super(
      {
        query: async (sql, params) => (await pool.query(sql, [...params])).rows as Array<Record<string, unknown>>,
        execute: async (sql, params) => {
          await pool.query(sql, [...params]);
        },
        close: () => pool.end(),
      },
      postgres,
      table,
      `PostgreSQL ${describeDatabaseUrl(url)}, table ${table}`,
      onInvalid,
    );
  }
}
