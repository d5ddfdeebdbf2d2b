// pusher-js's HTTP fallback (xhr_streaming, xhr_polling) with no sticky
// sessions: its requests spread over two Herald nodes by a round-robin relay,
// and over the two workers of `herald start --workers 2` by the kernel. A
// session lives on the node that opened it; every request that reaches the
// other one is forwarded to it through Redis. The real pusher-js subscribes,
// receives, sends client events and leaves, as if one server answered.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Redis, type Cluster } from 'ioredis';
import { isClusterUrl } from '../../src/adapter/redis/connection.js';
import type Pusher from 'pusher';
import { APP } from '../helpers/herald.js';
import {
  dropPrefix,
  REDIS_URL,
  redisUnavailable,
  spawnNode,
  startNode,
  testRedis,
  uniquePrefix,
  type ChildNode,
  type InProcessNode,
  type NodeHandle,
} from '../helpers/cluster.js';
import { uniq } from '../helpers/ids.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, sleep, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;
const HTTP_TRANSPORTS = ['xhr_streaming', 'xhr_polling'] as const;
type HttpTransport = (typeof HTTP_TRANSPORTS)[number];

/** Session requests: `.../app/{key}/{server}/{session}/{action}?...`. */
const SESSION_REQUEST = /\/app\/[^/]+\/([^/]+\/[^/]+)\/(xhr_send|xhr_streaming|xhr)\?/;

interface Relayed {
  readonly upstream: number;
  readonly session: string;
  readonly action: string;
}

/**
 * A TCP relay that hands each new connection to the next of its upstreams
 * in turn. pusher-js's Node build opens a connection per request, so its
 * requests alternate between the nodes. The turn is kept per kind of session
 * request (stream, poll, post): however posts and polls interleave, each
 * kind reaches both nodes, including a stream reopened on its session.
 */
class RoundRobinRelay {
  readonly relayed: Relayed[] = [];
  private readonly turns = new Map<string, number>();
  /** Upstreams taken out of the turn, as a load balancer whose health check failed would. */
  private readonly down = new Set<number>();
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.accept(client));

  constructor(private readonly upstreams: readonly number[]) {}

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The nodes that received requests of `session`, by kind of request. */
  nodesOf(session: string, action: string): Set<number> {
    return new Set(this.relayed.filter((r) => r.session === session && r.action === action).map((r) => r.upstream));
  }

  takeOut(upstream: number): void {
    this.down.add(upstream);
  }

  sessions(): Set<string> {
    return new Set(this.relayed.map((r) => r.session));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => this.sockets.delete(client));
    // The request line tells which kind of request this connection carries; it is in the first bytes.
    client.once('data', (first: Buffer) => {
      const line = first.toString('latin1', 0, Math.min(first.length, 2048)).split('\r\n', 1)[0] ?? '';
      const session = SESSION_REQUEST.exec(line);
      const kind = session?.[2] ?? 'other';
      let turn = this.turns.get(kind) ?? 0;
      while (this.down.has(turn % this.upstreams.length) && this.down.size < this.upstreams.length) turn++;
      this.turns.set(kind, turn + 1);
      const upstream = turn % this.upstreams.length;
      if (session) this.relayed.push({ upstream, session: session[1]!, action: session[2]! });
      const server = net.connect(this.upstreams[upstream]!, '127.0.0.1');
      this.sockets.add(server);
      server.on('error', () => server.destroy());
      // Either side closing closes the other: a client that aborts its stream is seen to leave.
      server.on('close', () => {
        this.sockets.delete(server);
        client.destroy();
      });
      client.on('close', () => server.destroy());
      server.write(first);
      client.pipe(server).pipe(client);
    });
  }
}

/**
 * Counts the requests nodes forward to each other, by kind, as Redis carries
 * them. On one Redis the nodes' forward topics are plain pub/sub, heard with
 * a pattern. On a Redis Cluster they are sharded (SPUBLISH), which no pattern
 * hears: each master is asked which forward topics it carries (nodes and
 * workers subscribe theirs as they start) and those are subscribed to there.
 */
