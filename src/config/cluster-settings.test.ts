import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings, SettingsError } from './settings.js';

test('one local node by default', () => {
  const s = loadSettings({ env: {} });
  assert.equal(s.adapter, 'local');
  assert.equal(s.workers, 1);
  assert.equal(s.redisPrefix, 'herald');
});

test('the Redis adapter from the environment, flags winning over it', () => {
  const env = { HERALD_ADAPTER: 'redis', HERALD_REDIS_URL: 'redis://cache:6380/2', HERALD_REDIS_PREFIX: 'eu', HERALD_WORKERS: '2' };
  const s = loadSettings({ env });
  assert.deepEqual([s.adapter, s.redisUrl, s.redisPrefix, s.workers], ['redis', 'redis://cache:6380/2', 'eu', 2]);
  assert.equal(loadSettings({ env, flags: { 'redis-prefix': 'us', workers: '4' } }).redisPrefix, 'us');
});

test('wrong cluster settings stop the start with a message naming them', () => {
  assert.throws(() => loadSettings({ env: { HERALD_ADAPTER: 'memcached' } }), (e: unknown) => e instanceof SettingsError && /adapter/.test(e.message));
  assert.throws(() => loadSettings({ env: { HERALD_WORKERS: '2' } }), (e: unknown) => e instanceof SettingsError && /HERALD_ADAPTER=redis/.test(e.message));
  assert.throws(
    () => loadSettings({ env: { HERALD_NODE_HEARTBEAT_MS: '1000', HERALD_NODE_TIMEOUT_MS: '1500' } }),
    (e: unknown) => e instanceof SettingsError && /twice/.test(e.message),
  );
});

test('node heartbeat and timeout from the config file, the environment winning over it; the rule holds there too', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cluster-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = (content: unknown) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const config = configFile({ nodeHeartbeatMs: 250, nodeTimeoutMs: 2000 });
  const s = loadSettings({ env: {}, flags: { config } });
  assert.deepEqual([s.nodeHeartbeatMs, s.nodeTimeoutMs], [250, 2000]);
  assert.equal(loadSettings({ env: { HERALD_NODE_TIMEOUT_MS: '3000' }, flags: { config } }).nodeTimeoutMs, 3000);
  assert.throws(
    () => loadSettings({ env: {}, flags: { config: configFile({ nodeHeartbeatMs: 1000, nodeTimeoutMs: 1500 }) } }),
    (e: unknown) => e instanceof SettingsError && /twice/.test(e.message),
  );
});
