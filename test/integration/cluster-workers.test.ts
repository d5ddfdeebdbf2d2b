// `herald start --workers N`: N processes on one port that act as one server,
// with a metrics port of their own where a scrape shows all of them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiGet, dropPrefix, redisUnavailable, spawnNode, uniquePrefix, type ChildNode } from '../helpers/cluster.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;
const WORKERS = 2;
const METRICS_TOKEN = 'workers-metrics-token-0123';

/** The pids of the workers that logged they were listening. */
function listeningPids(output: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    const m = /"pid":(\d+).*"msg":"worker listening"/.exec(line);
    if (m) pids.add(Number(m[1]));
  }
  return pids;
}

/** The metrics port the workers logged (node:cluster gives them all the same one, even for port 0). */
function metricsPorts(output: string): Set<number> {
  return new Set([...output.matchAll(/"port":(\d+)[^\n]*"msg":"metrics listening"/g)].map((m) => Number(m[1])));
}

describe(`herald start --workers ${WORKERS}`, { skip }, () => {
  const prefix = uniquePrefix('workers');
  let server: ChildNode;

  before(async () => {
    server = await spawnNode(prefix, ['--workers', String(WORKERS)], { HERALD_METRICS_PORT: '0', HERALD_METRICS_TOKEN: METRICS_TOKEN });
    await waitFor(() => listeningPids(server.output()).size === WORKERS, `${WORKERS} workers to listen`, 15_000);
  });
  after(async () => {
    await server?.close();
    await dropPrefix(prefix);
  });

  test('runs that many worker processes on one port, and they act as one server', async (t) => {
    assert.equal(listeningPids(server.output()).size, WORKERS);
    assert.ok(!listeningPids(server.output()).has(server.process.pid ?? -1), 'the primary only supervises');

    // The kernel spreads connections over the workers; every client must get the event whichever it landed on.
    const clients: PusherJS[] = [];
    for (let i = 0; i < 6; i++) clients.push(server.client(t, { presence: { user_id: i % 2 === 0 ? 'even' : 'odd' } }));
    const channels = await Promise.all(clients.map((c) => subscribed(c, 'presence-floor')));
    await Promise.all(clients.map((c) => connected(c)));
    const got = Promise.all(channels.map((ch, i) => nextEvent(ch, 'bell', `the bell on client ${i}`)));
    await server.sdk().trigger('presence-floor', 'bell', { ring: true });
    assert.deepEqual(await got, channels.map(() => ({ ring: true })));

    // Two users whatever the number of sockets and workers.
    const info = await apiGet<{ user_count: number; subscription_count: number }>(server, '/channels/presence-floor', {
      info: 'user_count,subscription_count',
    });
    assert.deepEqual(info, { occupied: true, user_count: 2, subscription_count: 6 });
  });

  test('the metrics port answers every scrape with the workers summed; /metrics is not on the main port', async (t) => {
    const ports = metricsPorts(server.output());
    assert.equal(ports.size, 1, `one metrics port for all workers, got ${[...ports].join(', ')}`);
    const metricsUrl = `http://127.0.0.1:${[...ports][0]}`;
    const scrape = () => scrapeMetrics(metricsUrl, METRICS_TOKEN);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
    assert.equal((await fetch(`${metricsUrl}/metrics`)).status, 401);
    assert.equal((await fetch(`${metricsUrl}/ready`)).status, 200);
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);

    const clients: PusherJS[] = [];
    for (let i = 0; i < 4; i++) clients.push(server.client(t));
    await Promise.all(clients.map((c) => connected(c)));
    // Whichever worker a scrape reaches and however the kernel spread the clients: the total.
    await waitFor(async () => seriesValue(await scrape(), 'herald_connections{transport="ws"}') === 4, 'the metrics to count the 4 clients');
    for (let i = 0; i < 6; i++) {
      const text = await scrape();
      assert.equal(seriesValue(text, 'herald_connections{transport="ws"}'), 4);
      // Summed by the primary: a process start time means nothing for several processes, and is left out.
      assert.equal(seriesValue(text, 'herald_process_start_time_seconds'), undefined);
    }
  });
});
