// The app stores against the real databases: an SQLite file, the PostgreSQL
// and the MariaDB of this machine, each in a table of its own that is dropped
// afterwards. Every store passes the same checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { AppConflictError, InvalidAppError, type AppRepository, type InvalidAppListener } from '../../src/apps/app-repository.js';
import { MysqlAppStore } from '../../src/apps/mysql-app-store.js';
import { PostgresAppStore } from '../../src/apps/postgres-app-store.js';
import { SqliteAppStore } from '../../src/apps/sqlite-app-store.js';
import { testApp } from '../helpers/apps.js';
import { databaseAvailable, MYSQL_URL, POSTGRES_URL, rawExecute, uniqueTable, unreachable, type DatabaseKind } from '../helpers/databases.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-app-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));


interface Subject {
  readonly kind: DatabaseKind;
  /** Where raw SQL goes: the file for SQLite, the URL otherwise. */
  readonly target: string;
  readonly problem: () => Promise<string | null>;
  open(table: string, onInvalid?: InvalidAppListener): AppRepository;
}

const sqliteFile = join(dir, 'nested', 'apps.sqlite');
const subjects: Subject[] = [
  { kind: 'sqlite', target: sqliteFile, problem: async () => null, open: (table, onInvalid) => new SqliteAppStore(sqliteFile, table, onInvalid) },
  { kind: 'postgres', target: POSTGRES_URL, problem: () => unreachable('postgres'), open: (table, onInvalid) => new PostgresAppStore(POSTGRES_URL, table, onInvalid) },
  { kind: 'mysql', target: MYSQL_URL, problem: () => unreachable('mysql'), open: (table, onInvalid) => new MysqlAppStore(MYSQL_URL, table, onInvalid) },
];

for (const subject of subjects) {
  describe(`${subject.kind} app store`, () => {
    const table = uniqueTable();
    const invalid: Array<[string, string]> = [];
    let store: AppRepository | undefined;
    let problem: string | null | undefined;

    /** The store, opened once per suite; false when the database is missing (the test is then skipped or failed). */
    async function ready(t: TestContext): Promise<AppRepository | false> {
      problem ??= await subject.problem();
      if (!databaseAvailable(t, subject.kind, problem)) return false;
      if (!store) {
        store = subject.open(table, (id, why) => invalid.push([id, why]));
        await store.init();
      }
      return store;
    }

    after(async () => {
      if (!store) return;
      await store.close();
      await rawExecute(subject.kind, subject.target, `DROP TABLE IF EXISTS ${table}`);
    });

    test('creates its table when missing, and opening it again (or twice at once) is harmless', async (t) => {
      const s = await ready(t);
      if (!s) return;
      const others = [subject.open(table), subject.open(table)];
      await Promise.all(others.map((o) => o.init()));
      await Promise.all(others.map((o) => o.close()));
      assert.deepEqual(await s.list(), []);
    });

    test('an app created is found by id and by key, with every field as it was given', async (t) => {
      const s = await ready(t);
      if (!s) return;
      const shop = testApp('shop', {
        clientEvents: true,
        maxConnections: 50,
        backendEventsPerSecond: 20,
        apiRequestsPerSecond: 30,
        maxChannelsPerEvent: 7,
        allowedOrigins: ['https://shop.example', '*.bücher.example'],
      });
      assert.deepEqual(await s.create(shop), shop);
      assert.deepEqual(await s.findById('shop'), shop);
      assert.deepEqual(await s.findByKey('shop-key'), shop);
      assert.equal(await s.findById('nope'), undefined);
      assert.equal(await s.findByKey('nope'), undefined);
      assert.deepEqual((await s.list()).map((a) => a.id), ['shop']);
    });

    test('an id or key already taken is refused, naming which', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('taken'));
      await assert.rejects(s.create(testApp('taken', { key: 'other-key' })), (err: unknown) => err instanceof AppConflictError && /id 'taken'/.test(err.message));
      await assert.rejects(s.create(testApp('fresh', { key: 'taken-key' })), (err: unknown) => err instanceof AppConflictError && /key 'taken-key'/.test(err.message));
      assert.equal(await s.findById('fresh'), undefined);
    });

    test('keys and ids are case-sensitive', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('Case', { key: 'Case-Key' }));
      await s.create(testApp('case', { key: 'case-key' }));
      assert.equal((await s.findByKey('Case-Key'))?.id, 'Case');
      assert.equal((await s.findByKey('case-key'))?.id, 'case');
      assert.equal(await s.findByKey('CASE-KEY'), undefined);
    });

    test('update changes what it is given and keeps the rest; an unknown id is undefined', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('upd', { clientEvents: true }));
      const updated = await s.update('upd', { enabled: false, maxConnections: 3, secret: 'rotated' });
      assert.deepEqual(updated, testApp('upd', { clientEvents: true, enabled: false, maxConnections: 3, secret: 'rotated' }));
      assert.deepEqual(await s.findByKey('upd-key'), updated);
      assert.deepEqual(await s.update('upd', { maxConnections: null, enabled: true }), testApp('upd', { clientEvents: true, secret: 'rotated' }));
      assert.equal(await s.update('missing', { enabled: false }), undefined);
    });

    test("changing the key to another app's is refused; a free key moves", async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('k1'));
      await s.create(testApp('k2'));
      await assert.rejects(s.update('k1', { key: 'k2-key' }), AppConflictError);
      await s.update('k1', { key: 'k1-new' });
      assert.equal((await s.findByKey('k1-new'))?.id, 'k1');
      assert.equal(await s.findByKey('k1-key'), undefined);
    });

    test('an app breaking the rules is refused before it is written', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await assert.rejects(s.create(testApp('bad', { maxConnections: 0 })), (err: unknown) => err instanceof InvalidAppError && /maxConnections/.test(err.message));
      await assert.rejects(s.create(testApp('x'.repeat(192))), InvalidAppError);
      await s.create(testApp('good'));
      await assert.rejects(s.update('good', { backendEventsPerSecond: -1 }), InvalidAppError);
      assert.equal(await s.findById('bad'), undefined);
      assert.equal((await s.findById('good'))?.backendEventsPerSecond, null);
    });

    test('a row edited by hand into nonsense is skipped and reported; the others are served', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('fine'));
      await s.create(testApp('broken'));
      await rawExecute(subject.kind, subject.target, `UPDATE ${table} SET options = '{"maxConnections": "many"' WHERE id = 'broken'`);
      const ids = (await s.list()).map((a) => a.id);
      assert.ok(ids.includes('fine'));
      assert.ok(!ids.includes('broken'));
      assert.ok(invalid.some(([id]) => id === 'broken'), `expected 'broken' to be reported, got ${JSON.stringify(invalid)}`);
    });

    test('a row written before a limit existed gets its default', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('old'));
      await rawExecute(subject.kind, subject.target, `UPDATE ${table} SET options = '{"clientEvents": true}' WHERE id = 'old'`);
      assert.deepEqual(await s.findById('old'), testApp('old', { clientEvents: true }));
    });

    test('what one store wrote, another opened on the same table reads', async (t) => {
      const s = await ready(t);
      if (!s) return;
      await s.create(testApp('shared', { maxPresenceMembers: 9 }));
      const other = subject.open(table);
      try {
        assert.equal((await other.findByKey('shared-key'))?.maxPresenceMembers, 9);
      } finally {
        await other.close();
      }
    });
  });
}
