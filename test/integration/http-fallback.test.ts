// pusher-js's HTTP fallback transports (xhr_streaming, xhr_polling) against a
// real Herald: the real pusher-js Node build (its xhr transports run on the
// `xmlhttprequest` package it bundles), the `pusher` SDK, and raw HTTP only
// for what a real client never sends.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { SEND_ORDER_WAIT_MS } from '../../src/transport/http-send-order.js';
import { sdkAuthOptions, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid, uniq } from '../helpers/ids.js';
import type { PusherJS, PusherJSOptions } from '../helpers/pusher-js.js';
import { connected, nextEvent, sleep, subscribed, waitFor, withTimeout } from '../helpers/wait.js';
import { startWebSocketBlockingProxy, type BlockingProxy } from '../helpers/websocket-blocking-proxy.js';

type Carrier = 'ws' | 'xhr_streaming' | 'xhr_polling';
const HTTP_TRANSPORTS = ['xhr_streaming', 'xhr_polling'] as const;

/** Long enough for a pusher-js client to notice a dead WebSocket and fall back (it waits 5 s before trying HTTP). */
const FALLBACK_WAIT_MS = 20_000;

interface ClientOptions {
  readonly presence?: Pusher.PresenceChannelData;
  readonly user?: Pusher.UserChannelData;
  /** Where pusher-js sends its HTTP requests; Herald itself by default. */
  readonly httpPort?: number;
  readonly extra?: Partial<PusherJSOptions>;
}

/** A pusher-js client that may only use `carrier`, with channel and user auth signed by the SDK in process. */
function clientOn(h: RunningHerald, t: TestContext | null, carrier: Carrier, opts: ClientOptions = {}): PusherJS {
  const sdk = h.sdk();
  return h.client(t, {
    httpHost: '127.0.0.1',
    httpPort: opts.httpPort ?? h.port,
    enabledTransports: [carrier],
    ...sdkAuthOptions(sdk, opts),
    ...opts.extra,
  });
}

function transportOnServer(h: RunningHerald, socketId: string): string | undefined {
  return h.herald.connections.get(socketId)?.transportKind;
}

interface Members {
  count: number;
  me: { id: string } | null;
  each(cb: (member: { id: string }) => void): void;
}

function memberIds(members: Members): string[] {
  const ids: string[] = [];
  members.each((m) => ids.push(m.id));
  return ids.sort();
}

function membersOf(channel: unknown): Members {
  return (channel as { members: Members }).members;
}

/** `n`, the number pusher-js gives each request of its HTTP sockets. */
function requestNumberOf(path: string): number {
  return Number(new URL(path, 'http://x').searchParams.get('n'));
}

/** The receive requests (streams, polls) the proxy has passed on. */
function receiveRequests(proxy: BlockingProxy): string[] {
  return proxy.requests.filter((path) => /\/(xhr|xhr_streaming)\?/.test(path));
}

let h: RunningHerald;
before(async () => {
  // A short session timeout so that a client that stops polling is seen to leave within the test.
  h = await startHerald({ overrides: { httpFallback: { sessionTimeoutMs: 1500 } } });
});
after(() => h.close());

