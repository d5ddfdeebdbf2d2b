import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { InvalidAppListener } from './app-repository.js';
import { SqlAppStore, type SqlConnection, type SqlDialect } from './sql-app-store.js';

const sqlite: SqlDialect = {
  param: () => '?',
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY,
      app_key TEXT NOT NULL UNIQUE,
      secret TEXT NOT NULL,
      enabled INTEGER NOT NULL DEFAULT 1,
      options TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  ],
  bool: (value) => (value ? 1 : 0),
  isDuplicateKey: (err) => err instanceof Error && 'code' in err && String(err.code).startsWith('SQLITE_CONSTRAINT'),
  isConcurrentCreate: () => false,
};

/**
 * Apps in an embedded SQLite file: nothing to run beside Herald. The file is
 * shared by `herald apps` and the running server (WAL: readers never wait for
 * the writer; a writer waits up to 5 s for another).
 */
export class SqliteAppStore extends SqlAppStore {
  constructor(file: string, table: string, onInvalid?: InvalidAppListener) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const connection: SqlConnection = {
      query: async (sql, params) => db.prepare(sql).all(...params) as Array<Record<string, unknown>>,
      execute: async (sql, params) => {
        db.prepare(sql).run(...params);
      },
      close: async () => {
        db.close();
      },
    };
    super(connection, sqlite, table, `SQLite file ${file}, table ${table}`, onInvalid);
  }
}
