// herald/client against a real Herald: a pusher-js (or laravel-echo) client
// whose network drops misses nothing. Events published while it was away
// arrive after it reconnects, once each and in order, on public, private,
// presence and encrypted channels, on one node and on two nodes sharing
// Redis (also when the node it was connected to restarts); a gap longer
// than the history kept is reported as `expired`; a client without the
// module sees what it sees today; against an app that keeps no history the
// module does no harm.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import Echo, { type EchoOptions } from 'laravel-echo';
import type Pusher from 'pusher';
import { WebSocketServer } from 'ws';
import { attachRecovery, type Recovery } from 'herald/client';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { APP, sdkAuthOptions, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { localClient, PusherJS, type PusherJS as PusherClient } from '../helpers/pusher-js.js';
import { sdkClient } from '../helpers/sdk.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** pusher-js retries a lost connection with a growing delay; give it room to come back. */
const RECONNECT_MS = 30_000;
const masterKey = randomBytes(32).toString('base64');
const HISTORY = [
  { channels: 'short-*', maxEvents: 3, maxAgeSeconds: 300 },
  { channels: '*', maxEvents: 100, maxAgeSeconds: 300 },
];
const historyApp = { ...APP, clientEvents: true, userAuthentication: true, history: HISTORY };

/** What the resume module reported, per channel. */
interface Reports {
  resumed: Array<[string, number]>;
  failed: Array<[string, string]>;
}

/** A pusher-js client reaching Herald through a relay the test can cut, with herald/client attached (unless `plain`). */
interface Subject {
  readonly client: PusherClient;
  readonly relay: TcpRelay;
  readonly recovery: Recovery | null;
  readonly reports: Reports;
  /** Raw text frames the client received, in order. */
  readonly frames: string[];
  /** The `n` of every `tick` event the app saw, per channel. */
  ticks(channel: string): number[];
  subscribe(channel: string): Promise<void>;
  /** Cuts the network and waits until pusher-js knows it. */
  cut(): Promise<void>;
  /** Restores the network and waits until pusher-js is connected again. */
  restore(): Promise<void>;
}

async function subject(
  t: TestContext,
  port: number,
  sdk: Pusher,
  options: { plain?: boolean; carrier?: 'ws' | 'xhr_streaming' | 'xhr_polling'; resumeTimeoutMs?: number } = {},
): Promise<Subject> {
  const relay = new TcpRelay(port);
  await relay.listen();
  t.after(() => relay.close());
  const carrier = options.carrier ?? 'ws';
  const client = localClient(t, APP.key, relay.port, {
    ...sdkAuthOptions(sdk, { presence: { user_id: `u-${rid()}` } }),
    ...(carrier === 'ws' ? {} : { enabledTransports: [carrier], httpHost: '127.0.0.1', httpPort: relay.port }),
  });
  const reports: Reports = { resumed: [], failed: [] };
  const recovery = options.plain
    ? null
    : attachRecovery(client, {
        ...(options.resumeTimeoutMs === undefined ? {} : { resumeTimeoutMs: options.resumeTimeoutMs }),
        onResumed: (channel, replayed) => reports.resumed.push([channel, replayed]),
        onResumeFailed: (channel, reason) => reports.failed.push([channel, reason]),
      });
  t.after(() => recovery?.detach());
  const frames: string[] = [];
  client.connection.bind('state_change', ({ current }: { current: string }) => {
    if (current === 'connected') client.connection.connection.transport.bind('message', (m: { data: string }) => frames.push(m.data));
  });
  const ticks = new Map<string, number[]>();
  return {
    client,
    relay,
    recovery,
    reports,
    frames,
    ticks: (channel) => ticks.get(channel) ?? [],
    subscribe: async (name) => {
      const channel = client.subscribe(name);
      ticks.set(name, []);
      channel.bind('tick', ({ n }: { n: number }) => ticks.get(name)!.push(n));
      await waitFor(() => channel.subscribed, `the subscription to ${name}`, RECONNECT_MS);
    },
    cut: async () => {
      relay.cut();
      await waitFor(() => client.connection.state !== 'connected', 'pusher-js to notice the cut');
    },
    restore: async () => {
      relay.restore();
      await waitFor(() => client.connection.state === 'connected', 'pusher-js to reconnect', RECONNECT_MS);
    },
  };
}

async function tick(sdk: Pusher, channel: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await sdk.trigger(channel, 'tick', { n });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const KINDS = [
  ['public', () => `resume-${rid()}`],
  ['private', () => `private-resume-${rid()}`],
  ['presence', () => `presence-resume-${rid()}`],
  ['encrypted', () => `private-encrypted-resume-${rid()}`],
] as const;

/** The heart of it: 1..2 live, 3..7 while cut, 8..9 after; every one once, in order, 5 of them replayed. */
async function missesNothing(
  t: TestContext,
  subjectNode: { port: number },
  publisher: Pusher,
  name: string,
  carrier: 'ws' | 'xhr_streaming' | 'xhr_polling' = 'ws',
): Promise<Subject> {
  const s = await subject(t, subjectNode.port, publisher, { carrier });
  await s.subscribe(name);
  await tick(publisher, name, 1, 2);
  await waitFor(() => s.ticks(name).length === 2, `ticks 1-2 on ${name}`);
  const serialBefore = s.recovery!.lastSerial(name);
  assert.ok(serialBefore !== null, 'events on a channel with history carry a serial');

  await s.cut();
  await tick(publisher, name, 3, 7);
  await s.restore();
  await waitFor(() => s.reports.resumed.some(([c]) => c === name), `${name} to be resumed`, RECONNECT_MS);
  await tick(publisher, name, 8, 9);
  await waitFor(() => s.ticks(name).length >= 9, `ticks 1-9 on ${name}`);
  assert.deepEqual(s.ticks(name), range(1, 9));
  assert.deepEqual(s.reports.resumed, [[name, 5]]);
  assert.deepEqual(s.reports.failed, []);
  assert.notEqual(s.recovery!.lastSerial(name), serialBefore);
  return s;
}

describe('one node', () => {
  let h: RunningHerald;
  let sdk: Pusher;
  before(async () => {
    h = await startHerald({ apps: [historyApp] });
    sdk = h.sdk({ encryptionMasterKeyBase64: masterKey });
  });
  after(() => h.close());

  for (const [kind, name] of KINDS) {
    test(`${kind}: what was published while the network was cut arrives after the reconnect, once and in order`, async (t) => {
      await missesNothing(t, h, sdk, name());
    });
  }

  for (const carrier of ['xhr_streaming', 'xhr_polling'] as const) {
    test(`over the HTTP fallback (${carrier}) too: serials and resume frames travel the same way`, async (t) => {
      const s = await missesNothing(t, h, sdk, `private-resume-${rid()}`, carrier);
      assert.equal((s.client.connection.connection?.transport as unknown as { name?: string } | undefined)?.name, carrier);
    });
  }

  test('several channels are resumed by the one herald:recovery frame, sent before the subscribe frames', async (t) => {
    const names = [`resume-${rid()}`, `private-resume-${rid()}`];
    const s = await subject(t, h.port, sdk, { resumeTimeoutMs: 1000 });
    for (const name of names) await s.subscribe(name);
    for (const name of names) await tick(sdk, name, 1, 1);
    await waitFor(() => names.every((n) => s.ticks(n).length === 1), 'the first ticks');
    await s.cut();
    for (const name of names) await tick(sdk, name, 2, 4);
    const before = s.frames.length;
    await s.restore();
    await waitFor(() => s.reports.resumed.length === 2, 'both channels to be resumed', RECONNECT_MS);
    for (const name of names) assert.deepEqual(s.ticks(name), [1, 2, 3, 4]);
    assert.deepEqual(s.reports.resumed.map(([, n]) => n), [3, 3]);
    // What went out is not recorded by pusher-js; what came back shows the replay followed each subscription.
    const after = s.frames.slice(before).map((f) => JSON.parse(f) as { event: string; channel?: string });
    for (const name of names) {
      const onChannel = after.filter((f) => f.channel === name).map((f) => f.event);
      assert.deepEqual(onChannel, ['pusher_internal:subscription_succeeded', 'tick', 'tick', 'tick', 'herald:resume_succeeded']);
    }
    // Herald answered both: nothing is given up once the timeout has passed.
    await sleep(1100);
    assert.deepEqual(s.reports.failed, []);
  });

  test('laravel-echo: the module attaches to an Echo and resumes its channels', async (t) => {
    const relay = new TcpRelay(h.port);
    await relay.listen();
    t.after(() => relay.close());
    const options: EchoOptions<'pusher'> = {
      broadcaster: 'pusher',
      key: APP.key,
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: relay.port,
      wssPort: relay.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      enableStats: false,
      Pusher: PusherJS as unknown as NonNullable<EchoOptions<'pusher'>['Pusher']>,
      authorizer: (channel) => ({ authorize: (socketId, done) => done(null, sdk.authorizeChannel(socketId, channel.name)) }),
    };
    const echo = new Echo(options);
    t.after(() => echo.disconnect());
    const resumed: Array<[string, number]> = [];
    const recovery = attachRecovery(echo, { onResumed: (channel, replayed) => resumed.push([channel, replayed]) });
    t.after(() => recovery.detach());
    const name = `vendor-orders.${rid()}`;
    const seen: number[] = [];
    echo.private(name).listen('.order.created', ({ n }: { n: number }) => seen.push(n));
    await waitFor(() => echo.connector.pusher.channel(`private-${name}`)?.subscribed, 'Echo to subscribe', RECONNECT_MS);
    await sdk.trigger(`private-${name}`, 'order.created', { n: 1 });
    await waitFor(() => seen.length === 1, 'the first order');

    relay.cut();
    await waitFor(() => echo.connector.pusher.connection.state !== 'connected', 'Echo to notice the cut');
    for (const n of [2, 3]) await sdk.trigger(`private-${name}`, 'order.created', { n });
    relay.restore();
    await waitFor(() => resumed.length === 1, 'Echo to be resumed', RECONNECT_MS);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(resumed, [[`private-${name}`, 2]]);
  });

  test('storage carries serials to a new client: a channel subscribed after connecting is resumed with herald:resume', async (t) => {
    const name = `private-stored-${rid()}`;
    const kept = new Map<string, string>();
    const storage = { get: (channel: string) => kept.get(channel), set: (channel: string, serial: string) => void kept.set(channel, serial) };
    const first = localClient(null, APP.key, h.port, sdkAuthOptions(sdk, {}));
    const firstRecovery = attachRecovery(first, { storage });
    const seenFirst: number[] = [];
    first.subscribe(name).bind('tick', ({ n }: { n: number }) => seenFirst.push(n));
    await waitFor(() => first.channel(name)?.subscribed, 'the first client to subscribe');
    await tick(sdk, name, 1, 2);
    await waitFor(() => seenFirst.length === 2, 'ticks 1-2 at the first client');
    assert.equal(kept.get(name), firstRecovery.lastSerial(name));
    first.disconnect(); // the process (or the page) ends; its serial stays in storage

    await tick(sdk, name, 3, 4);
    const second = localClient(t, APP.key, h.port, sdkAuthOptions(sdk, {}));
    const resumed: Array<[string, number]> = [];
    attachRecovery(second, { storage, onResumed: (channel, replayed) => resumed.push([channel, replayed]) });
    await waitFor(() => second.connection.state === 'connected', 'the second client to connect');
    const seen: number[] = [];
    second.subscribe(name).bind('tick', ({ n }: { n: number }) => seen.push(n));
    await waitFor(() => resumed.length === 1, 'the second client to resume');
    await tick(sdk, name, 5, 5);
    await waitFor(() => seen.includes(5), 'tick 5');
    assert.deepEqual(seen, [3, 4, 5]);
    assert.deepEqual(resumed, [[name, 2]]);
  });

  test('attached to a client already connected and subscribed, the module resumes its channels at once', async (t) => {
    const name = `late-${rid()}`;
    await tick(sdk, name, 1, 1);
    // The history API names the serial of the first event, as a back end handing it to a client would.
    const { events } = (await (await sdk.get({ path: `/channels/${name}/events` })).json()) as { events: Array<{ serial: string }> };
    const afterFirst = events[0]!.serial;
    await tick(sdk, name, 2, 3);
    const client = localClient(t, APP.key, h.port);
    const seen: number[] = [];
    client.subscribe(name).bind('tick', ({ n }: { n: number }) => seen.push(n));
    await waitFor(() => client.channel(name)?.subscribed, 'the subscription');
    const resumed: Array<[string, number]> = [];
    const recovery = attachRecovery(client, { storage: { get: () => afterFirst, set: () => {} }, onResumed: (channel, replayed) => resumed.push([channel, replayed]) });
    t.after(() => recovery.detach());
    await waitFor(() => resumed.length === 1, 'the resume');
    assert.deepEqual(seen, [2, 3]);
    assert.deepEqual(resumed, [[name, 2]]);
  });

  test('a gap longer than the history kept is reported as expired, and the channel is live again', async (t) => {
    const name = `short-${rid()}`;
    const s = await subject(t, h.port, sdk);
    await s.subscribe(name);
    await tick(sdk, name, 1, 1);
    await waitFor(() => s.ticks(name).length === 1, 'tick 1');
    await s.cut();
    await tick(sdk, name, 2, 8); // only 3 are kept: 2..5 are gone
    await s.restore();
    await waitFor(() => s.reports.failed.length === 1, 'the resume to fail', RECONNECT_MS);
    assert.deepEqual(s.reports.failed, [[name, 'expired']]);
    assert.deepEqual(s.reports.resumed, []);
    await tick(sdk, name, 9, 9);
    await waitFor(() => s.ticks(name).includes(9), 'tick 9 live');
  });

  test('a client without the module sees what it sees today: no serial, no herald frame, nothing replayed', async (t) => {
    const name = `resume-${rid()}`;
    const plain = await subject(t, h.port, sdk, { plain: true });
    await plain.subscribe(name);
    await tick(sdk, name, 1, 1);
    await waitFor(() => plain.ticks(name).length === 1, 'tick 1');
    await plain.cut();
    await tick(sdk, name, 2, 3);
    await plain.restore();
    await waitFor(() => plain.client.channel(name)?.subscribed, 'the resubscription', RECONNECT_MS);
    await tick(sdk, name, 4, 4);
    await waitFor(() => plain.ticks(name).includes(4), 'tick 4');
    assert.deepEqual(plain.ticks(name), [1, 4]);
    const ticks = plain.frames.filter((f) => f.includes('"tick"'));
    assert.deepEqual(ticks, [1, 4].map((n) => JSON.stringify({ event: 'tick', channel: name, data: JSON.stringify({ n }) })));
    assert.ok(!plain.frames.some((f) => f.includes('herald:') || f.includes('"serial"')), plain.frames.join('\n'));
  });
});

describe('an app that keeps no history', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald();
  });
  after(() => h.close());

  test('the module does no harm: events flow, no error, and it says it had nothing to resume from', async (t) => {
    const sdk = h.sdk();
    const name = `private-plain-${rid()}`;
    const s = await subject(t, h.port, sdk);
    await s.subscribe(name);
    await tick(sdk, name, 1, 1);
    await waitFor(() => s.ticks(name).length === 1, 'tick 1');
    assert.equal(s.recovery!.lastSerial(name), null);
    await s.cut();
    await tick(sdk, name, 2, 2);
    await s.restore();
    await waitFor(() => s.reports.failed.length === 1, 'the module to report it could not resume', RECONNECT_MS);
    assert.deepEqual(s.reports.failed, [[name, 'no_serial']]);
    await tick(sdk, name, 3, 3);
    await waitFor(() => s.ticks(name).includes(3), 'tick 3');
    assert.deepEqual(s.ticks(name), [1, 3]);
    // The cut itself shows as a 1006 close; the server refused nothing the module sent.
    assert.ok(!s.frames.some((f) => f.includes('pusher:error') || f.includes('"serial"')), s.frames.join('\n'));
  });
});

