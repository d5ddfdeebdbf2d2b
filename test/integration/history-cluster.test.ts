// Channel history on a two-node Redis cluster: serials are Redis stream ids,
// the same on both nodes and in the same order; a client that drops off one
// node resumes on the other.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { dropPrefix, redisUnavailable, startNode, testRedis, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { establishedRawSocket } from '../helpers/herald.js';
import { HIST, HISTORY_APPS, historySocket, type HistorySocket, keptEvents, PLAIN, resumeOutcome, serialSeenBeforeLeaving, subscribeRaw } from '../helpers/history.js';
import { rid } from '../helpers/ids.js';
import { frameData } from '../helpers/raw-socket.js';
import { sleep } from '../helpers/wait.js';
import { RedisKeys } from '../../src/adapter/redis/keys.js';
import { outcome, sdkClient } from '../helpers/sdk.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';

const skip = (await redisUnavailable()) ?? false;

const masterKey = Buffer.alloc(32, 9).toString('base64');
const apps = HISTORY_APPS;

describe('channel history on a two-node cluster', { skip }, () => {
  const prefix = uniquePrefix('history');
  let a: InProcessNode;
  let b: InProcessNode;
  let sdkA: Pusher;
  let sdkB: Pusher;

  before(async () => {
    [a, b] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
    sdkA = sdkClient(a.port, HIST, { encryptionMasterKeyBase64: masterKey });
    sdkB = sdkClient(b.port, HIST, { encryptionMasterKeyBase64: masterKey });
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await dropPrefix(prefix);
  });

  const open = (t: TestContext, node: InProcessNode, key: string = HIST.key): Promise<HistorySocket> =>
    historySocket(establishedRawSocket(node.running, t, key));

  test('a client that does not opt in sees the frames of an app without history, byte for byte', async (t) => {
    const channel = `orders-${rid()}`;
    const withHistory = await open(t, b);
    const without = await open(t, b, PLAIN.key);
    await subscribeRaw(withHistory, channel, sdkB);
    await subscribeRaw(without, channel, sdkB);
    await sdkA.trigger(channel, 'order.created', { id: 1 });
    await sdkClient(a.port, PLAIN).trigger(channel, 'order.created', { id: 1 });
    const [x, y] = [await withHistory.nextRaw((f) => f.event === 'order.created'), await without.nextRaw((f) => f.event === 'order.created')];
    assert.equal(x, y);
    assert.doesNotMatch(x, /serial/);
  });

  test('events published through both nodes at once reach both nodes in the same serial order', async (t) => {
    const channel = `orders-${rid()}`;
    const [onA, onB] = [await open(t, a), await open(t, b)];
    for (const s of [onA, onB]) {
      s.send({ event: 'herald:recovery', data: {} });
      await subscribeRaw(s, channel, sdkA);
    }
    await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 ? sdkA : sdkB).trigger(channel, 'order', { n })));
    const [gotA, gotB] = [await keptEvents(onA, channel, 20), await keptEvents(onB, channel, 20)];
    const serialsA = gotA.map((f) => f.serial);
    assert.deepEqual(serialsA, gotB.map((f) => f.serial));
    assert.deepEqual(gotA.map((f) => f.data), gotB.map((f) => f.data));
    const sorted = [...serialsA].sort((x, y) => compare(String(x), String(y)));
    assert.deepEqual(serialsA, sorted, 'delivered in serial order');
    assert.equal(new Set(serialsA).size, 20);
  });

  for (const [kind, channelPrefix] of [
    ['public', 'orders-'],
    ['private', 'private-orders-'],
    ['presence', 'presence-orders-'],
    ['encrypted', 'private-encrypted-orders-'],
  ] as const) {
    test(`${kind}: a client that dropped off one node resumes on the other, every event once and in order`, async (t) => {
      const channel = `${channelPrefix}${rid()}`;
      const presence = kind === 'presence' ? { user_id: 'reader' } : undefined;
      const seen = await serialSeenBeforeLeaving(open(t, a), channel, sdkA, presence);
      for (let n = 1; n <= 5; n++) await (n % 2 ? sdkA : sdkB).trigger(channel, 'order', { n });

      const second = await open(t, b);
      second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
      const subscribing = subscribeRaw(second, channel, sdkB, presence);
      const live = sdkA.trigger(channel, 'order', { n: 6 });
      await subscribing;
      await live;
      const got = await keptEvents(second, channel, 6);
      assert.equal((await resumeOutcome(second, channel)).event, 'herald:resume_succeeded');
      const payloads = got.map((f) => JSON.parse(String(f.data)) as Record<string, unknown>);
      if (kind === 'encrypted') assert.equal(new Set(payloads.map((p) => p.nonce)).size, 6);
      else assert.deepEqual(payloads.map((p) => p.n), [1, 2, 3, 4, 5, 6]);
      await sdkB.trigger(channel, 'order', { n: 7 });
      await keptEvents(second, channel, 1);
      await second.pingPong();
      assert.equal(second.frames.filter((f) => f.channel === channel && f.event === 'order').length, 7, 'no event twice, none missing');
    });
  }

  test('a gap longer than the count kept is told as expired', async (t) => {
    const channel = `short-${rid()}`;
    const seen = await serialSeenBeforeLeaving(open(t, a), channel, sdkA);
    for (let n = 1; n <= 5; n++) await sdkB.trigger(channel, 'order', { n });
    const second = await open(t, b);
    second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
    await subscribeRaw(second, channel, sdkB);
    const failed = await resumeOutcome(second, channel);
    assert.equal(frameData<{ reason: string }>(failed).reason, 'expired');
    // Three kept, exactly: the history API shows the newest three.
    const res = await sdkA.get({ path: `/channels/${channel}/events`, params: {} });
    const body = (await res.json()) as { events: { data: string }[] };
    assert.deepEqual(body.events.map((e) => JSON.parse(e.data).n), [3, 4, 5]);
  });

  test('age: a quiet channel resumes whole after its old events expired; a gap older than the age limit is expired', async (t) => {
    const channel = `brief-${rid()}`;
    const seen = await serialSeenBeforeLeaving(open(t, a), channel, sdkA);
    await sleep(1100); // the age limit is one second: event 0 is no longer kept
    await sdkB.trigger(channel, 'order', { n: 1 });
    const resumeFrom = async (node: InProcessNode) => {
      const s = await open(t, node);
      s.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
      await subscribeRaw(s, channel, sdkA);
      return s;
    };
    const second = await resumeFrom(b);
    const [replayed] = await keptEvents(second, channel, 1);
    assert.equal(JSON.parse(String(replayed!.data)).n, 1);
    assert.equal((await resumeOutcome(second, channel)).event, 'herald:resume_succeeded');
    await sleep(1100); // now event 1, after `seen`, is gone too
    const third = await resumeFrom(a);
    assert.equal(frameData<{ reason: string }>(await resumeOutcome(third, channel)).reason, 'expired');
  });

  test('a stream Redis lost (expired idle, or flushed) cannot pass for a whole history: resuming from its serials is expired', async (t) => {
    const channel = `orders-${rid()}`;
    const seen = await serialSeenBeforeLeaving(open(t, a), channel, sdkA);
    await sdkA.trigger(channel, 'order', { n: 1 });
    const redis = testRedis();
    await redis.del(new RedisKeys(prefix).history(HIST.id, channel));
    redis.disconnect();
    // A new stream's first serial is of a later millisecond than the lost one's (its idle timeout is minutes long).
    await sleep(5);
    await sdkB.trigger(channel, 'order', { n: 2 });
    const second = await open(t, b);
    second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
    await subscribeRaw(second, channel, sdkB);
    assert.equal(frameData<{ reason: string }>(await resumeOutcome(second, channel)).reason, 'expired');
  });

  test('the history API answers the same through either node; 404 without history', async () => {
    const channel = `orders-${rid()}`;
    for (let n = 1; n <= 4; n++) await (n % 2 ? sdkA : sdkB).trigger(channel, 'order', { n });
    const [fromA, fromB] = await Promise.all(
      [sdkA, sdkB].map(async (s) => (await (await s.get({ path: `/channels/${channel}/events`, params: { limit: 10 } })).json()) as unknown),
    );
    assert.deepEqual(fromA, fromB);
    assert.deepEqual((fromA as { events: { data: string }[] }).events.map((e) => JSON.parse(e.data).n), [1, 2, 3, 4]);
    assert.equal((await outcome(sdkB.get({ path: `/channels/news-${rid()}/events`, params: {} }))).status, 404);
  });

  test('/metrics shows the kept events cluster-wide, the same on both nodes', async () => {
    // Channels enough to land on every master of a Redis Cluster, where each holds its own share of the streams.
    const channels = Array.from({ length: 12 }, () => `orders-${rid()}`);
    for (const channel of channels) for (let n = 0; n < 3; n++) await sdkA.trigger(channel, 'order', { n });
    const [onA, onB] = await Promise.all([a, b].map(async (n) => ({ channels: seriesValue(await scrapeMetrics(n.url), 'herald_history_channels') ?? 0, events: seriesValue(await scrapeMetrics(n.url), 'herald_history_events') ?? 0 })));
    for (const [node, seen] of [['A', onA!], ['B', onB!]] as const) {
      assert.ok(seen.channels >= channels.length, `channels keeping history, as node ${node} sees them: ${seen.channels}`);
      assert.ok(seen.events >= channels.length * 3, `events kept, as node ${node} sees them: ${seen.events}`);
    }
    assert.ok((seriesValue(await scrapeMetrics(a.url), 'herald_history_bytes') ?? 0) > 0);
  });
});

function compare(x: string, y: string): number {
  const [xm, xs] = x.split('-').map(Number) as [number, number];
  const [ym, ys] = y.split('-').map(Number) as [number, number];
  return xm - ym || xs - ys;
}
