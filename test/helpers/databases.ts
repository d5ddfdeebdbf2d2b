// The real databases the app-store tests run against, and the rule for when
// one is missing: a failure in CI, a loud skip elsewhere.
import type { TestContext } from 'node:test';
import Database from 'libsql';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { rid } from './ids.js';

export const POSTGRES_URL = process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.HERALD_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

/** A table of its own for one test run, so runs in parallel never see each other's apps. */
export function uniqueTable(): string {
  return `herald_apps_test_${process.pid}_${rid()}`;
}

/** Runs one statement on the database directly (not through Herald's stores). */
export async function rawExecute(kind: DatabaseKind, target: string, sql: string): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(target);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  } else if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: target, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  } else {
    const conn = await mysql.createConnection({ uri: target, connectTimeout: 3000 });
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  }
}

/** Null when the database answers, else why not. */
export async function unreachable(kind: 'postgres' | 'mysql'): Promise<string | null> {
  try {
    await rawExecute(kind, kind === 'postgres' ? POSTGRES_URL : MYSQL_URL, 'SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

const announced = new Set<string>();

/**
 * True when the test may go on. A database that cannot be reached fails the
 * test in CI (CI is set) and otherwise skips it with a message nobody misses.
 */
export function databaseAvailable(t: TestContext, kind: string, problem: string | null): boolean {
  if (problem === null) return true;
  const message = `${kind} is not reachable (${problem}): these tests cannot run without it`;
  if (process.env.CI) throw new Error(message);
  if (!announced.has(kind)) console.error(`\n!!! SKIPPED: ${message}. Start ${kind} or set CI to make this a failure.\n`);
  announced.add(kind);
  t.skip(message);
  return false;
}
