// Private channels: pusher-js asks the app for a signature (a custom handler
// or a real HTTP auth endpoint, as Laravel's /broadcasting/auth) and Herald
// admits only subscriptions signed for that socket, channel and app secret.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test, type TestContext } from 'node:test';
import type { ChannelAuthorizationData, ChannelAuthorizationRequestParams } from 'pusher-js/types/src/core/auth/options.js';
import { APP, establishedRawSocket, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { frameData } from '../helpers/raw-socket.js';
import { connected, nextEvent, recordMessages, subscribed, waitForMessage, withTimeout } from '../helpers/wait.js';

let h: RunningHerald;
before(async () => {
  h = await startHerald();
});
after(() => h.close());

test('a private channel authorized by the SDK in a custom handler receives events', async (t) => {
  const client = signedClient(h, t);
  await connected(client);
  const name = `private-orders-${rid()}`;
  const channel = await subscribed(client, name);
  const got = nextEvent<unknown>(channel, 'order.shipped');
  await h.sdk().trigger(name, 'order.shipped', { id: 7, note: 'für dich' });
  assert.deepEqual(await got, { id: 7, note: 'für dich' });
  assert.equal(await h.herald.adapter.subscriptionCount(APP.id, name), 1);
});

test('a private channel authorized through an HTTP auth endpoint (ajax transport) receives events', async (t) => {
  const sdk = h.sdk();
  const requests: Array<{ socketId: string | null; channelName: string | null; csrf: string | undefined }> = [];
  // What Laravel's /broadcasting/auth does: read the form, check the session, sign.
  const endpoint = await listen(t, (body, headers) => {
    const form = new URLSearchParams(body);
    const socketId = form.get('socket_id');
    const channelName = form.get('channel_name');
    requests.push({ socketId, channelName, csrf: headers['x-csrf-token'] });
    if (headers['x-csrf-token'] !== 'token-1' || !socketId || !channelName) return { status: 403, body: { message: 'Forbidden' } };
    return { status: 200, body: sdk.authorizeChannel(socketId, channelName) };
  });
  const client = h.client(t, {
    channelAuthorization: { endpoint: `${endpoint}/broadcasting/auth`, transport: 'ajax', headers: { 'X-CSRF-TOKEN': 'token-1' } },
  });
  const socketId = await connected(client);
  const name = `private-invoices-${rid()}`;
  const channel = await subscribed(client, name);
  assert.deepEqual(requests, [{ socketId, channelName: name, csrf: 'token-1' }]);

  const got = nextEvent<unknown>(channel, 'invoice.paid');
  await sdk.trigger(name, 'invoice.paid', { amount: 12 });
  assert.deepEqual(await got, { amount: 12 });
});

test('an auth endpoint that answers 403 leaves the channel unsubscribed with an AuthError', async (t) => {
  const endpoint = await listen(t, () => ({ status: 403, body: { message: 'Forbidden' } }));
  const client = h.client(t, { channelAuthorization: { endpoint: `${endpoint}/broadcasting/auth`, transport: 'ajax' } });
  await connected(client);
  const name = `private-admin-${rid()}`;
  const error = nextEvent<{ type: string; status: number }>(client.subscribe(name), 'pusher:subscription_error');
  assert.deepEqual(pick(await error, 'type', 'status'), { type: 'AuthError', status: 403 });
  assert.equal(await h.herald.adapter.subscriptionCount(APP.id, name), 0);
});

test('a token signed with the wrong secret is refused and nothing is delivered', async (t) => {
  const wrong = h.sdk({ secret: `wrong-${rid()}` });
  await expectRefused(t, (p) => wrong.authorizeChannel(p.socketId, p.channelName));
});

test('a token issued for another socket is refused', async (t) => {
  const sdk = h.sdk();
  await expectRefused(t, (p) => {
    const [a, b] = p.socketId.split('.') as [string, string];
    return sdk.authorizeChannel(`${a}.${String(BigInt(b) + 1n)}`, p.channelName);
  });
});

test('a token issued for another channel is refused', async (t) => {
  const sdk = h.sdk();
  await expectRefused(t, (p) => sdk.authorizeChannel(p.socketId, `private-elsewhere-${rid()}`));
});

test('a token for another app key is refused', async (t) => {
  const other = h.sdk({ key: 'other-key' });
  await expectRefused(t, (p) => other.authorizeChannel(p.socketId, p.channelName));
});

test('an empty auth token is refused', async (t) => {
  await expectRefused(t, () => ({ auth: '' }));
});

test('a subscribe frame without any auth is refused on a raw socket', async (t) => {
  const raw = await establishedRawSocket(h, t);
  const name = `private-raw-${rid()}`;
  raw.send({ event: 'pusher:subscribe', data: { channel: name } });
  const error = await raw.next((f) => f.event === 'pusher:subscription_error' && f.channel === name, 'subscription_error');
  assert.equal(frameData<{ type: string }>(error).type, 'AuthError');
  await raw.pingPong();
  assert.equal(raw.frames.some((f) => f.event === 'pusher_internal:subscription_succeeded'), false);
  assert.equal(await h.herald.adapter.subscriptionCount(APP.id, name), 0);
});

test("Laravel-style user channels (private-user.{id}, private-App.Models.User.{id}) work", async (t) => {
  const client = signedClient(h, t);
  await connected(client);
  const sdk = h.sdk();
  for (const name of [`private-user.${Math.floor(Math.random() * 1e6)}`, 'private-App.Models.User.42']) {
    const channel = await subscribed(client, name);
    const got = nextEvent<unknown>(channel, 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated');
    await sdk.trigger(name, 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated', { type: 'invoice', id: name });
    assert.deepEqual(await got, { type: 'invoice', id: name });
  }
});

/**
 * Subscribes with a token from `makeAuth` and checks the server refused it:
 * a channel-scoped pusher:subscription_error from the server, no
 * subscription, and an event triggered afterwards never arrives (a control
 * event on another channel, sent after it, does).
 */
async function expectRefused(
  t: TestContext,
  makeAuth: (params: ChannelAuthorizationRequestParams) => ChannelAuthorizationData,
): Promise<void> {
  const client = h.client(t, { channelAuthorization: { customHandler: (p, callback) => callback(null, makeAuth(p)) } });
  const messages = recordMessages(client);
  await connected(client);
  const control = `control-${rid()}`;
  await subscribed(client, control);

  const name = `private-refused-${rid()}`;
  const channel = client.subscribe(name);
  const outcome = await withTimeout(
    new Promise<{ error?: { type: string; status: number }; succeeded?: true }>((resolve) => {
      channel.bind('pusher:subscription_error', (error: { type: string; status: number }) => resolve({ error }));
      channel.bind('pusher:subscription_succeeded', () => resolve({ succeeded: true }));
    }),
    `the outcome of subscribing to ${name}`,
  );
  assert.equal(outcome.succeeded, undefined, 'the server accepted a bad token');
  assert.equal(outcome.error?.type, 'AuthError');
  assert.equal(outcome.error?.status, 401);
  // The refusal came over the wire, not from pusher-js itself.
  assert.ok(messages.some((m) => m.event === 'pusher:subscription_error' && m.channel === name));
  assert.equal(channel.subscribed, false);
  assert.equal(await h.herald.adapter.subscriptionCount(APP.id, name), 0);

  const sdk = h.sdk();
  await sdk.trigger(name, 'secret-event', { secret: rid() });
  await sdk.trigger(control, 'control-event', {});
  await waitForMessage(messages, (m) => m.channel === control && m.event === 'control-event', 'the control event');
  assert.deepEqual(
    messages.filter((m) => m.channel === name).map((m) => m.event),
    ['pusher:subscription_error'],
    'a refused subscriber must receive nothing on the channel',
  );
  assert.equal(client.connection.state, 'connected', 'a refused subscription leaves the connection open');
}

type Handler = (body: string, headers: Record<string, string | undefined>) => { status: number; body: unknown };

/** A tiny app back end with an auth endpoint; closed after the test. */
async function listen(t: TestContext, handle: Handler): Promise<string> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const { status, body } = handle(Buffer.concat(chunks).toString('utf8'), headers);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = value[k];
  return out;
}
