import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSettings, SettingsError } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-store-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (input: Parameters<typeof loadSettings>[0], message: RegExp) =>
  assert.throws(() => loadSettings(input), (err: unknown) => err instanceof SettingsError && message.test(err.message));

describe('app store settings', () => {
  test('by default apps are static, with a 5 s cache TTL, under ./.data, in herald_apps', () => {
    const s = loadSettings({ env: {} });
    assert.deepEqual(
      [s.appStore, s.databaseUrl, s.dataDir, s.appsTable, s.appCacheTtlMs],
      ['static', null, './.data', 'herald_apps', 5000],
    );
  });

  test('the environment and the config file choose the store; flags win', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ appStore: 'mysql', databaseUrl: 'mysql://file/db', appsTable: 'apps_from_file', appCacheTtlMs: 2000, dataDir: '/var/lib/herald' }));
    const fromFile = loadSettings({ env: {}, flags: { config: file } });
    assert.deepEqual(
      [fromFile.appStore, fromFile.databaseUrl, fromFile.appsTable, fromFile.appCacheTtlMs, fromFile.dataDir],
      ['mysql', 'mysql://file/db', 'apps_from_file', 2000, '/var/lib/herald'],
    );
    const env = { HERALD_APP_STORE: 'postgres', HERALD_DATABASE_URL: 'postgres://env/db', HERALD_APP_CACHE_TTL_MS: '750' };
    const fromEnv = loadSettings({ env, flags: { config: file } });
    assert.deepEqual([fromEnv.appStore, fromEnv.databaseUrl, fromEnv.appCacheTtlMs], ['postgres', 'postgres://env/db', 750]);
    const fromFlags = loadSettings({ env, flags: { 'app-store': 'sqlite', 'database-url': '/tmp/x.sqlite' } });
    assert.deepEqual([fromFlags.appStore, fromFlags.databaseUrl], ['sqlite', '/tmp/x.sqlite']);
  });

  test('with a database store the development app is not served, but env apps still are', () => {
    const empty = loadSettings({ env: { HERALD_APP_STORE: 'sqlite' } });
    assert.equal(empty.usingDevelopmentApp, false);
    assert.deepEqual(empty.apps, []);
    const withEnvApp = loadSettings({ env: { HERALD_APP_STORE: 'sqlite', HERALD_APP_ID: 'a', HERALD_APP_KEY: 'k', HERALD_APP_SECRET: 's' } });
    assert.deepEqual(withEnvApp.apps.map((a) => a.id), ['a']);
  });

  test('wrong values stop the start, naming the setting', () => {
    refused({ env: { HERALD_APP_STORE: 'mongo' } }, /app store \(HERALD_APP_STORE\)/);
    refused({ env: { HERALD_APP_STORE: 'postgres' } }, /database URL of the postgres app store: set HERALD_DATABASE_URL/);
    refused({ env: { HERALD_APP_STORE: 'mysql' } }, /HERALD_DATABASE_URL to mysql:\/\//);
    refused({ env: { HERALD_APPS_TABLE: 'apps; DROP TABLE x' } }, /apps table/);
    refused({ env: { HERALD_APP_CACHE_TTL_MS: '0' } }, /app cache TTL/);
  });
});