describe('two nodes sharing Redis', async () => {
  const unavailable = await redisUnavailable();
  const prefix = uniquePrefix('history-resume');
  let a: InProcessNode;
  let b: InProcessNode;
  before(async () => {
    if (unavailable) return;
    a = await startNode(prefix, { apps: [historyApp] });
    b = await startNode(prefix, { apps: [historyApp] });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    if (!unavailable) await dropPrefix(prefix);
  });

  for (const [kind, name] of KINDS) {
    test(`${kind}: published on the other node while the network was cut, resumed once and in order`, { skip: unavailable ?? false }, async (t) => {
      await missesNothing(t, a, sdkClient(b.port, APP, { encryptionMasterKeyBase64: masterKey }), name());
    });
  }

  test('the node the client was on restarts: the history in Redis survives it', { skip: unavailable ?? false }, async (t) => {
    const name = `private-restart-${rid()}`;
    const publisher = b.sdk();
    const s = await subject(t, a.port, publisher);
    await s.subscribe(name);
    await tick(publisher, name, 1, 2);
    await waitFor(() => s.ticks(name).length === 2, 'ticks 1-2');
    await s.cut();
    const port = a.port;
    await a.close();
    await tick(publisher, name, 3, 5);
    a = await startNode(prefix, { apps: [historyApp], overrides: { port } });
    await tick(a.sdk(), name, 6, 6);
    await s.restore();
    await waitFor(() => s.reports.resumed.length === 1, 'the resume after the restart', RECONNECT_MS);
    await tick(publisher, name, 7, 7);
    await waitFor(() => s.ticks(name).includes(7), 'tick 7');
    assert.deepEqual(s.ticks(name), range(1, 7));
    assert.deepEqual(s.reports.resumed, [[name, 4]]);
  });
});


