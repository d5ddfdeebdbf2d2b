import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSettings, SettingsError } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-proxy-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no proxy is trusted by default', () => {
  assert.deepEqual(loadSettings({ env: {} }).trustedProxies, []);
});

test('HERALD_TRUSTED_PROXIES is a comma-separated list of addresses and ranges; the config file takes an array', () => {
  assert.deepEqual(loadSettings({ env: { HERALD_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1' } }).trustedProxies, ['127.0.0.1', '10.0.0.0/8', '::1']);
  const file = join(dir, 'proxies.json');
  writeFileSync(file, JSON.stringify({ trustedProxies: ['192.168.0.0/16', 'fd00::/8'] }));
  assert.deepEqual(loadSettings({ env: {}, flags: { config: file } }).trustedProxies, ['192.168.0.0/16', 'fd00::/8']);
});

test('an entry that is not an address or range is refused at start, naming the setting and the entry', () => {
  for (const [value, message] of [
    ['127.0.0.1,proxy.internal', /trusted proxies \(HERALD_TRUSTED_PROXIES\).*"proxy\.internal" is not an IP address or CIDR range/],
    ['10.0.0.0/33', /"10\.0\.0\.0\/33": the prefix length must be 0 to 32/],
  ] as const) {
    assert.throws(
      () => loadSettings({ env: { HERALD_TRUSTED_PROXIES: value } }),
      (err: unknown) => err instanceof SettingsError && message.test(err.message),
      value,
    );
  }
});
