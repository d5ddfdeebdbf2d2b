import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { testApp } from '../../test/helpers/apps.js';
import { RecordingTransport } from '../../test/helpers/recording-transport.js';
import { waitFor } from '../../test/helpers/wait.js';
import { LocalAdapter } from '../adapter/local-adapter.js';
import type { App } from '../apps/app.js';
import { ChannelService } from '../channels/channel-service.js';
import { Connection } from '../connection/connection.js';
import { DomainEvents, type DomainEventMap } from '../events/domain-events.js';
import { channelAuthMessage, hmacSha256Hex } from '../protocol/signatures.js';
import { FrameHandler } from './frame-handler.js';

const APP = testApp('shop', { clientEvents: true });

/** One node's frame handling over the real local adapter and channel service, with what it logged at error kept. */
function nodeFor(app: App = APP) {
  const adapter = new LocalAdapter(() => 0);
  const { subscribers, localUsers } = adapter;
  const activity = new DomainEvents();
  const channels = new ChannelService(adapter, subscribers, activity);
  const logged: { msg: string; err?: { message: string } }[] = [];
  const log = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as { msg: string });
        done();
      },
    }),
  );
  const handler = new FrameHandler({ adapter, channels, localUsers, activity, log });
  let count = 0;
  /** A client of `app` on this node, already admitted. */
  const connect = () => {
    count++;
    const transport = new RecordingTransport();
    return { conn: new Connection(`${count}.${count}`, app, transport), transport };
  };
  return { handler, channels, activity, adapter, logged, connect };
}

type Client = ReturnType<ReturnType<typeof nodeFor>['connect']>;

const send = (node: ReturnType<typeof nodeFor>, { conn }: Client, frame: unknown) => node.handler.receive(conn, typeof frame === 'string' ? frame : JSON.stringify(frame));

/** Resolves once the client has been sent `count` frames named `event`. */
const received = (client: Client, event: string, count = 1) =>
  waitFor(() => client.transport.named(event).length >= count, `${count} × ${event} to socket ${client.conn.socketId}`);

const errorsOf = (client: Client) => client.transport.named('pusher:error').map((f) => f.data as { code: number | null; message: string });

/** The `auth` an app's endpoint would give this client for a private or presence channel. */
const authFor = ({ conn }: Client, channel: string, channelData?: string) =>
  `${conn.app.key}:${hmacSha256Hex(conn.app.secret, channelAuthMessage(conn.socketId, channel, channelData))}`;

/** Subscribes the client to presence-room as `userId`, signed as the app would. */
function join(node: ReturnType<typeof nodeFor>, client: Client, userId: string): void {
  const channelData = JSON.stringify({ user_id: userId });
  send(node, client, { event: 'pusher:subscribe', data: { channel: 'presence-room', auth: authFor(client, 'presence-room', channelData), channel_data: channelData } });
}

