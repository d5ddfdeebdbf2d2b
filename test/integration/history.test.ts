// Channel history and resume on one node: raw sockets show the frames
// exactly; the pusher SDK publishes and reads the history API.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { establishedRawSocket, startHerald, type RunningHerald } from '../helpers/herald.js';
import { frameData, type RawSocket, type ServerFrame } from '../helpers/raw-socket.js';
import { outcome, sdkClient } from '../helpers/sdk.js';
import { rid } from '../helpers/ids.js';
import { sleep } from '../helpers/wait.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';
import type { NodeStats } from '../../src/console/stats-routes.js';
import { HIST, HISTORY_APPS, historySocket, type HistorySocket, keptEvents, PLAIN, resumeOutcome, serialSeenBeforeLeaving, subscribeRaw } from '../helpers/history.js';

const masterKey = Buffer.alloc(32, 7).toString('base64');
const TOKEN = 'history-console-token-0123456789';

let h: RunningHerald;
let sdk: Pusher;
let plainSdk: Pusher;

before(async () => {
  h = await startHerald({
    apps: HISTORY_APPS,
    overrides: { consoleToken: TOKEN },
  });
  sdk = sdkClient(h.port, HIST, { encryptionMasterKeyBase64: masterKey });
  plainSdk = sdkClient(h.port, PLAIN, { encryptionMasterKeyBase64: masterKey });
});
after(() => h.close());

const open = (t: TestContext, key: string = HIST.key): Promise<HistorySocket> => historySocket(establishedRawSocket(h, t, key));

describe('clients that do not opt in', () => {
  test('see byte for byte the frames of an app without history (API events and client events)', async (t) => {
    const channel = `presence-orders-${rid()}`;
    const presence = { user_id: 'u1' };
    const [withHistory, without] = [await open(t), await open(t, PLAIN.key)];
    const [senderH, senderP] = [await open(t), await open(t, PLAIN.key)];
    await subscribeRaw(withHistory, channel, sdk, presence);
    await subscribeRaw(without, channel, plainSdk, presence);
    await subscribeRaw(senderH, channel, sdk, { user_id: 'u2' });
    await subscribeRaw(senderP, channel, plainSdk, { user_id: 'u2' });
    await sdk.trigger(channel, 'order.created', { id: 1, note: 'é "quoted"' });
    await plainSdk.trigger(channel, 'order.created', { id: 1, note: 'é "quoted"' });
    senderH.send({ event: 'client-typing', channel, data: { on: true } });
    senderP.send({ event: 'client-typing', channel, data: { on: true } });
    for (const event of ['order.created', 'client-typing']) {
      const a = await withHistory.nextRaw((f) => f.event === event);
      const b = await without.nextRaw((f) => f.event === event);
      assert.equal(a, b);
      assert.doesNotMatch(a, /serial/);
    }
  });
});