async function watchForwarding(prefix: string): Promise<{ readonly counts: Map<string, number>; close(): void }> {
  const counts = new Map<string, number>();
  const count = (text: string) => {
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { t: string; head?: { url?: string } };
    if (header.t !== 'req') return;
    const action = SESSION_REQUEST.exec(header.head?.url ?? '')?.[2] ?? 'other';
    counts.set(action, (counts.get(action) ?? 0) + 1);
  };
  const pattern = `${prefix}:forward:*`;
  if (!isClusterUrl(REDIS_URL)) {
    const redis = new Redis(REDIS_URL);
    redis.on('error', () => {});
    redis.on('pmessage', (_pattern: string, _topic: string, text: string) => count(text));
    await redis.psubscribe(pattern);
    return { counts, close: () => redis.disconnect() };
  }
  const cluster = testRedis() as Cluster;
  await cluster.ping();
  const addresses = cluster.nodes('master').map((node) => ({ host: node.options.host, port: node.options.port }));
  cluster.disconnect();
  const masters = addresses.map((address) => ({ query: new Redis(address), listener: new Redis(address), topics: new Set<string>() }));
  for (const master of masters) {
    master.query.on('error', () => {});
    master.listener.on('error', () => {});
    master.listener.on('smessage', (_topic: string, text: string) => count(text));
  }
  const discover = async () => {
    for (const master of masters) {
      const topics = (await master.query.call('PUBSUB', 'SHARDCHANNELS', pattern)) as string[];
      for (const topic of topics.filter((name) => !master.topics.has(name))) {
        master.topics.add(topic);
        // One at a time: an SSUBSCRIBE names topics of one hash slot only.
        await master.listener.ssubscribe(topic);
      }
    }
  };
  await discover();
  const rediscover = setInterval(() => void discover().catch(() => {}), 200);
  return {
    counts,
    close: () => {
      clearInterval(rediscover);
      for (const master of masters) {
        master.query.disconnect();
        master.listener.disconnect();
      }
    },
  };
}

/** A pusher-js client on `transport` only, whose HTTP requests go to `httpPort`. */
function fallbackClient(node: NodeHandle, t: TestContext | null, transport: HttpTransport, httpPort: number, presence?: Pusher.PresenceChannelData): PusherJS {
  return node.client(t, presence ? { presence } : {}, { httpHost: '127.0.0.1', httpPort, enabledTransports: [transport] });
}

/** Enough text that pusher-js, having read it, reopens its stream on the same session (past 256 KiB). */
const STREAM_REOPENING_EVENTS = 40;
const PAD = 'x'.repeat(8000);

/**
 * The whole life of a fallback client whose requests are spread over nodes:
 * it subscribes (private and presence), receives the SDK's events in order
 * (enough of them that a stream is reopened), exchanges client events with a
 * WebSocket client on a node, and when it disconnects the other client sees
 * it leave. Returns its session key (from pusher-js's own URL).
 */