for (const transport of HTTP_TRANSPORTS) {
  describe(`pusher-js over ${transport}`, () => {
    test('connects over that transport, and the server knows which one carries it', async (t) => {
      const client = clientOn(h, t, transport);
      const socketId = await connected(client);
      assert.match(socketId, /^\d+\.\d+$/);
      assert.equal(transportOnServer(h, socketId), transport);
    });

    test('a public channel receives events triggered by the SDK, in order', async (t) => {
      const client = clientOn(h, t, transport);
      await connected(client);
      const channel = await subscribed(client, uniq('orders'));
      const received: number[] = [];
      const allThree = withTimeout(
        new Promise<void>((resolve) => {
          channel.bind('order.created', (order: { id: number }) => {
            received.push(order.id);
            if (received.length === 3) resolve();
          });
        }),
        'three order.created events',
      );
      for (const id of [1, 2, 3]) await h.sdk().trigger(channel.name, 'order.created', { id });
      await allThree;
      assert.deepEqual(received, [1, 2, 3]);
    });

    test('a private channel receives SDK events and exchanges client events with a WebSocket client', async (t) => {
      const name = uniq('private-room');
      const viaHttp = clientOn(h, t, transport);
      const viaWs = clientOn(h, t, 'ws');
      await Promise.all([connected(viaHttp), connected(viaWs)]);
      const [httpChannel, wsChannel] = await Promise.all([subscribed(viaHttp, name), subscribed(viaWs, name)]);

      const fromSdk = nextEvent<{ total: string }>(httpChannel, 'invoice.paid');
      await h.sdk().trigger(name, 'invoice.paid', { total: '9.90' });
      assert.deepEqual(await fromSdk, { total: '9.90' });

      const atWs = nextEvent<{ text: string }>(wsChannel, 'client-typing', 'client event from the HTTP client');
      assert.equal(httpChannel.trigger('client-typing', { text: 'from http' }), true);
      assert.deepEqual(await atWs, { text: 'from http' });

      const atHttp = nextEvent<{ text: string }>(httpChannel, 'client-typing', 'client event from the WebSocket client');
      assert.equal(wsChannel.trigger('client-typing', { text: 'from ws' }), true);
      assert.deepEqual(await atHttp, { text: 'from ws' });
    });

    test('presence: an HTTP member and a WebSocket member see each other, and the HTTP one leaves when it stops', async (t) => {
      const name = uniq('presence-team');
      const viaWs = clientOn(h, t, 'ws', { presence: { user_id: 'ws-user', user_info: { name: 'Wes' } } });
      await connected(viaWs);
      const wsChannel = await subscribed(viaWs, name);

      const joined = nextEvent<{ id: string; info: { name: string } }>(wsChannel, 'pusher:member_added', 'the HTTP member to join');
      const viaHttp = clientOn(h, null, transport, { presence: { user_id: 'http-user', user_info: { name: 'Hattie' } } });
      t.after(() => viaHttp.disconnect());
      const httpSocketId = await connected(viaHttp);
      const httpChannel = await subscribed(viaHttp, name);
      assert.deepEqual(await joined, { id: 'http-user', info: { name: 'Hattie' } });
      const members = (httpChannel as unknown as { members: Members }).members;
      assert.deepEqual(memberIds(members), ['http-user', 'ws-user']);
      assert.equal(members.me?.id, 'http-user');

      // pusher-js posts nothing when it disconnects; it aborts its stream or waiting poll, and the server sees that.
      const left = nextEvent<{ id: string }>(wsChannel, 'pusher:member_removed', 'the HTTP member to leave');
      viaHttp.disconnect();
      const removed = await withTimeout(left, 'member_removed after the HTTP session expired', 6000);
      assert.equal(removed.id, 'http-user');
      assert.equal(h.herald.connections.get(httpSocketId), undefined);
    });

    test('signs in and receives events sent to its user', async (t) => {
      const userId = uniq('user');
      const client = clientOn(h, t, transport, { user: { id: userId, user_info: { name: 'Uma' } } });
      await connected(client);
      // Signed in once pusher-js has also joined the user's own channel, which it does after pusher:signin_success.
      const userChannelJoined = withTimeout(
        new Promise<void>((resolve) => {
          client.connection.bind('message', (m: { event: string; channel?: string }) => {
            if (m.event === 'pusher_internal:subscription_succeeded' && m.channel === `#server-to-user-${userId}`) resolve();
          });
        }),
        'sign-in and the subscription to the user channel',
      );
      client.signin();
      await userChannelJoined;
      const got = nextEvent<{ n: number }>(client.user, 'notice', 'an event sent to the user');
      await h.sdk().sendToUser(userId, 'notice', { n: 7 });
      assert.deepEqual(await got, { n: 7 });

      const terminated = nextEvent<{ data: { code: number } }>(client.connection, 'error', 'the error that ends a terminated connection');
      await h.sdk().terminateUserConnections(userId);
      assert.equal((await terminated).data.code, 4009);
      await waitFor(() => client.connection.state === 'disconnected', 'pusher-js to stay disconnected after being terminated');
    });

    test('an unknown app key is refused with 4001 and pusher-js does not retry', async (t) => {
      const client = h.client(t, { httpHost: '127.0.0.1', httpPort: h.port, enabledTransports: [transport] }, 'no-such-key');
      // A refusal during the handshake comes wrapped, as it does over a WebSocket.
      const refused = await nextEvent<{ error: { data: { code: number; message: string } } }>(client.connection, 'error', 'the refusal');
      assert.equal(refused.error.data.code, 4001);
      assert.match(refused.error.data.message, /no-such-key/);
      await waitFor(() => client.connection.state === 'disconnected', 'pusher-js to give up');
    });
  });
}