describe('clients that opt in', () => {
  test('get a serial on events of channels with history, none elsewhere', async (t) => {
    const kept = `orders-${rid()}`;
    const notKept = `news-${rid()}`;
    const s = await open(t);
    s.send({ event: 'herald:recovery', data: { channels: {} } });
    await subscribeRaw(s, kept, sdk);
    await subscribeRaw(s, notKept, sdk);
    await sdk.trigger(kept, 'a', { n: 1 });
    await sdk.trigger(kept, 'b', { n: 2 });
    await sdk.trigger(notKept, 'c', { n: 3 });
    const [a, b] = await keptEvents(s, kept, 2);
    const c = await s.next((f) => f.event === 'c', 'c');
    assert.match(String(a!.serial), /^\d+-\d+$/);
    assert.ok(serialLess(String(a!.serial), String(b!.serial)));
    assert.equal((c as ServerFrame & { serial?: string }).serial, undefined);
  });

  for (const [kind, prefix] of [
    ['public', 'orders-'],
    ['private', 'private-orders-'],
    ['presence', 'presence-orders-'],
    ['encrypted', 'private-encrypted-orders-'],
  ] as const) {
    test(`${kind}: events published while disconnected are replayed after reconnect, once each and in order`, async (t) => {
      const channel = `${prefix}${rid()}`;
      const presence = kind === 'presence' ? { user_id: 'reader' } : undefined;
      const seen = await serialSeenBeforeLeaving(open(t), channel, sdk, presence);

      for (let n = 1; n <= 5; n++) await sdk.trigger(channel, 'order', { n });

      const second = await open(t);
      second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
      const subscribing = subscribeRaw(second, channel, sdk, presence);
      // Published while the replay is being made: it must come once, after the replayed ones.
      const live = sdk.trigger(channel, 'order', { n: 6 });
      await subscribing;
      await live;
      const got = await keptEvents(second, channel, 6);
      const done = await resumeOutcome(second, channel);
      assert.equal(done.event, 'herald:resume_succeeded');
      const payloads = got.map((f) => JSON.parse(String(f.data)) as Record<string, unknown>);
      if (kind === 'encrypted') {
        // Herald keeps the ciphertext it was given: nothing to read, but the nonces show each event once.
        assert.ok(payloads.every((p) => typeof p.ciphertext === 'string' && typeof p.nonce === 'string'));
        assert.equal(new Set(payloads.map((p) => p.nonce)).size, 6);
      } else assert.deepEqual(payloads.map((p) => p.n), [1, 2, 3, 4, 5, 6]);
      for (let i = 1; i < got.length; i++) assert.ok(serialLess(String(got[i - 1]!.serial), String(got[i]!.serial)));
      await sdk.trigger(channel, 'order', { n: 7 });
      await second.pingPong();
      const all = second.frames.filter((f) => f.channel === channel && f.event === 'order');
      assert.equal(all.length, 7, 'no event twice, none missing');
    });
  }

  test('herald:resume on a subscribed channel replays only what this connection was not sent', async (t) => {
    const channel = `orders-${rid()}`;
    const s = await open(t);
    s.send({ event: 'herald:recovery', data: {} });
    await subscribeRaw(s, channel, sdk);
    for (let n = 1; n <= 3; n++) await sdk.trigger(channel, 'order', { n });
    const got = await keptEvents(s, channel, 3);
    s.send({ event: 'herald:resume', data: { channel, since: got[0]!.serial } });
    const done = await resumeOutcome(s, channel);
    assert.equal(done.event, 'herald:resume_succeeded');
    assert.deepEqual(frameData(done), { replayed: 0, serial: got[2]!.serial });
    assert.equal(s.frames.filter((f) => f.event === 'order').length, 3);
  });

  test('a gap longer than the count kept is told as expired, then the channel goes on live', async (t) => {
    const channel = `short-${rid()}`;
    const seen = await serialSeenBeforeLeaving(open(t), channel, sdk);
    for (let n = 1; n <= 5; n++) await sdk.trigger(channel, 'order', { n });
    const second = await open(t);
    second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
    await subscribeRaw(second, channel, sdk);
    const failed = await resumeOutcome(second, channel);
    assert.equal(failed.event, 'herald:resume_failed');
    assert.equal(frameData<{ reason: string }>(failed).reason, 'expired');
    await sdk.trigger(channel, 'order', { n: 6 });
    const [live] = await keptEvents(second, channel, 1);
    assert.equal(JSON.parse(String(live!.data)).n, 6);
    // The history API says the same to a back end: 410 Gone.
    assert.equal((await outcome(sdk.get({ path: `/channels/${channel}/events`, params: { since: seen } }))).status, 410);
  });

  test('age: a quiet channel resumes whole after its old events expired; a gap older than the age limit is expired', async (t) => {
    const channel = `brief-${rid()}`;
    const seen = await serialSeenBeforeLeaving(open(t), channel, sdk);
    await sleep(1100); // the age limit is one second: event 0 is no longer kept
    await sdk.trigger(channel, 'order', { n: 1 });
    const second = await open(t);
    second.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
    await subscribeRaw(second, channel, sdk);
    const [replayed] = await keptEvents(second, channel, 1);
    assert.equal(JSON.parse(String(replayed!.data)).n, 1);
    assert.equal((await resumeOutcome(second, channel)).event, 'herald:resume_succeeded');
    await sleep(1100); // now event 1, after `seen`, is gone too
    const third = await open(t);
    third.send({ event: 'herald:recovery', data: { channels: { [channel]: seen } } });
    await subscribeRaw(third, channel, sdk);
    const failed = await resumeOutcome(third, channel);
    assert.equal(frameData<{ reason: string }>(failed).reason, 'expired');
  });

  test('no_history and unknown_serial are told', async (t) => {
    const s = await open(t);
    s.send({ event: 'herald:recovery', data: {} });
    const plain = `news-${rid()}`;
    await subscribeRaw(s, plain, sdk);
    s.send({ event: 'herald:resume', data: { channel: plain, since: '1-0' } });
    assert.equal(frameData<{ reason: string }>(await resumeOutcome(s, plain)).reason, 'no_history');
    const kept = `orders-${rid()}`;
    await subscribeRaw(s, kept, sdk);
    await sdk.trigger(kept, 'order', {});
    await keptEvents(s, kept, 1);
    s.send({ event: 'herald:resume', data: { channel: kept, since: `${Date.now() + 60_000}-0` } });
    assert.equal(frameData<{ reason: string }>(await resumeOutcome(s, kept)).reason, 'unknown_serial');
    s.send({ event: 'herald:resume', data: { channel: kept, since: 'not-a-serial' } });
    assert.equal(frameData<{ reason: string }>(await resumeOutcome(s, kept)).reason, 'unknown_serial');
  });

  test('a flood of resume requests is bounded by the client-event rate limit', async (t) => {
    const channel = `orders-${rid()}`;
    const s = await open(t);
    s.send({ event: 'herald:recovery', data: {} });
    await subscribeRaw(s, channel, sdk);
    for (let n = 0; n < 20; n++) await sdk.trigger(channel, 'order', { n });
    const got = await keptEvents(s, channel, 20);
    const flood = 100;
    for (let i = 0; i < flood; i++) s.send({ event: 'herald:resume', data: { channel, since: got[0]!.serial } });
    await s.pingPong();
    const answers = s.frames.filter((f) => f.event.startsWith('herald:resume_'));
    assert.equal(answers.length, flood, 'every request answered');
    const limited = answers.filter((f) => f.event === 'herald:resume_failed' && frameData<{ reason: string }>(f).reason === 'rate_limited');
    assert.ok(limited.length >= flood - 20, `most are refused (${limited.length} of ${flood})`);
    // Nothing is sent twice: the connection already had every event.
    assert.equal(s.frames.filter((f) => f.event === 'order').length, 20);
  });
});