describe('FrameHandler: dispatch', () => {
  test('pusher:ping is answered with pusher:pong', () => {
    const node = nodeFor();
    const client = node.connect();
    send(node, client, { event: 'pusher:ping', data: {} });
    assert.deepEqual(client.transport.frames(), [{ event: 'pusher:pong', data: {} }]);
  });

  test('a frame that is not JSON is answered with a pusher:error without code, and the connection goes on', () => {
    const node = nodeFor();
    const client = node.connect();
    send(node, client, '{"event":"pusher:ping"');
    assert.equal(errorsOf(client).length, 1);
    assert.equal(errorsOf(client)[0]!.code, null);
    assert.match(errorsOf(client)[0]!.message, /^Invalid message/);
    send(node, client, { event: 'pusher:ping', data: {} });
    assert.equal(client.transport.named('pusher:pong').length, 1);
    assert.deepEqual(client.transport.closes, []);
  });

  test('an event the protocol does not have is answered with a pusher:error that names it', () => {
    const node = nodeFor();
    const client = node.connect();
    send(node, client, { event: 'pusher:teleport', data: {} });
    send(node, client, { event: 'hello', data: {} });
    assert.deepEqual(
      errorsOf(client).map((e) => e.message),
      ['Unsupported event received on socket: pusher:teleport', 'Unsupported event received on socket: hello'],
    );
    assert.deepEqual(client.transport.closes, []);
  });

  test("pusher:subscribe to a public channel: subscription_succeeded, then the channel's events; after pusher:unsubscribe, none", async () => {
    const node = nodeFor();
    const client = node.connect();
    send(node, client, { event: 'pusher:subscribe', data: { channel: 'news' } });
    await received(client, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(client.transport.named('pusher_internal:subscription_succeeded'), [{ event: 'pusher_internal:subscription_succeeded', channel: 'news', data: {} }]);

    await node.channels.publish(APP, { channel: 'news', event: 'headline', data: '{"n":1}' });
    assert.deepEqual(client.transport.named('headline'), [{ event: 'headline', channel: 'news', data: { n: 1 } }]);

    send(node, client, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    // A ping after the unsubscribe is answered after it: once the pong is here, the unsubscribe is done.
    send(node, client, { event: 'pusher:ping', data: {} });
    await received(client, 'pusher:pong');
    await node.channels.publish(APP, { channel: 'news', event: 'headline', data: '{"n":2}' });
    assert.equal(client.transport.named('headline').length, 1);
  });

  test('frames are answered in the order they were sent, even when one of them waits', async () => {
    const node = nodeFor();
    const client = node.connect();
    send(node, client, { event: 'pusher:subscribe', data: { channel: 'news' } });
    send(node, client, { event: 'pusher:ping', data: {} });
    await received(client, 'pusher:pong');
    assert.deepEqual(
      client.transport.frames().map((f) => f.event),
      ['pusher_internal:subscription_succeeded', 'pusher:pong'],
    );
  });

  test('a client event on a private channel reaches the other subscribers, not its sender', async () => {
    const node = nodeFor();
    const [sender, other] = [node.connect(), node.connect()];
    for (const client of [sender, other]) {
      send(node, client, { event: 'pusher:subscribe', data: { channel: 'private-chat', auth: authFor(client, 'private-chat') } });
      await received(client, 'pusher_internal:subscription_succeeded');
    }
    send(node, sender, { event: 'client-typing', channel: 'private-chat', data: { who: 'ann' } });
    await received(other, 'client-typing');
    assert.deepEqual(other.transport.named('client-typing'), [{ event: 'client-typing', channel: 'private-chat', data: { who: 'ann' } }]);
    assert.deepEqual(sender.transport.named('client-typing'), []);
    assert.deepEqual(errorsOf(sender), []);
  });
});

describe('FrameHandler: failures of a handler', () => {
  test('a refusal a handler throws is a pusher:error with its words, told to the activity feed; the connection goes on', async () => {
    const node = nodeFor();
    const told: DomainEventMap['error_sent'][] = [];
    node.activity.on('error_sent', (e) => told.push(e));
    const client = node.connect();
    send(node, client, { event: 'pusher:subscribe', data: {} });
    send(node, client, { event: 'client-typing', channel: 'private-chat', data: {} });
    await waitFor(() => errorsOf(client).length === 2, 'two pusher:error');
    assert.match(errorsOf(client)[0]!.message, /pusher:subscribe needs data\.channel/);
    assert.match(errorsOf(client)[1]!.message, /not subscribed to private-chat/);
    assert.deepEqual(
      told.map((e) => [e.socketId, e.code, e.message]),
      errorsOf(client).map((e) => [client.conn.socketId, null, e.message]),
    );
    assert.deepEqual(client.transport.closes, []);
  });

  test('an unexpected failure is a pusher:error that tells nothing of it, and is logged', async (t: TestContext) => {
    const node = nodeFor();
    t.mock.method(node.adapter.cache, 'get', async () => {
      throw new Error('the cache is on fire');
    });
    const client = node.connect();
    send(node, client, { event: 'pusher:subscribe', data: { channel: 'cache-prices' } });
    await waitFor(() => errorsOf(client).length === 1, 'a pusher:error');
    assert.deepEqual(errorsOf(client), [{ code: null, message: 'Internal error while handling the message' }]);
    assert.ok(!client.transport.sent.some((f) => f.includes('on fire')), 'the cause stays on the server');
    assert.deepEqual(
      node.logged.map((l) => [l.msg, l.err?.message]),
      [['handling a client frame failed', 'the cache is on fire']],
    );
    send(node, client, { event: 'pusher:ping', data: {} });
    await received(client, 'pusher:pong');
  });
});

describe('FrameHandler: disconnected', () => {
  test('the connection leaves its channels after the frames still in flight: the others see its member come and go', async () => {
    const node = nodeFor();
    const [leaver, stayer] = [node.connect(), node.connect()];
    join(node, stayer, 'stan');
    await received(stayer, 'pusher_internal:subscription_succeeded');

    // The disconnect comes while the subscribe is still being handled.
    join(node, leaver, 'lea');
    let done = false;
    node.handler.disconnected(leaver.conn, () => (done = true));
    await waitFor(() => done, 'the cleanup to be done');
    assert.deepEqual(
      stayer.transport.frames().filter((f) => f.event.startsWith('pusher_internal:member_')),
      [
        { event: 'pusher_internal:member_added', channel: 'presence-room', data: { user_id: 'lea' } },
        { event: 'pusher_internal:member_removed', channel: 'presence-room', data: { user_id: 'lea' } },
      ],
    );
  });

  test('frames after the disconnect are not handled: a subscribe then would leave a member behind', async () => {
    const node = nodeFor();
    const [leaver, stayer] = [node.connect(), node.connect()];
    join(node, stayer, 'stan');
    await received(stayer, 'pusher_internal:subscription_succeeded');
    let done = false;
    node.handler.disconnected(leaver.conn, () => (done = true));
    join(node, leaver, 'lea');
    send(node, leaver, { event: 'pusher:ping', data: {} });
    await waitFor(() => done, 'the cleanup to be done');
    // Everything here settles within microtasks: after a turn of the event loop, a handled subscribe would have shown.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(stayer.transport.named('pusher_internal:member_added'), []);
    assert.deepEqual(leaver.transport.sent, []);
  });
});