describe('automatic fallback', () => {
  let proxy: BlockingProxy;
  before(async () => {
    proxy = await startWebSocketBlockingProxy(h.port);
  });
  after(() => proxy.close());

  test('a client whose WebSocket upgrade is refused ends up connected over HTTP and receives events', async (t) => {
    // Default transports: pusher-js tries ws, then wss, then its HTTP transports, all through the proxy.
    const client = h.client(t, {
      wsHost: '127.0.0.1',
      wsPort: proxy.port,
      wssPort: proxy.port,
      httpHost: '127.0.0.1',
      httpPort: proxy.port,
      enabledTransports: undefined,
    });
    await withTimeout(
      new Promise((resolve) => client.connection.bind('connected', resolve)),
      'pusher-js to fall back to HTTP',
      FALLBACK_WAIT_MS,
    );
    const socketId = client.connection.socket_id;
    assert.ok(proxy.refusedUpgrades > 0, 'the WebSocket was tried first and refused');
    const carrier = transportOnServer(h, socketId);
    assert.ok(carrier === 'xhr_streaming' || carrier === 'xhr_polling', `carried by ${carrier}`);
    const channel = await subscribed(client, uniq('alerts'));
    const got = nextEvent<{ level: string }>(channel, 'alert');
    await h.sdk().trigger(channel.name, 'alert', { level: 'high' });
    assert.deepEqual(await got, { level: 'high' });
  });
});

describe('clients that leave', () => {
  // Sessions expire only after 30 s here: a member removed within 5 s left because its client closed its request.
  let leaving: RunningHerald;
  let proxy: BlockingProxy;
  before(async () => {
    leaving = await startHerald({ overrides: { httpFallback: { sessionTimeoutMs: 30_000 } } });
    proxy = await startWebSocketBlockingProxy(leaving.port);
  });
  after(async () => {
    await proxy.close();
    await leaving.close();
  });

  for (const transport of HTTP_TRANSPORTS) {
    test(`${transport}: a member that calls disconnect() is removed within 5 s; one that keeps its session is not`, async (t) => {
      const name = uniq('presence-leave');
      const watcher = clientOn(leaving, t, 'ws', { presence: { user_id: 'watcher', user_info: {} } });
      await connected(watcher);
      const watched = await subscribed(watcher, name);
      const removed: Array<{ id: string; at: number }> = [];
      watched.bind('pusher:member_removed', (m: { id: string }) => removed.push({ id: m.id, at: Date.now() }));

      const leaver = clientOn(leaving, null, transport, { presence: { user_id: 'leaver', user_info: {} } });
      t.after(() => leaver.disconnect());
      // The one that stays goes through the proxy, which counts its requests.
      const stayer = clientOn(leaving, t, transport, { presence: { user_id: 'stayer', user_info: {} }, httpPort: proxy.port });
      const [leaverSocketId, stayerSocketId] = await Promise.all([connected(leaver), connected(stayer)]);
      const joined = waitFor(() => memberIds(membersOf(watched)).length === 3, 'both HTTP members to join', 5000);
      const [, stayerChannel] = await Promise.all([subscribed(leaver, name), subscribed(stayer, name)]);
      await joined;
      // Let the polls the joins answered be made again. A disconnect() that crosses the server's answer to the
      // client's poll cannot be told from a client on its way back: that session only expires (see the README).
      await sleep(300);

      const disconnectedAt = Date.now();
      leaver.disconnect();
      // Meanwhile the channel is busy: each event answers the staying poller's poll, which it makes again at once.
      const ticks: number[] = [];
      stayerChannel.bind('tick', (tick: { i: number }) => ticks.push(tick.i));
      const receivesBefore = receiveRequests(proxy).length;
      let sent = 0;
      const traffic = (async () => {
        while (Date.now() - disconnectedAt < 5500) {
          await sleep(250);
          await leaving.sdk().trigger(name, 'tick', { i: sent++ });
        }
      })();

      await waitFor(() => removed.some((m) => m.id === 'leaver'), 'member_removed for the member that disconnected', 5000);
      const took = removed.find((m) => m.id === 'leaver')!.at - disconnectedAt;
      assert.ok(took < 5000, `removed ${took} ms after disconnect()`);
      assert.equal(leaving.herald.connections.get(leaverSocketId), undefined);

      // The positive control: over more than the same 5 s, the member that keeps its session stays.
      await traffic;
      await waitFor(() => ticks.length === sent, 'every tick at the staying member');
      assert.deepEqual(
        ticks,
        Array.from({ length: sent }, (_, i) => i),
      );
      assert.deepEqual(
        removed.map((m) => m.id),
        ['leaver'],
      );
      assert.deepEqual(memberIds(membersOf(watched)), ['stayer', 'watcher']);
      assert.equal(leaving.herald.connections.get(stayerSocketId)?.transportKind, transport);
      if (transport === 'xhr_polling') {
        const polls = receiveRequests(proxy).length - receivesBefore;
        assert.ok(polls >= 10, `the staying member polled ${polls} times meanwhile`);
      }
    });
  }
});