async function fallbackClientLife(
  t: TestContext,
  transport: HttpTransport,
  viaPort: number,
  entry: NodeHandle,
  other: NodeHandle,
  leaveWithinMs: number,
  /** Client events go on (a post each, one a few ms apart, 60 at most) until this holds. */
  spread: () => boolean,
): Promise<void> {
  const room = uniq('private-room');
  const team = uniq('presence-team');
  const watcher = other.client(t, { presence: { user_id: 'ws-watcher', user_info: {} } });
  await connected(watcher);
  const [watchedRoom, watchedTeam] = await Promise.all([subscribed(watcher, room), subscribed(watcher, team)]);

  const client = fallbackClient(entry, null, transport, viaPort, { user_id: 'fallback-user', user_info: { name: 'Fay' } });
  t.after(() => client.disconnect());
  const socketId = await connected(client);
  const joined = nextEvent<{ id: string }>(watchedTeam, 'pusher:member_added', 'the fallback member to join');
  const [clientRoom] = await Promise.all([subscribed(client, room), subscribed(client, team)]);
  assert.equal((await joined).id, 'fallback-user');

  // Events from the SDK arrive all and in the order they were triggered (through one node: the order the cluster keeps).
  const received: number[] = [];
  const all = withTimeout(
    new Promise<void>((resolve) => {
      clientRoom.bind('invoice.paid', (e: { n: number; pad: string }) => {
        assert.equal(e.pad.length, PAD.length);
        received.push(e.n);
        if (received.length === STREAM_REOPENING_EVENTS) resolve();
      });
    }),
    `${STREAM_REOPENING_EVENTS} events at the fallback client`,
    20_000,
  );
  for (let n = 0; n < STREAM_REOPENING_EVENTS; n++) await other.sdk().trigger(room, 'invoice.paid', { n, pad: PAD });
  await all;
  assert.deepEqual(
    received,
    Array.from({ length: STREAM_REOPENING_EVENTS }, (_, n) => n),
  );

  // Client events both ways, several so that posts reach both nodes; more while they have not (60 at most).
  for (let i = 0; i < 4 || (!spread() && i < 60); i++) {
    // Within the app's client event budget (10 a second).
    if (i >= 4) await sleep(150);
    const atWatcher = nextEvent<{ i: number }>(watchedRoom, 'client-typing', `client event ${i} from the fallback client`);
    assert.equal(clientRoom.trigger('client-typing', { i }), true);
    assert.deepEqual(await atWatcher, { i });
    const atClient = nextEvent<{ i: number }>(clientRoom, 'client-typing', `client event ${i} to the fallback client`);
    assert.equal(watchedRoom.trigger('client-typing', { i }), true);
    assert.deepEqual(await atClient, { i });
  }
  // One connection all along: nothing failed over to a new session.
  assert.equal(client.connection.socket_id, socketId);
  assert.equal(client.connection.state, 'connected');

  const left = new Promise<{ id: string }>((resolve) => watchedTeam.bind('pusher:member_removed', resolve));
  // Let the poll that carried the last event be made again: a disconnect() that crosses the server's answer to a
  // poll cannot be told from a client on its way back, and only expires (see http-fallback.test.ts).
  await sleep(300);
  client.disconnect();
  assert.equal((await withTimeout(left, 'member_removed after the fallback client disconnected', leaveWithinMs)).id, 'fallback-user');
}

describe('HTTP fallback over two nodes behind a round-robin relay (no sticky sessions)', { skip }, () => {
  const prefix = uniquePrefix('fallback-any-node');
  let nodes: InProcessNode[];
  let relay: RoundRobinRelay;
  let relayPort: number;
  let forwarding: Awaited<ReturnType<typeof watchForwarding>>;

  before(async () => {
    // Sessions expire only after 30 s: a member removed within 6 s left because its client closed its request,
    // wherever that request was, and the node that held the session heard of it.
    const overrides = { httpFallback: { sessionTimeoutMs: 30_000 } };
    nodes = await Promise.all([startNode(prefix, { overrides }), startNode(prefix, { overrides })]);
    relay = new RoundRobinRelay(nodes.map((n) => n.port));
    relayPort = await relay.listen();
    forwarding = await watchForwarding(prefix);
  });
  after(async () => {
    forwarding?.close();
    await relay?.close();
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await dropPrefix(prefix);
  });

  for (const transport of HTTP_TRANSPORTS) {
    test(`pusher-js on ${transport}: subscribes, receives, sends client events and leaves, its requests served by both nodes`, async (t) => {
      const [a, b] = nodes as [InProcessNode, InProcessNode];
      const sessionsBefore = relay.sessions();
      const forwardedBefore = [...forwarding.counts.values()].reduce((s, c) => s + c, 0);
      await fallbackClientLife(t, transport, relayPort, a, b, 6000, () => true);

      const sessions = [...relay.sessions()].filter((s) => !sessionsBefore.has(s));
      assert.equal(sessions.length, 1, `one session for the whole life of the client, got ${sessions.join(', ')}`);
      const session = sessions[0]!;
      // Each kind of request of that one session reached both nodes: one held it, the other forwarded.
      assert.deepEqual(relay.nodesOf(session, 'xhr_send'), new Set([0, 1]), 'posts on both nodes');
      const receive = transport === 'xhr_streaming' ? 'xhr_streaming' : 'xhr';
      assert.deepEqual(relay.nodesOf(session, receive), new Set([0, 1]), `${receive} requests on both nodes`);
      const forwardedNow = [...forwarding.counts.values()].reduce((s, c) => s + c, 0);
      assert.ok(forwardedNow > forwardedBefore, 'requests were forwarded between the nodes');
      assert.ok((forwarding.counts.get(receive) ?? 0) > 0, `${receive} requests were forwarded`);
      // The session is gone from its holder after the client left.
      await waitFor(() => a.running.herald.connections.count(APP.id) + b.running.herald.connections.count(APP.id) === 1, 'only the watcher left');
    });
  }
});

