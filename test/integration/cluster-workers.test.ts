// `herald start --workers N`: N processes on one port that act as one server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiGet, dropPrefix, redisUnavailable, spawnNode, uniquePrefix, type ChildNode } from '../helpers/cluster.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;
const WORKERS = 2;

/** The pids of the workers that logged they were listening. */
function listeningPids(output: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    const m = /"pid":(\d+).*"msg":"worker listening"/.exec(line);
    if (m) pids.add(Number(m[1]));
  }
  return pids;
}

describe(`herald start --workers ${WORKERS}`, { skip }, () => {
  const prefix = uniquePrefix('workers');
  let server: ChildNode;

  before(async () => {
    server = await spawnNode(prefix, ['--workers', String(WORKERS)]);
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
});