describe('client events posted back to back', () => {
  // The proxy holds every other post back for 150 ms, so that the one pusher-js made next reaches Herald first.
  let reorder = false;
  let postsSeen = 0;
  let proxy: BlockingProxy;
  before(async () => {
    proxy = await startWebSocketBlockingProxy(h.port, {
      holdMs: (path) => (reorder && path.includes('/xhr_send') && postsSeen++ % 2 === 0 ? 150 : 0),
    });
  });
  after(() => proxy.close());

  for (const transport of HTTP_TRANSPORTS) {
    test(`${transport}: reach a WebSocket client in the order they were sent, though they reach Herald out of order`, async (t) => {
      const name = uniq('private-sequence');
      const viaHttp = clientOn(h, t, transport, { httpPort: proxy.port });
      const viaWs = clientOn(h, t, 'ws');
      await Promise.all([connected(viaHttp), connected(viaWs)]);
      const [httpChannel, wsChannel] = await Promise.all([subscribed(viaHttp, name), subscribed(viaWs, name)]);
      const count = 8; // within the app's 10 client events a second
      const received: number[] = [];
      const all = withTimeout(
        new Promise<void>((resolve) => {
          wsChannel.bind('client-step', (step: { i: number }) => {
            received.push(step.i);
            if (received.length === count) resolve();
          });
        }),
        `${count} client events`,
        5000,
      );
      const forwardedBefore = proxy.forwarded.length;
      reorder = true;
      postsSeen = 0;
      t.after(() => {
        reorder = false;
      });
      for (let i = 0; i < count; i++) assert.equal(httpChannel.trigger('client-step', { i }), true);
      await all;
      assert.deepEqual(received, Array.from({ length: count }, (_, i) => i));
      // The posts did reach Herald out of order: the test would pass for nothing otherwise.
      const posted = proxy.forwarded.slice(forwardedBefore).filter((path) => path.includes('/xhr_send')).map(requestNumberOf);
      assert.ok(
        posted.some((n, i) => i > 0 && n < posted[i - 1]!),
        `posts reached Herald in the order ${posted.join(', ')}`,
      );
    });
  }
});

describe('stream recycling', () => {
  let recycling: RunningHerald;
  let proxy: BlockingProxy;
  before(async () => {
    recycling = await startHerald({ overrides: { httpFallback: { maxStreamAgeMs: 300 } } });
    proxy = await startWebSocketBlockingProxy(recycling.port);
  });
  after(async () => {
    await proxy.close();
    await recycling.close();
  });

  test('an old stream is handed over to a new request on the same session, without a reconnect', async (t) => {
    const client = clientOn(recycling, t, 'xhr_streaming', { httpPort: proxy.port });
    const socketId = await connected(client);
    const states: string[] = [];
    client.connection.bind('state_change', (s: { current: string }) => states.push(s.current));
    const channel = await subscribed(client, uniq('ticker'));
    const streams = () => proxy.requests.filter((path) => path.includes('/xhr_streaming'));
    const sessions = () => new Set(streams().map((path) => path.split('/').slice(-3, -1).join('/')));
    await waitFor(() => streams().length >= 3, 'the stream to be recycled twice', 5000);
    assert.equal(sessions().size, 1, 'every stream belongs to the one session');

    const got = nextEvent<{ price: number }>(channel, 'tick');
    await recycling.sdk().trigger(channel.name, 'tick', { price: 101 });
    assert.deepEqual(await got, { price: 101 });
    assert.equal(client.connection.socket_id, socketId);
    assert.deepEqual(states, [], 'the connection never left the connected state');
  });

  test('a presence member whose stream is handed over again and again stays a member', async (t) => {
    const name = uniq('presence-recycled');
    const watcher = clientOn(recycling, t, 'ws', { presence: { user_id: 'watcher', user_info: {} } });
    await connected(watcher);
    const watched = await subscribed(watcher, name);
    const removed: string[] = [];
    watched.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));
    const member = clientOn(recycling, t, 'xhr_streaming', { presence: { user_id: 'streamer', user_info: {} }, httpPort: proxy.port });
    const socketId = await connected(member);
    await subscribed(member, name);
    const streamsBefore = proxy.requests.filter((path) => path.includes('/xhr_streaming')).length;
    // Longer than a client that closed its stream is given to come back, several times over.
    await sleep(3500);
    assert.ok(proxy.requests.filter((path) => path.includes('/xhr_streaming')).length - streamsBefore >= 5, 'the stream was handed over meanwhile');
    assert.deepEqual(removed, []);
    assert.deepEqual(memberIds(membersOf(watched)), ['streamer', 'watcher']);
    assert.equal(recycling.herald.connections.get(socketId)?.transportKind, 'xhr_streaming');
  });
});

