// The `herald` command as a user runs it: a child process started from the
// CLI entry point, configured by flags, environment and config files, driven
// by real pusher-js clients and the pusher SDK, and stopped with SIGTERM.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import Echo, { type EchoOptions } from 'laravel-echo';
import Pusher from 'pusher';
import { runHerald, startHeraldProcess } from '../helpers/herald-process.js';
import { localClient, PusherJS } from '../helpers/pusher-js.js';
import { sdkClient, statusOf, type Credentials } from '../helpers/sdk.js';
import { connected, nextEvent, subscribed, withTimeout } from '../helpers/wait.js';

const workDir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function writeConfig(name: string, content: string): string {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
}

/** Proves an app is served: a pusher-js subscriber gets an event the SDK triggers with these credentials. */
async function assertAppServed(t: TestContext, port: number, app: Credentials): Promise<void> {
  const client = localClient(t, app.key, port);
  await connected(client);
  const channel = await subscribed(client, 'cli-check');
  const got = nextEvent(channel, 'served');
  const res = await sdkClient(port, app).trigger('cli-check', 'served', { app: app.id });
  assert.equal(res.status, 200);
  assert.deepEqual(await got, { app: app.id });
}

/** The status the HTTP API answers an SDK with these credentials. */
const apiStatus = (port: number, app: Credentials) => statusOf(sdkClient(port, app).get({ path: '/channels' }));

const DEV_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
const WARN = 40;

