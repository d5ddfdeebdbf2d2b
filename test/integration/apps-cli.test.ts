// `herald apps` as an operator runs it (a child process from the CLI entry
// point) against the real SQLite file, PostgreSQL and MariaDB, and a running
// Herald that picks up what it does within the cache TTL: a created app
// connects, a limit applies, a rotated secret replaces the old one, a
// disabled app is refused and its clients closed with 4003.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startHerald, type RunningHerald } from '../helpers/herald.js';
import { runHerald } from '../helpers/herald-process.js';
import { sdkClient, statusOf, type Credentials } from '../helpers/sdk.js';
import { databaseAvailable, MYSQL_URL, POSTGRES_URL, rawExecute, uniqueTable, unreachable } from '../helpers/databases.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

/** The running Herald's cache TTL in these tests; waits for a change allow many of them. */
const TTL_MS = 300;
const CHANGE_WAIT_MS = 5000;

const workDir = mkdtempSync(join(tmpdir(), 'herald-apps-cli-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs `herald apps …` with only the given Herald settings in its environment. */
const apps = (args: string[], env: Record<string, string>) => runHerald(['apps', ...args], env);

/** Runs a command that must succeed and parses its JSON output. */
async function appsJson<T = StoredApp>(args: string[], env: Record<string, string>): Promise<T> {
  const result = await apps([...args, '--json'], env);
  assert.equal(result.code, 0, `herald apps ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface StoredApp {
  id: string;
  key: string;
  secret?: string;
  enabled: boolean;
  maxConnections: number | null;
  source: string;
}

const sdk = (h: RunningHerald, app: Credentials) => sdkClient(h.port, app);

/** The HTTP status the API answers these credentials. */
const apiStatus = (h: RunningHerald, app: Credentials) => statusOf(sdk(h, app).get({ path: '/channels' }));

/** The code pusher-js was refused with, from its connection `error` event (a refused handshake or a pusher:error). */
function refusalCode(client: PusherJS, what: string, ms?: number): Promise<number | undefined> {
  return nextEvent<{ data?: { code?: number }; error?: { data?: { code?: number } } }>(client.connection, 'error', what, ms).then(
    (e) => e.data?.code ?? e.error?.data?.code,
  );
}

async function pusherEvent(h: RunningHerald, t: TestContext, app: { id: string; key: string; secret: string }): Promise<void> {
  const client = h.client(t, {}, app.key);
  await connected(client);
  const channel = await subscribed(client, 'orders');
  const got = nextEvent(channel, 'order.created');
  await sdk(h, app).trigger('orders', 'order.created', { id: 42 });
  assert.deepEqual(await got, { id: 42 });
}

describe('herald apps with the SQLite store, and a running Herald following it', () => {
  const file = join(workDir, 'data', 'apps.sqlite');
  const env = { HERALD_APP_STORE: 'sqlite', HERALD_DATABASE_URL: file, HERALD_APP_CACHE_TTL_MS: String(TTL_MS) };
  let h: RunningHerald;
  let created: StoredApp & { secret: string };

  before(async () => {
    // Herald starts first, on an empty store: everything below reaches it while it runs.
    h = await startHerald({ apps: [], overrides: { appStore: 'sqlite', databaseUrl: file, appCacheTtlMs: TTL_MS } });
  });
  after(() => h.close());

  test('create prints the app with its secret once; list and show never print a secret', async () => {
    created = await appsJson(
      ['create', '--id', 'shop', '--client-events', 'true', '--backend-events-per-second', '50', '--max-channels-per-connection', '40', '--max-connections-per-address', 'none'],
      env,
    );
    assert.equal(created.id, 'shop');
    assert.match(created.key, /^[0-9a-f]{20}$/);
    assert.match(created.secret, /^[0-9a-f]{40}$/);
    assert.equal(created.source, 'store');

    const listed = await appsJson<StoredApp[]>(['list'], env);
    assert.deepEqual(listed.map((a) => [a.id, a.key, a.source]), [['shop', created.key, 'store']]);
    const table = await apps(['list'], env);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+KEY\s+ENABLED/);
    assert.match(table.stdout, new RegExp(`shop\\s+${created.key}\\s+yes\\s+yes`));
    const shown = await apps(['show', 'shop'], env);
    assert.match(shown.stdout, /backendEventsPerSecond\s+50/);
    assert.match(shown.stdout, /maxChannelsPerConnection\s+40/);
    assert.match(shown.stdout, /maxConnectionsPerAddress\s+none/);
    for (const output of [JSON.stringify(listed), table.stdout, table.stderr, shown.stdout, shown.stderr]) {
      assert.ok(!output.includes(created.secret), 'the secret is printed by create only');
    }
  });

  test('the running Herald serves the created app: pusher-js connects with its key, the SDK triggers with its secret', async (t) => {
    await pusherEvent(h, t, created as Required<StoredApp>);
  });

  test('a limit changed with update applies within the TTL', async (t) => {
    const first = h.client(t, {}, created.key);
    await connected(first);
    const updated = await appsJson(['update', 'shop', '--max-connections', '1'], env);
    assert.equal(updated.maxConnections, 1);
    assert.equal(updated.secret, undefined, 'update does not print the secret');
    await waitFor(
      async () => {
        const probe = h.client(null, {}, created.key);
        const code = await refusalCode(probe, 'the second connection to be refused').catch(() => undefined);
        probe.disconnect();
        return code === 4004;
      },
      'a second connection to be refused with 4004',
      CHANGE_WAIT_MS,
    );
    assert.equal(first.connection.state, 'connected', 'the connection already open stays');
    await appsJson(['update', 'shop', '--max-connections', 'none'], env);
    await waitFor(
      async () => {
        const probe = h.client(null, {}, created.key);
        const outcome = await Promise.race([connected(probe).then(() => 'connected'), refusalCode(probe, 'a refusal')]).catch(() => undefined);
        probe.disconnect();
        return outcome === 'connected';
      },
      'a second connection to be admitted once the limit is lifted',
      CHANGE_WAIT_MS,
    );
  });

  test('history rules set with update are stored and apply within the TTL (the history API finds the channel)', async () => {
    const rules = [{ channels: 'orders-*', maxEvents: 10, maxAgeSeconds: 60 }];
    const updated = await appsJson<StoredApp & { history: unknown }>(['update', 'shop', '--history', JSON.stringify(rules)], env);
    assert.deepEqual(updated.history, rules);
    const shown = await apps(['show', 'shop'], env);
    assert.match(shown.stdout, /history\s+\[\{"channels":"orders-\*","maxEvents":10,"maxAgeSeconds":60\}\]/);
    const history = () => statusOf(sdk(h, created).get({ path: '/channels/orders-1/events' }));
    await waitFor(async () => (await history()) === 200, 'the history API to find orders-1', CHANGE_WAIT_MS);
    await appsJson(['update', 'shop', '--history', '[]'], env);
    await waitFor(async () => (await history()) === 404, 'history to be off again', CHANGE_WAIT_MS);
  });

  test('rotate-secret prints the new secret; the old one stops working for the API and for channel authorization', async (t) => {
    // Opened before the rotation; its channel authorizations are signed with whichever secret the test says.
    let signingSecret = created.secret;
    const before = h.client(
      t,
      {
        channelAuthorization: {
          customHandler: ({ socketId, channelName }, callback) =>
            callback(null, sdk(h, { ...created, secret: signingSecret }).authorizeChannel(socketId, channelName)),
        },
      },
      created.key,
    );
    await connected(before);
    const rotated = await appsJson<StoredApp & { secret: string }>(['rotate-secret', 'shop'], env);
    assert.equal(rotated.key, created.key);
    assert.notEqual(rotated.secret, created.secret);
    const oldCredentials = { ...created };
    const newCredentials = { ...created, secret: rotated.secret };

    await waitFor(async () => (await apiStatus(h, oldCredentials)) === 401, 'the old secret to be refused (401)', CHANGE_WAIT_MS);
    assert.equal(await apiStatus(h, newCredentials), 200);

    const subscription = (name: string) =>
      withTimeout(
        new Promise<'ok' | 'refused'>((resolve) => {
          const channel = before.subscribe(name);
          channel.bind('pusher:subscription_succeeded', () => resolve('ok'));
          channel.bind('pusher:subscription_error', () => resolve('refused'));
        }),
        `the subscription to ${name}`,
      );
    signingSecret = oldCredentials.secret;
    assert.equal(await subscription('private-signed-with-old'), 'refused');
    signingSecret = newCredentials.secret;
    assert.equal(await subscription('private-signed-with-new'), 'ok');
    created = { ...created, secret: rotated.secret };
  });

  test('disable closes the open connections with 4003 and refuses new ones; the API answers 403', async (t) => {
    const open = h.client(t, {}, created.key);
    await connected(open);
    // Listened for before the command runs (starting its process can take seconds); bounded once it has run.
    const closedWith = refusalCode(open, 'the open connection to be told 4003', 60_000);
    const disabled = await appsJson(['disable', 'shop'], env);
    assert.equal(disabled.enabled, false);
    assert.equal(await withTimeout(closedWith, 'the open connection to be closed', CHANGE_WAIT_MS), 4003);
    await waitFor(() => open.connection.state === 'disconnected', 'pusher-js to stay disconnected (4003: do not reconnect)');

    const fresh = h.client(t, {}, created.key);
    assert.equal(await refusalCode(fresh, 'the new connection to be refused'), 4003);
    assert.equal(await apiStatus(h, created as Required<StoredApp>), 403);

    await appsJson(['enable', 'shop'], env);
    await waitFor(async () => (await apiStatus(h, created as Required<StoredApp>)) === 200, 'the app to be enabled again', CHANGE_WAIT_MS);
  });

  test('mistakes are refused with a message and exit code 1, and change nothing', async () => {
    const duplicate = await apps(['create', '--id', 'shop'], env);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /an app with the id 'shop' already exists/);
    const unknown = await apps(['disable', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no app with the id 'nope'/);
    const badValue = await apps(['update', 'shop', '--max-connections', 'lots'], env);
    assert.equal(badValue.code, 1);
    assert.match(badValue.stderr, /--max-connections takes a whole number above 0, not 'lots'/);
    const staticStore = await apps(['create', '--id', 'x'], { HERALD_APP_STORE: 'static' });
    assert.equal(staticStore.code, 1);
    assert.match(staticStore.stderr, /HERALD_APP_STORE=sqlite, postgres or mysql/);
    const listed = await appsJson<StoredApp[]>(['list'], env);
    assert.deepEqual(listed.map((a) => [a.id, a.enabled]), [['shop', true]]);
  });
});

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`herald apps with the ${kind} store`, () => {
    const table = uniqueTable();
    const url = kind === 'postgres' ? POSTGRES_URL : MYSQL_URL;
    let problem: string | null = null;
    let h: RunningHerald | undefined;
    before(async () => {
      problem = await unreachable(kind);
    });
    after(async () => {
      await h?.close();
      if (problem === null) await rawExecute(kind, url, `DROP TABLE IF EXISTS ${table}`);
    });

    test('an app created with the CLI is served by a Herald on the same database', async (t) => {
      if (!databaseAvailable(t, kind, problem)) return;
      const flags = ['--app-store', kind, '--database-url', url];
      const env = { HERALD_APPS_TABLE: table };
      const app = await appsJson<StoredApp & { secret: string }>(['create', ...flags, '--id', `${kind}-app`, '--key', `${kind}-key`], env);
      assert.equal(app.secret.length, 40);
      assert.deepEqual((await appsJson<StoredApp[]>(['list', ...flags], env)).map((a) => a.id), [`${kind}-app`]);

      h = await startHerald({ apps: [], overrides: { appStore: kind, databaseUrl: url, appsTable: table, appCacheTtlMs: TTL_MS } });
      await pusherEvent(h, t, app);
      await appsJson(['disable', `${kind}-app`, ...flags], env);
      await waitFor(async () => (await apiStatus(h!, app)) === 403, 'the disabled app to be refused', CHANGE_WAIT_MS);
    });
  });
}
