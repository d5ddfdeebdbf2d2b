// The debug console on a two-node cluster (Redis adapter): a console open on
// one node shows clients, channels and events of the other, and its event
// creator reaches subscribers on the other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dropPrefix, HEARTBEAT_MS, NODE_TIMEOUT_MS, REDIS_URL, redisUnavailable, TEST_ROUTING, uniquePrefix } from '../helpers/cluster.js';
import { openConsoleStream } from '../helpers/console-stream.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;
const TOKEN = 'console-cluster-token-5b0e';

describe('the console of a two-node cluster', { skip }, () => {
  const prefix = uniquePrefix('console');
  let a: RunningHerald;
  let b: RunningHerald;

  before(async () => {
    const start = () =>
      startHerald({
        overrides: {
          adapter: 'redis',
          redisUrl: REDIS_URL,
          redisPrefix: prefix,
          redisRouting: TEST_ROUTING,
          nodeHeartbeatMs: HEARTBEAT_MS,
          nodeTimeoutMs: NODE_TIMEOUT_MS,
          consoleToken: TOKEN,
        },
      });
    [a, b] = await Promise.all([start(), start()]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropPrefix(prefix);
  });

  test("a console on one node shows the other node's clients, channels and events", async (t) => {
    const stream = openConsoleStream(t, a.url, APP.id, TOKEN);
    await stream.ready;
    // Node B learns that A watches this app from A's announcement; wait until B's activity arrives.
    const probe = b.client(t);
    const probeSocket = await connected(probe);
    let probes = 0;
    await waitFor(async () => {
      await subscribed(probe, `probe-${probes++}`);
      return stream.seen.some((m) => m.data.type === 'subscribed' && m.data.socketId === probeSocket);
    }, "node B's activity relayed to the console on node A", 5000);

    const onB = b.client(t);
    const socketOnB = await connected(onB);
    await subscribed(onB, 'orders');
    await stream.until((m) => m.data.type === 'connection_opened' && m.data.socketId === socketOnB, "B's connection_opened on A");
    await stream.until((m) => m.data.type === 'subscribed' && m.data.socketId === socketOnB && m.data.channel === 'orders', "B's subscription on A");
    await stream.until((m) => m.event === 'snapshot' && JSON.stringify(m.data).includes('"orders"'), "a snapshot on A with B's channel");

    await b.sdk().trigger('orders', 'triggered-on-b', { n: 1 });
    await stream.until((m) => m.data.type === 'api_event' && m.data.event === 'triggered-on-b', "B's api_event on A");
    assert.equal(stream.seen.filter((m) => m.data.event === 'triggered-on-b').length, 1, 'each activity shown once');
  });

  test("the event creator on one node reaches subscribers on the other", async (t) => {
    const onB = b.client(t);
    const orders = await subscribed(onB, 'orders');
    const got = nextEvent(orders, 'from-console-on-a');
    const res = await fetch(`${a.url}/console/api/apps/${APP.id}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'orders', name: 'from-console-on-a', data: '{"n":2}' }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await got, { n: 2 });
  });

  test('a login made on one node is good on the other', async () => {
    const login = await fetch(`${a.url}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await fetch(`${b.url}/console/api/apps`, { headers: { cookie } })).status, 200);
  });
});