describe('herald start', () => {
  test('with no configuration serves the development app and warns about it; SIGTERM exits 0', async (t) => {
    const herald = await startHeraldProcess(t);
    const warning = herald.logs.find((l) => l.level === WARN && /development app/.test(l.msg));
    assert.ok(warning, `expected a warning about the development app, got ${JSON.stringify(herald.logs)}`);
    await assertAppServed(t, herald.port, DEV_APP);
    assert.equal(await herald.stop(), 0);
    assert.ok(herald.logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
  });

  test('serves the app given by HERALD_APP_*, without the warning, and not the development app', async (t) => {
    const app = { id: 'env-app', key: 'env-key', secret: 'env-secret' };
    const herald = await startHeraldProcess(t, { env: { HERALD_APP_ID: app.id, HERALD_APP_KEY: app.key, HERALD_APP_SECRET: app.secret } });
    assert.ok(!herald.logs.some((l) => l.level >= WARN), `no warning expected, got ${JSON.stringify(herald.logs)}`);
    assert.ok(!JSON.stringify(herald.logs).includes(app.secret), 'the secret must not be logged');
    await assertAppServed(t, herald.port, app);
    assert.equal(await apiStatus(herald.port, DEV_APP), 404);
    assert.equal(await herald.stop(), 0);
  });

  test('falls back to PUSHER_APP_* (a Laravel .env)', async (t) => {
    const app = { id: 'laravel-app', key: 'laravel-key', secret: 'laravel-secret' };
    const herald = await startHeraldProcess(t, { env: { PUSHER_APP_ID: app.id, PUSHER_APP_KEY: app.key, PUSHER_APP_SECRET: app.secret } });
    await assertAppServed(t, herald.port, app);
    assert.equal(await herald.stop(), 0);
  });

  test("a Laravel app's Reverb .env (REVERB_* only): laravel-echo's reverb broadcaster gets what the back end broadcasts", async (t) => {
    // As `php artisan install:broadcasting --reverb` writes them; REVERB_PORT is where Herald listens.
    const reverbEnv = { REVERB_APP_ID: '483920', REVERB_APP_KEY: 'reverb-key-x8yq', REVERB_APP_SECRET: 'reverb-secret-71kd', REVERB_HOST: '127.0.0.1', REVERB_SCHEME: 'http' };
    const herald = await startHeraldProcess(t, { env: reverbEnv });
    const env = { ...reverbEnv, REVERB_PORT: String(herald.port) };

    // config/broadcasting.php, connection `reverb`: the back end's Pusher client.
    const backEnd = new Pusher({
      appId: env.REVERB_APP_ID,
      key: env.REVERB_APP_KEY,
      secret: env.REVERB_APP_SECRET,
      host: env.REVERB_HOST,
      port: env.REVERB_PORT,
      useTLS: env.REVERB_SCHEME === 'https',
    });
    // resources/js/echo.js as Laravel generates it, VITE_REVERB_* being copies of REVERB_*.
    const options: EchoOptions<'reverb'> = {
      broadcaster: 'reverb',
      key: env.REVERB_APP_KEY,
      wsHost: env.REVERB_HOST,
      wsPort: Number(env.REVERB_PORT),
      wssPort: Number(env.REVERB_PORT),
      forceTLS: env.REVERB_SCHEME === 'https',
      enabledTransports: ['ws', 'wss'],
      enableStats: false,
      Pusher: PusherJS as unknown as NonNullable<EchoOptions<'reverb'>['Pusher']>,
      // /broadcasting/auth, answered by the back end's Pusher client as Laravel's reverb driver does.
      authorizer: (channel) => ({
        authorize: (socketId, done) => done(null, backEnd.authorizeChannel(socketId, channel.name)),
      }),
    };
    const echo = new Echo(options);
    t.after(() => echo.disconnect());

    const shipped = new Promise<unknown>((resolve) => echo.channel('orders').listen('.order.shipped', resolve));
    const paid = new Promise<unknown>((resolve) => echo.private('orders.7').listen('OrderPaid', resolve));
    const pusher = echo.connector.pusher;
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (pusher.channel('orders')?.subscribed && pusher.channel('private-orders.7')?.subscribed) resolve();
        };
        pusher.connection.bind('message', check);
        check();
      }),
      'Echo to subscribe to orders and private-orders.7',
    );
    assert.equal((await backEnd.trigger('orders', 'order.shipped', { id: 7 })).status, 200);
    assert.equal((await backEnd.trigger('private-orders.7', 'App\\Events\\OrderPaid', { id: 7, total: 12.5 })).status, 200);
    assert.deepEqual(await withTimeout(shipped, 'order.shipped through Echo'), { id: 7 });
    assert.deepEqual(await withTimeout(paid, 'OrderPaid through Echo'), { id: 7, total: 12.5 });
    assert.equal(await herald.stop(), 0);
  });

  test('HERALD_PORT and HERALD_HOST are used when no flag is given', async (t) => {
    const herald = await startHeraldProcess(t, { env: { HERALD_PORT: '0', HERALD_HOST: '127.0.0.1' }, loopbackFreePort: false });
    assert.equal(herald.logs.find((l) => l.msg === 'herald listening')?.host, '127.0.0.1');
    await assertAppServed(t, herald.port, DEV_APP);
    assert.equal(await herald.stop(), 0);
  });

  test('--host and --port win over HERALD_HOST and HERALD_PORT', async (t) => {
    // HERALD_PORT=1 would fail to bind (or bind port 1); --port 0 must be used instead.
    const herald = await startHeraldProcess(t, { env: { HERALD_PORT: '1', HERALD_HOST: '0.0.0.0' } });
    assert.notEqual(herald.port, 1);
    assert.equal(herald.logs.find((l) => l.msg === 'herald listening')?.host, '127.0.0.1');
    assert.equal(await herald.stop(), 0);
  });

  test('serves every app of a --config file', async (t) => {
    const shop = { id: 'shop', key: 'shop-key', secret: 'shop-secret' };
    const blog = { id: 'blog', key: 'blog-key', secret: 'blog-secret' };
    const config = writeConfig('two-apps.json', JSON.stringify({ apps: [{ ...shop, clientEvents: true }, blog] }));
    const herald = await startHeraldProcess(t, { args: ['--config', config] });
    assert.ok(!herald.logs.some((l) => l.level >= WARN));
    await assertAppServed(t, herald.port, shop);
    await assertAppServed(t, herald.port, blog);
    // Each app's secret signs for that app only.
    assert.equal(await apiStatus(herald.port, { ...shop, secret: blog.secret }), 401);
    assert.equal(await herald.stop(), 0);
  });

  test('HERALD_CONFIG names the config file', async (t) => {
    const app = { id: 'from-env-file', key: 'from-env-file-key', secret: 'from-env-file-secret' };
    const config = writeConfig('env-config.json', JSON.stringify({ apps: [app] }));
    const herald = await startHeraldProcess(t, { env: { HERALD_CONFIG: config } });
    await assertAppServed(t, herald.port, app);
    assert.equal(await herald.stop(), 0);
  });
});