describe('a server that does not speak the resume protocol (Pusher itself, or an older server)', () => {
  // The least of a Pusher server: connection_established, subscriptions answered, every other frame ignored.
  let server: WebSocketServer;
  let port: number;
  const received: string[] = [];
  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    server.on('connection', (ws) => {
      ws.send(JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: '1.1', activity_timeout: 120 }) }));
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        received.push(text);
        const frame = JSON.parse(text) as { event: string; data?: { channel?: string } };
        if (frame.event === 'pusher:subscribe') ws.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel: frame.data?.channel, data: '{}' }));
      });
    });
  });
  after(() => {
    for (const ws of server.clients) ws.terminate();
    server.close();
  });

  test('a resume asked for and never answered is reported as no_answer after resumeTimeoutMs, and the channel is live', async (t) => {
    const name = `orders-${rid()}`;
    const client = localClient(t, APP.key, port);
    const failed: Array<[string, string]> = [];
    const resumed: string[] = [];
    const recovery = attachRecovery(client, {
      // A serial kept from a Herald the app used before.
      storage: { get: () => '1700000000000-0', set: () => {} },
      resumeTimeoutMs: 300,
      onResumed: (channel) => resumed.push(channel),
      onResumeFailed: (channel, reason) => failed.push([channel, reason]),
    });
    t.after(() => recovery.detach());
    const channel = client.subscribe(name);
    await waitFor(() => channel.subscribed, 'the subscription');
    assert.deepEqual(failed, [], 'not before the timeout');
    await waitFor(() => failed.length === 1, 'the resume to be given up', 5_000);
    assert.deepEqual(failed, [[name, 'no_answer']]);
    assert.deepEqual(resumed, []);
    assert.ok(received.some((f) => f.includes('herald:recovery') || f.includes('herald:resume')), 'the resume was asked for');
    await sleep(400);
    assert.equal(failed.length, 1, 'reported once');
    const ticks: number[] = [];
    channel.bind('tick', ({ n }: { n: number }) => ticks.push(n));
    for (const ws of server.clients) ws.send(JSON.stringify({ event: 'tick', channel: name, data: JSON.stringify({ n: 1 }) }));
    await waitFor(() => ticks.length === 1, 'an event on the channel');
  });
});