describe('large streams', () => {
  let proxy: BlockingProxy;
  before(async () => {
    proxy = await startWebSocketBlockingProxy(h.port);
  });
  after(() => proxy.close());

  test('a stream that carries more than pusher-js buffers is switched to a new request without losing an event', async (t) => {
    const client = clientOn(h, t, 'xhr_streaming', { httpPort: proxy.port });
    const socketId = await connected(client);
    const channel = await subscribed(client, uniq('bulk'));
    const received: number[] = [];
    const total = 45;
    const all = withTimeout(
      new Promise<void>((resolve) => {
        channel.bind('part', (part: { i: number }) => {
          received.push(part.i);
          if (received.length === total) resolve();
        });
      }),
      `${total} events of 8 KB`,
      10_000,
    );
    // 45 events of 8 KB take the stream well past the 256 KB after which pusher-js reopens it.
    for (let i = 0; i < total; i++) await h.sdk().trigger(channel.name, 'part', { i, fill: 'x'.repeat(8000) });
    await all;
    assert.deepEqual(received, Array.from({ length: total }, (_, i) => i));
    assert.ok(proxy.requests.filter((path) => path.includes('/xhr_streaming')).length >= 2, 'the stream was reopened');
    assert.equal(client.connection.socket_id, socketId);
  });
});

/** One HTTP session driven by hand, for what pusher-js never sends. */
class RawSession {
  readonly base: string;

  constructor(herald: RunningHerald, key = 'test-key') {
    this.base = `${herald.url}/pusher/app/${key}/123/${rid()}`;
  }

  /** One poll, numbered `n` as pusher-js numbers its requests when given; resolves with the response text. */
  async poll(n?: number): Promise<string> {
    const numbered = n === undefined ? '' : `&n=${n}`;
    const res = await fetch(`${this.base}/xhr?protocol=7&client=js&version=8.6.0${numbered}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    return res.text();
  }

  async post(body: string, method = 'POST', n?: number): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.base}/xhr_send${n === undefined ? '' : `?n=${n}`}`, {
      method,
      body: method === 'GET' ? undefined : body,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  }

  async send(frame: { event: string; data?: unknown; channel?: string }, n?: number): Promise<void> {
    const { status } = await this.post(JSON.stringify([JSON.stringify(frame)]), 'POST', n);
    assert.equal(status, 204);
  }

  /** Opens the session (with polls numbered `n` and `n + 1` when given) and returns its socket id. */
  async open(n?: number): Promise<string> {
    assert.equal(await this.poll(n), 'o\n');
    const established = framesIn(await this.poll(n === undefined ? undefined : n + 1)).find((f) => f.event === 'pusher:connection_established');
    assert.ok(established, 'connection_established on the second poll');
    return (JSON.parse(established.data as string) as { socket_id: string }).socket_id;
  }
}

/** The Pusher frames in the `a[...]` lines of a poll response. */
function framesIn(text: string): Array<{ event: string; data?: unknown; channel?: string }> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('a'))
    .flatMap((line) => (JSON.parse(line.slice(1)) as string[]).map((frame) => JSON.parse(frame) as { event: string; data?: unknown }));
}