describe('herald start refuses an invalid configuration', () => {
  const refused = async (args: string[], env: Record<string, string>, message: RegExp) => {
    const { code, stderr } = await runHerald(['start', '--host', '127.0.0.1', '--port', '0', ...args], env);
    assert.notEqual(code, 0, 'must exit non-zero');
    assert.match(stderr, message);
    assert.doesNotMatch(stderr, /^\s+at /m, 'a configuration mistake deserves a message, not a stack trace');
  };

  test('a config file that is not JSON', async () => {
    const path = writeConfig('broken.json', '{ "apps": [ ');
    await refused(['--config', path], {}, /config file .*broken\.json is not valid JSON/);
  });

  test('a config file that does not exist', async () => {
    await refused(['--config', join(workDir, 'missing.json')], {}, /cannot read config file .*missing\.json/);
  });

  test('an unknown key in the config file, named', async () => {
    const path = writeConfig('unknown-key.json', JSON.stringify({ prot: 6001 }));
    await refused(['--config', path], {}, /invalid config file .*prot/);
    const appKey = writeConfig('unknown-app-key.json', JSON.stringify({ apps: [{ ...DEV_APP, clientEvent: true }] }));
    await refused(['--config', appKey], {}, /apps\.0.*clientEvent/);
  });

  test('a value of the wrong type, named with its path', async () => {
    const path = writeConfig('wrong-type.json', JSON.stringify({ apps: [{ ...DEV_APP, maxConnections: 'many' }] }));
    await refused(['--config', path], {}, /apps\.0\.maxConnections/);
  });

  test('two apps sharing a key', async () => {
    const path = writeConfig('shared-key.json', JSON.stringify({ apps: [DEV_APP, { ...DEV_APP, id: 'another-id' }] }));
    await refused(['--config', path], {}, /two apps share the key 'app-key'/);
  });

  test('only some of the HERALD_APP_* variables', async () => {
    await refused([], { HERALD_APP_ID: 'half', HERALD_APP_KEY: 'half-key' }, /HERALD_APP_SECRET/);
  });

  test('a port that is not a number', async () => {
    const { code, stderr } = await runHerald(['start', '--port', 'eighty'], {});
    assert.notEqual(code, 0);
    assert.match(stderr, /invalid port/);
  });

  test('an unknown flag', async () => {
    const { code, stderr } = await runHerald(['start', '--prot', '6001'], {});
    assert.notEqual(code, 0);
    assert.match(stderr, /--prot/);
  });
});

describe('herald trigger', () => {
  test('sends a signed event that a pusher-js subscriber receives', async (t) => {
    const app = { HERALD_APP_ID: 'trigger-app', HERALD_APP_KEY: 'trigger-key', HERALD_APP_SECRET: 'trigger-secret' };
    const herald = await startHeraldProcess(t, { env: app });
    const client = localClient(t, app.HERALD_APP_KEY, herald.port);
    const channel = await subscribed(client, 'c');
    // Waited for from before the command starts: the time covers starting a Node process, which a busy machine makes slow.
    const got = nextEvent(channel, 'e', 'the triggered event', 30_000);
    const run = await runHerald(['trigger', '--channel', 'c', '--event', 'e', '--data', '{"a":1}', '--port', String(herald.port)], app);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^200 /);
    assert.deepEqual(await got, { a: 1 });
    assert.equal(await herald.stop(), 0);
  });

  test('exits non-zero when the server refuses, printing its answer', async (t) => {
    const herald = await startHeraldProcess(t, { env: { HERALD_APP_ID: 'a', HERALD_APP_KEY: 'k', HERALD_APP_SECRET: 'right' } });
    const run = await runHerald(['trigger', '--channel', 'c', '--event', 'e', '--port', String(herald.port)], {
      HERALD_APP_ID: 'a',
      HERALD_APP_KEY: 'k',
      HERALD_APP_SECRET: 'wrong',
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /^401 .*signature/);
    assert.equal(await herald.stop(), 0);
  });

  test('requires --channel and --event', async () => {
    const run = await runHerald(['trigger', '--event', 'e'], {});
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /--channel and --event are required/);
  });
});