describe('history API', () => {
  test('returns kept events after a serial, oldest first, through the pusher SDK', async () => {
    const channel = `orders-${rid()}`;
    for (let n = 1; n <= 5; n++) await sdk.trigger(channel, 'order', { n });
    const all = await sdk.get({ path: `/channels/${channel}/events`, params: {} });
    assert.equal(all.status, 200);
    const body = (await all.json()) as { events: { serial: string; event: string; channel: string; data: string }[]; next: string };
    assert.deepEqual(body.events.map((e) => JSON.parse(e.data).n), [1, 2, 3, 4, 5]);
    assert.ok(body.events.every((e) => e.channel === channel && e.event === 'order'));
    const page = await sdk.get({ path: `/channels/${channel}/events`, params: { since: body.events[1]!.serial, limit: 2 } });
    const paged = (await page.json()) as typeof body;
    assert.deepEqual(paged.events.map((e) => JSON.parse(e.data).n), [3, 4]);
    assert.equal(paged.next, paged.events[1]!.serial);
  });

  test('404 for a channel without history, 400 for bad input', async () => {
    assert.equal((await outcome(sdk.get({ path: `/channels/news-${rid()}/events`, params: {} }))).status, 404);
    assert.equal((await outcome(sdk.get({ path: `/channels/orders-x/events`, params: { since: 'yesterday' } }))).status, 400);
    assert.equal((await outcome(sdk.get({ path: `/channels/orders-x/events`, params: { limit: 0 } }))).status, 400);
    assert.equal((await outcome(sdk.get({ path: `/channels/orders-x/events`, params: { limit: 1001 } }))).status, 400);
  });
});

describe('what history costs', () => {
  test('is shown in /stats and /metrics, and grows with the events kept', async () => {
    const read = async () => {
      const res = await fetch(`${h.url}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await res.json()) as NodeStats).history;
    };
    const before = await read();
    const channel = `orders-${rid()}`;
    for (let n = 0; n < 4; n++) await sdk.trigger(channel, 'order', { n, pad: 'x'.repeat(100) });
    const afterwards = await read();
    assert.equal(afterwards.channels, before.channels + 1);
    assert.equal(afterwards.events, before.events + 4);
    assert.ok(afterwards.bytes >= before.bytes + 400);
    const text = await scrapeMetrics(h.url);
    assert.equal(seriesValue(text, 'herald_history_events'), afterwards.events);
    assert.equal(seriesValue(text, 'herald_history_bytes'), afterwards.bytes);
  });
});

function serialLess(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am < bm || (am === bm && as < bs);
}

export type { RawSocket };
