import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_MAX_CHANNELS_PER_CONNECTION } from '../apps/app-schema.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { DEVELOPMENT_APP, loadSettings, SettingsError } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a config file (JSON unless given as text) and returns its path. */
function configFile(content: unknown): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Asserts that loading fails with a SettingsError whose message matches. */
function refused(input: Parameters<typeof loadSettings>[0], message: RegExp): void {
  assert.throws(
    () => loadSettings(input),
    (err: unknown) => {
      assert.ok(err instanceof SettingsError, `expected a SettingsError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

const SHOP = { id: 'shop', key: 'shop-key', secret: 'shop-secret' };

describe('defaults', () => {
  test('with nothing configured: 0.0.0.0:6001, info, 120 s, the development app', () => {
    const s = loadSettings({ env: {} });
    assert.equal(s.host, '0.0.0.0');
    assert.equal(s.port, 6001);
    assert.equal(s.logLevel, 'info');
    assert.equal(s.activityTimeoutSeconds, 120);
    assert.equal(s.usingDevelopmentApp, true);
    assert.equal(s.apps.length, 1);
    assert.deepEqual({ id: s.apps[0]?.id, key: s.apps[0]?.key, secret: s.apps[0]?.secret }, DEVELOPMENT_APP);
    assert.equal(s.apps[0]?.clientEvents, true);
    assert.equal(s.apps[0]?.userAuthentication, true);
  });

  test('an app from a file gets the protocol limits and conservative switches', () => {
    const s = loadSettings({ env: {}, flags: { config: configFile({ apps: [SHOP] }) } });
    assert.equal(s.usingDevelopmentApp, false);
    assert.deepEqual(s.apps, [
      {
        ...SHOP,
        enabled: true,
        clientEvents: false,
        userAuthentication: false,
        maxConnections: null,
        maxPresenceMembers: ProtocolLimits.presenceMembers,
        maxEventPayloadBytes: ProtocolLimits.eventPayloadBytes,
        clientEventsPerSecond: ProtocolLimits.clientEventsPerSecond,
        maxChannelsPerEvent: ProtocolLimits.channelsPerEvent,
        maxChannelsPerConnection: DEFAULT_MAX_CHANNELS_PER_CONNECTION,
        maxConnectionsPerAddress: null,
        backendEventsPerSecond: null,
        apiRequestsPerSecond: null,
        allowedOrigins: [],
        subscriptionCountEvents: false,
        webhooks: [],
        history: [],
      },
    ]);
  });
});

describe('precedence: flags > environment > file > defaults', () => {
  const file = configFile({ host: 'file.host', port: 1001, logLevel: 'warn', activityTimeoutSeconds: 30 });
  const env = { HERALD_HOST: 'env.host', HERALD_PORT: '2002', HERALD_LOG_LEVEL: 'debug', HERALD_ACTIVITY_TIMEOUT: '60' };
  const flags = { host: 'flag.host', port: '3003' };

  test('the file overrides the defaults', () => {
    const s = loadSettings({ env: {}, flags: { config: file } });
    assert.deepEqual([s.host, s.port, s.logLevel, s.activityTimeoutSeconds], ['file.host', 1001, 'warn', 30]);
  });

  test('the environment overrides the file', () => {
    const s = loadSettings({ env, flags: { config: file } });
    assert.deepEqual([s.host, s.port, s.logLevel, s.activityTimeoutSeconds], ['env.host', 2002, 'debug', 60]);
  });

  test('flags override the environment', () => {
    const s = loadSettings({ env, flags: { ...flags, config: file } });
    assert.deepEqual([s.host, s.port], ['flag.host', 3003]);
  });

  test('overrides (for embedders and tests) come last', () => {
    const s = loadSettings({ env, flags: { ...flags, config: file }, overrides: { host: '127.0.0.1', port: 0 } });
    assert.deepEqual([s.host, s.port], ['127.0.0.1', 0]);
  });

  test('--config wins over HERALD_CONFIG', () => {
    const fromEnv = configFile({ port: 4004 });
    const fromFlag = configFile({ port: 5005 });
    assert.equal(loadSettings({ env: { HERALD_CONFIG: fromEnv } }).port, 4004);
    assert.equal(loadSettings({ env: { HERALD_CONFIG: fromEnv }, flags: { config: fromFlag } }).port, 5005);
  });

  test('port 0 (any free port) is allowed', () => {
    assert.equal(loadSettings({ env: {}, flags: { port: '0' } }).port, 0);
  });
});

describe('apps', () => {
  test('HERALD_APP_* gives one app with client events and user authentication on', () => {
    const s = loadSettings({ env: { HERALD_APP_ID: 'a', HERALD_APP_KEY: 'k', HERALD_APP_SECRET: 's' } });
    assert.equal(s.usingDevelopmentApp, false);
    assert.deepEqual(
      s.apps.map((a) => [a.id, a.key, a.secret, a.clientEvents, a.userAuthentication]),
      [['a', 'k', 's', true, true]],
    );
  });

  test('PUSHER_APP_* is the fallback, and HERALD_APP_* wins field by field', () => {
    const pusher = { PUSHER_APP_ID: 'p-id', PUSHER_APP_KEY: 'p-key', PUSHER_APP_SECRET: 'p-secret' };
    assert.deepEqual(
      loadSettings({ env: pusher }).apps.map((a) => [a.id, a.key, a.secret]),
      [['p-id', 'p-key', 'p-secret']],
    );
    assert.deepEqual(
      loadSettings({ env: { ...pusher, HERALD_APP_KEY: 'h-key' } }).apps.map((a) => [a.id, a.key, a.secret]),
      [['p-id', 'h-key', 'p-secret']],
    );
  });

  test('REVERB_APP_* (a Laravel .env for Reverb) comes after PUSHER_APP_*', () => {
    const reverb = { REVERB_APP_ID: 'r-id', REVERB_APP_KEY: 'r-key', REVERB_APP_SECRET: 'r-secret' };
    assert.deepEqual(
      loadSettings({ env: reverb }).apps.map((a) => [a.id, a.key, a.secret, a.clientEvents, a.userAuthentication]),
      [['r-id', 'r-key', 'r-secret', true, true]],
    );
    assert.deepEqual(
      loadSettings({ env: { ...reverb, PUSHER_APP_ID: 'p-id', HERALD_APP_SECRET: 'h-secret' } }).apps.map((a) => [a.id, a.key, a.secret]),
      [['p-id', 'r-key', 'h-secret']],
    );
    refused({ env: { REVERB_APP_ID: 'r-id', REVERB_APP_KEY: 'r-key' } }, /REVERB_APP_\*/);
  });

  test("the file's apps and the environment's app are served together", () => {
    const s = loadSettings({
      env: { HERALD_APP_ID: 'env', HERALD_APP_KEY: 'env-key', HERALD_APP_SECRET: 'env-secret' },
      flags: { config: configFile({ apps: [SHOP] }) },
    });
    assert.deepEqual(s.apps.map((a) => a.id), ['shop', 'env']);
  });

  test('overrides replace every other source of apps', () => {
    const s = loadSettings({
      env: { HERALD_APP_ID: 'env', HERALD_APP_KEY: 'env-key', HERALD_APP_SECRET: 'env-secret' },
      flags: { config: configFile({ apps: [SHOP] }) },
      overrides: { apps: [{ id: 'only', key: 'only-key', secret: 'only-secret' }] },
    });
    assert.deepEqual(s.apps.map((a) => a.id), ['only']);
  });

  test('a file sets per-app switches and limits', () => {
    const app = { ...SHOP, enabled: false, maxConnections: 5, maxEventPayloadBytes: 100, allowedOrigins: ['*.shop.example'] };
    const [loaded] = loadSettings({ env: {}, flags: { config: configFile({ apps: [app] }) } }).apps;
    assert.equal(loaded?.enabled, false);
    assert.equal(loaded?.maxConnections, 5);
    assert.equal(loaded?.maxEventPayloadBytes, 100);
    assert.deepEqual(loaded?.allowedOrigins, ['*.shop.example']);
  });
});

describe('validation names what is wrong', () => {
  test('a config file that cannot be read or is not JSON', () => {
    refused({ env: {}, flags: { config: join(dir, 'missing.json') } }, /cannot read config file .*missing\.json/);
    refused({ env: {}, flags: { config: configFile('{"apps": [') } }, /config file .* is not valid JSON/);
  });

  test('an unknown key, at the top or in an app', () => {
    refused({ env: {}, flags: { config: configFile({ prot: 6001 }) } }, /invalid config file .*"prot"/);
    refused({ env: {}, flags: { config: configFile({ apps: [{ ...SHOP, clientEvent: true }] }) } }, /apps\.0.*"clientEvent"/);
  });

  test('a wrong type, with its path', () => {
    refused({ env: {}, flags: { config: configFile({ apps: [{ ...SHOP, maxConnections: 'many' }] }) } }, /apps\.0\.maxConnections/);
    refused({ env: {}, flags: { config: configFile({ apps: [{ ...SHOP, enabled: 'yes' }] }) } }, /apps\.0\.enabled/);
    refused({ env: {}, flags: { config: configFile({ apps: [SHOP, { id: 'b', key: 'b' }] }) } }, /apps\.1\.secret/);
    refused({ env: {}, flags: { config: configFile({ apps: [{ ...SHOP, id: '' }] }) } }, /apps\.0\.id/);
    refused({ env: {}, flags: { config: configFile({ activityTimeoutSeconds: -1 }) } }, /activityTimeoutSeconds/);
    refused({ env: {}, flags: { config: configFile({ apps: SHOP }) } }, /apps/);
  });

  test('only some of the HERALD_APP_* variables', () => {
    refused({ env: { HERALD_APP_ID: 'a', HERALD_APP_KEY: 'k' } }, /HERALD_APP_SECRET/);
    refused({ env: { PUSHER_APP_SECRET: 's' } }, /all three of HERALD_APP_ID, HERALD_APP_KEY and HERALD_APP_SECRET/);
  });

  test('two apps with the same id or key', () => {
    const other = { id: 'other', key: 'other-key', secret: 'x' };
    refused({ env: {}, flags: { config: configFile({ apps: [SHOP, { ...other, key: SHOP.key }] }) } }, /two apps share the key 'shop-key'/);
    refused({ env: {}, flags: { config: configFile({ apps: [SHOP, { ...other, id: SHOP.id }] }) } }, /two apps share the id 'shop'/);
    refused(
      { env: { HERALD_APP_ID: SHOP.id, HERALD_APP_KEY: 'env-key', HERALD_APP_SECRET: 'x' }, flags: { config: configFile({ apps: [SHOP] }) } },
      /two apps share the id 'shop'/,
    );
  });

  test('a port that is not a port number', () => {
    refused({ env: {}, flags: { port: 'eighty' } }, /invalid port/);
    refused({ env: {}, flags: { port: '65536' } }, /invalid port/);
    refused({ env: { HERALD_PORT: '-1' } }, /invalid port/);
    refused({ env: { HERALD_PORT: '80.5' } }, /invalid port/);
  });

  test('an activity timeout that is not a positive number of seconds', () => {
    refused({ env: { HERALD_ACTIVITY_TIMEOUT: '0' } }, /invalid activity timeout/);
    refused({ env: { HERALD_ACTIVITY_TIMEOUT: 'soon' } }, /invalid activity timeout/);
  });

  test('an unknown log level, listing the known ones', () => {
    refused({ env: { HERALD_LOG_LEVEL: 'loud' } }, /invalid log level.*"info"/);
    refused({ env: {}, flags: { config: configFile({ logLevel: 'verbose' }) } }, /invalid log level/);
  });
});

test('an empty environment variable counts as unset (HERALD_PORT= does not mean port 0)', () => {
  const settings = loadSettings({ env: { HERALD_PORT: '', HERALD_HOST: '' } });
  assert.equal(settings.port, 6001);
  assert.equal(settings.host, '0.0.0.0');
});

test('WebSocket compression is off unless turned on, by the environment or the file', () => {
  assert.equal(loadSettings({ env: {} }).perMessageDeflate, false);
  assert.equal(loadSettings({ env: { HERALD_PERMESSAGE_DEFLATE: 'true' } }).perMessageDeflate, true);
  assert.equal(loadSettings({ env: {}, flags: { config: configFile({ perMessageDeflate: true }) } }).perMessageDeflate, true);
  assert.equal(loadSettings({ env: { HERALD_PERMESSAGE_DEFLATE: 'false' }, flags: { config: configFile({ perMessageDeflate: true }) } }).perMessageDeflate, false);
  refused({ env: { HERALD_PERMESSAGE_DEFLATE: 'yes' } }, /invalid permessage-deflate/);
});

test('connections per client address: no limit unless set, by the environment or the file', () => {
  assert.equal(loadSettings({ env: {} }).maxConnectionsPerAddress, null);
  assert.equal(loadSettings({ env: { HERALD_MAX_CONNECTIONS_PER_ADDRESS: '200' } }).maxConnectionsPerAddress, 200);
  assert.equal(loadSettings({ env: { HERALD_MAX_CONNECTIONS_PER_ADDRESS: 'none' } }).maxConnectionsPerAddress, null);
  assert.equal(loadSettings({ env: {}, flags: { config: configFile({ maxConnectionsPerAddress: 50 }) } }).maxConnectionsPerAddress, 50);
  assert.equal(loadSettings({ env: { HERALD_MAX_CONNECTIONS_PER_ADDRESS: 'none' }, flags: { config: configFile({ maxConnectionsPerAddress: 50 }) } }).maxConnectionsPerAddress, null);
  for (const wrong of ['0', '-1', '1.5', 'lots']) {
    refused({ env: { HERALD_MAX_CONNECTIONS_PER_ADDRESS: wrong } }, /invalid max connections per address/);
  }
  refused({ env: {}, flags: { config: configFile({ maxConnectionsPerAddress: 0 }) } }, /maxConnectionsPerAddress/);
});