describe('bad input', () => {
  test('garbage, oversized posts, unknown sessions and wrong methods get clear errors, and nothing else is disturbed', async (t) => {
    const bystander = clientOn(h, t, 'xhr_polling');
    await connected(bystander);
    const bystanderChannel = await subscribed(bystander, uniq('calm'));

    const session = new RawSession(h);
    await session.open();

    const notJson = await session.post('this is not json');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body, /not valid JSON/);
    const notArray = await session.post('{"event":"pusher:ping"}');
    assert.equal(notArray.status, 400);
    assert.match(notArray.body, /JSON array of frame strings/);
    const notStrings = await session.post('[1,2]');
    assert.equal(notStrings.status, 400);

    const oversized = await session.post(JSON.stringify([JSON.stringify({ event: 'client-big', data: 'x'.repeat(h.herald.settings.maxFrameBytes) })]));
    assert.equal(oversized.status, 413);
    assert.match(oversized.body, /larger than/);

    const unknown = await new RawSession(h).post('[]');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /Unknown or expired session/);
    const wrongMethod = await session.post('', 'GET');
    assert.equal(wrongMethod.status, 405);

    // A frame that is valid JSON but not a Pusher frame is refused by the protocol, on the connection.
    assert.equal((await session.post('["garbage"]')).status, 204);
    await session.send({ event: 'pusher:ping', data: {} });
    const replies = framesIn(await session.poll());
    const events = replies.map((f) => f.event);
    assert.ok(events.includes('pusher:error'), `errors reported on the connection: ${events.join(', ')}`);
    assert.match(JSON.stringify(replies), /Message too large/);
    assert.equal(events.at(-1), 'pusher:pong', 'the session still answers');

    const got = nextEvent<{ ok: boolean }>(bystanderChannel, 'still-here');
    await h.sdk().trigger(bystanderChannel.name, 'still-here', { ok: true });
    assert.deepEqual(await got, { ok: true });
  });
});

describe('session lifecycle', () => {
  let small: RunningHerald;
  before(async () => {
    small = await startHerald({
      overrides: { httpFallback: { maxBufferedBytes: 4096, heartbeatIntervalMs: 300, sessionTimeoutMs: 2000 } },
    });
  });
  after(() => small.close());

  test('a waiting poll is answered with a heartbeat', async () => {
    const session = new RawSession(small);
    await session.open();
    assert.equal(await session.poll(), 'h\n');
  });

  test('a poller that stops collecting its messages is cut off at the buffer limit, not left to grow', async () => {
    const session = new RawSession(small);
    const socketId = await session.open();
    const channel = uniq('flood');
    await session.send({ event: 'pusher:subscribe', data: { channel } });
    assert.ok(framesIn(await session.poll()).some((f) => f.event === 'pusher_internal:subscription_succeeded'));
    // Nobody polls now; each event is 1 KB and the session may hold 4 KB.
    for (let i = 0; i < 6; i++) await small.sdk().trigger(channel, 'chunk', { i, fill: 'x'.repeat(1000) });
    await waitFor(() => small.herald.connections.get(socketId) === undefined, 'the overflowing connection to be closed');
    const last = await session.poll();
    assert.match(last, /^c\[4100,"Over capacity/);
  });

  test('a numbered post whose predecessor never comes waits a bounded time, then is handled', async () => {
    const session = new RawSession(small);
    await session.open(1);
    // Number 3 is never sent: the ping numbered 4 waits for it, then goes without it.
    const sentAt = Date.now();
    await session.send({ event: 'pusher:ping', data: {} }, 4);
    let frames: Array<{ event: string }> = [];
    for (let n = 5; !frames.some((f) => f.event === 'pusher:pong'); n++) {
      assert.ok(Date.now() - sentAt < 3000, 'the pong within 3 s');
      frames = framesIn(await session.poll(n));
    }
    const waited = Date.now() - sentAt;
    assert.ok(waited >= SEND_ORDER_WAIT_MS - 50, `answered after ${waited} ms, not before the wait`);
  });

  test('a session nobody polls expires, and a client coming back to it is told to reconnect', async () => {
    const session = new RawSession(small);
    const socketId = await session.open();
    await waitFor(() => small.herald.connections.get(socketId) === undefined, 'the idle session to expire');
    assert.match(await session.poll(), /^c\[4202,"HTTP session expired/);
  });
});
