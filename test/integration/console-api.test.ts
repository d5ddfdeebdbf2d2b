// The console's HTTP side without a browser: login, the per-app live stream
// (Server-Sent Events) and the event creator, against a real Herald.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { openConsoleStream } from '../helpers/console-stream.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';

const TOKEN = 'console-api-test-token-41d2';
const OTHER_APP = { id: 'other-app', key: 'other-key', secret: 'other-secret' } as const;
const auth = { authorization: `Bearer ${TOKEN}` };

let h: RunningHerald;
before(async () => {
  h = await startHerald({
    apps: [{ ...APP, clientEvents: true, userAuthentication: true }, OTHER_APP],
    overrides: { consoleToken: TOKEN },
  });
});
after(() => h.close());

const openStream = (t: TestContext, appId: string) => openConsoleStream(t, h.url, appId, TOKEN);

test('the console is off without a token, and its paths say so', async () => {
  const off = await startHerald();
  try {
    const page = await fetch(`${off.url}/console`);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /HERALD_CONSOLE_TOKEN/);
    assert.equal((await fetch(`${off.url}/console/api/apps`, { headers: auth })).status, 404);
  } finally {
    await off.close();
  }
});

test('login trades the token for a session cookie; a wrong token gets 401', async () => {
  const post = (token: string) =>
    fetch(`${h.url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const wrong = await post('wrong-token-wrong-token');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);

  const right = await post(TOKEN);
  assert.equal(right.status, 200);
  const cookie = right.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const apps = await fetch(`${h.url}/console/api/apps`, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(apps.status, 200);
  const body = (await apps.json()) as { apps: Array<Record<string, unknown>> };
  assert.deepEqual(body.apps.map((a) => a.id).sort(), [APP.id, OTHER_APP.id].sort());
  assert.ok(body.apps.every((a) => !('secret' in a)));
  assert.ok(!JSON.stringify(body).includes(APP.secret));
});

test('a form post from another site cannot send events with the session (JSON only)', async () => {
  const res = await fetch(`${h.url}/console/api/apps/${APP.id}/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'channel=orders&name=x&data=1',
  });
  assert.equal(res.status, 400);
});

test('the stream carries this app activity only, with snapshots and stats', async (t) => {
  const stream = openStream(t, APP.id);
  await stream.ready;
  await stream.until((m) => m.event === 'stats', 'first stats');
  await stream.until((m) => m.event === 'snapshot', 'first snapshot');

  const client = h.client(t);
  const socketId = await connected(client);
  await subscribed(client, 'orders');
  await stream.until((m) => m.data.type === 'connection_opened' && m.data.socketId === socketId, 'connection_opened');
  await stream.until((m) => m.data.type === 'subscribed' && m.data.channel === 'orders', 'subscribed');
  const snapshot = await stream.until(
    (m) => m.event === 'snapshot' && JSON.stringify(m.data).includes('"orders"'),
    'a snapshot with orders',
  );
  assert.equal(snapshot.data.connections, 1);

  await h.sdk({ appId: OTHER_APP.id, key: OTHER_APP.key, secret: OTHER_APP.secret }).trigger('orders', 'other-app-event', {});
  await h.sdk().trigger('orders', 'this-app-event', {});
  await stream.until((m) => m.data.event === 'this-app-event', 'this app event');
  assert.equal(stream.seen.filter((m) => m.data.event === 'other-app-event').length, 0);
  for (const m of stream.seen) assert.equal('appId' in m.data, false);
});

test('the event creator publishes like the HTTP API and validates like it', async (t) => {
  const stream = openStream(t, APP.id);
  await stream.ready;
  const client = h.client(t);
  const orders = await subscribed(client, 'orders');

  const send = (body: unknown) =>
    fetch(`${h.url}/console/api/apps/${APP.id}/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const got = nextEvent(orders, 'from-console');
  const ok = await send({ channel: 'orders', name: 'from-console', data: '{"n":1}' });
  assert.equal(ok.status, 200);
  assert.deepEqual(await got, { n: 1 });
  await stream.until((m) => m.data.type === 'api_event' && m.data.event === 'from-console', 'the api_event of the console event');

  const badChannel = await send({ channel: 'no spaces allowed', name: 'x', data: '{}' });
  assert.equal(badChannel.status, 400);
  const tooBig = await send({ channel: 'orders', name: 'x', data: 'x'.repeat(20_000) });
  assert.equal(tooBig.status, 413);
  const unknownApp = await fetch(`${h.url}/console/api/apps/nope/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'orders', name: 'x', data: '{}' }),
  });
  assert.equal(unknownApp.status, 404);
});