describe('HTTP fallback with herald start --workers 2', { skip }, () => {
  const prefix = uniquePrefix('fallback-workers');
  let server: ChildNode;
  let forwarding: Awaited<ReturnType<typeof watchForwarding>>;

  before(async () => {
    server = await spawnNode(prefix, ['--workers', '2']);
    await waitFor(() => (server.output().match(/"msg":"worker listening"/g) ?? []).length === 2, 'both workers to listen', 15_000);
    forwarding = await watchForwarding(prefix);
  });
  after(async () => {
    forwarding?.close();
    await server?.close();
    await dropPrefix(prefix);
  });

  for (const transport of HTTP_TRANSPORTS) {
    test(`pusher-js on ${transport}: subscribes, receives, sends client events and leaves, whichever worker each request reaches`, async (t) => {
      const total = () => [...forwarding.counts.values()].reduce((s, c) => s + c, 0);
      const before = total();
      // The kernel, not the test, spreads the connections over the workers: the client goes on posting until
      // some reached the worker that does not hold its session (bounded). Sessions expire after the default 10 s
      // here: a member removed within 6 s left because its client closed its request.
      await fallbackClientLife(t, transport, server.port, server, server, 6000, () => total() > before);
      assert.ok(total() > before, 'requests reached the worker that does not hold the session and were forwarded');
    });
  }
});

describe('HTTP fallback when the node holding a session dies', { skip }, () => {
  const prefix = uniquePrefix('fallback-holder-dies');
  let doomed: ChildNode;
  let survivor: InProcessNode;
  let relay: RoundRobinRelay;
  let relayPort: number;

  before(async () => {
    [doomed, survivor] = await Promise.all([spawnNode(prefix), startNode(prefix)]);
    // The doomed node first: the session is opened there.
    relay = new RoundRobinRelay([doomed.port, survivor.port]);
    relayPort = await relay.listen();
  });
  after(async () => {
    await relay?.close();
    await Promise.all([doomed?.close(), survivor?.close()]);
    await dropPrefix(prefix);
  });

  test('a stream forwarded through the survivor is cut, and pusher-js connects again and receives events', async (t) => {
    const channelName = uniq('alerts');
    const client = fallbackClient(survivor, t, 'xhr_streaming', relayPort);
    const firstSocketId = await connected(client);
    const channel = await subscribed(client, channelName);
    // Enough to make pusher-js reopen its stream on the same session: the second stream goes to the survivor.
    let received = 0;
    channel.bind('pad', () => received++);
    for (let n = 0; n < STREAM_REOPENING_EVENTS; n++) await survivor.sdk().trigger(channelName, 'pad', { n, pad: PAD });
    await waitFor(() => received === STREAM_REOPENING_EVENTS, 'the padding events', 20_000);
    const [session] = [...relay.sessions()];
    await waitFor(() => relay.nodesOf(session!, 'xhr_streaming').has(1), 'a stream of the session opened through the survivor');
    assert.equal(client.connection.socket_id, firstSocketId);

    // The holder dies; the balancer's health check takes it out.
    await doomed.kill('SIGKILL');
    relay.takeOut(0);
    await waitFor(
      () => client.connection.state === 'connected' && client.connection.socket_id !== firstSocketId,
      'pusher-js to connect again with a new session',
      20_000,
    );
    await waitFor(() => channel.subscribed, 'pusher-js to subscribe again', 10_000);
    const got = nextEvent<{ level: string }>(channel, 'alert', 'an event after the holder died');
    await survivor.sdk().trigger(channelName, 'alert', { level: 'high' });
    assert.deepEqual(await got, { level: 'high' });
  });
});
