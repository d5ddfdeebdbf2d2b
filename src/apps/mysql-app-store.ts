import mysql from 'mysql2/promise';
import type { InvalidAppListener } from './app-repository.js';
import { describeDatabaseUrl } from './database-url.js';
import { SqlAppStore, type SqlDialect, type SqlRow } from './sql-app-store.js';

const ER_DUP_ENTRY = 'ER_DUP_ENTRY';

const mysqlDialect: SqlDialect = {
  param: () => '?',
  // Binary collation: MySQL compares text case-insensitively by default, and keys are case-sensitive.
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table} (
      id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
      app_key VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
      secret VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      enabled BOOLEAN NOT NULL DEFAULT TRUE,
      options TEXT CHARACTER SET utf8mb4 NOT NULL,
      created_at VARCHAR(32) NOT NULL,
      updated_at VARCHAR(32) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
  bool: (value) => value,
  isDuplicateKey: (err) => err instanceof Error && 'code' in err && err.code === ER_DUP_ENTRY,
  isConcurrentCreate: () => false,
};

/** Apps in a MySQL or MariaDB database the operator already runs. */
export class MysqlAppStore extends SqlAppStore {
  constructor(url: string, table: string, onInvalid?: InvalidAppListener) {
    const pool = mysql.createPool({ uri: url, connectionLimit: 2, connectTimeout: 5000, enableKeepAlive: true });
    super(
      {
        query: async (sql, params) => {
          const [rows] = await pool.query(sql, [...params]);
          return rows as SqlRow[];
        },
        execute: async (sql, params) => {
          await pool.query(sql, [...params]);
        },
        close: () => pool.end(),
      },
      mysqlDialect,
      table,
      `MySQL ${describeDatabaseUrl(url)}, table ${table}`,
      onInvalid,
    );
  }
}
