import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSettings, SettingsError } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-metrics-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (env: NodeJS.ProcessEnv, message: RegExp) =>
  assert.throws(
    () => loadSettings({ env }),
    (err: unknown) => err instanceof SettingsError && message.test(err.message),
  );

test('by default /metrics is open on the main port', () => {
  const s = loadSettings({ env: {} });
  assert.deepEqual([s.metricsToken, s.metricsPort, s.metricsHost], [null, null, null]);
});

test('token, port and host come from the environment, or else the config file', () => {
  const env = { HERALD_METRICS_TOKEN: 'a-metrics-token-0123', HERALD_METRICS_PORT: '9464', HERALD_METRICS_HOST: '10.0.0.5' };
  const s = loadSettings({ env });
  assert.deepEqual([s.metricsToken, s.metricsPort, s.metricsHost], ['a-metrics-token-0123', 9464, '10.0.0.5']);

  const file = join(dir, 'metrics.json');
  writeFileSync(file, JSON.stringify({ metricsToken: 'from-the-file-0123456', metricsPort: 9100 }));
  const fromFile = loadSettings({ env: { HERALD_METRICS_PORT: '9200' }, flags: { config: file } });
  assert.deepEqual([fromFile.metricsToken, fromFile.metricsPort, fromFile.metricsHost], ['from-the-file-0123456', 9200, null]);
});

test('a short token, a bad port, a host without a port and the main port are refused, naming the setting', () => {
  refused({ HERALD_METRICS_TOKEN: 'short' }, /metrics token \(HERALD_METRICS_TOKEN\).*16 characters/);
  refused({ HERALD_METRICS_PORT: 'nine' }, /metrics port \(HERALD_METRICS_PORT\)/);
  refused({ HERALD_METRICS_PORT: '70000' }, /metrics port/);
  refused({ HERALD_METRICS_HOST: '127.0.0.1' }, /HERALD_METRICS_HOST needs HERALD_METRICS_PORT/);
  refused({ HERALD_PORT: '7000', HERALD_METRICS_PORT: '7000' }, /must differ from the main port \(7000\)/);
  refused({ HERALD_METRICS_PORT: '6001' }, /must differ from the main port \(6001\)/);
});
