// Two Herald nodes over a Redis Cluster with a replica per master; the master
// serving a channel's hash slot is killed (SIGKILL, as a crash) and its
// replica takes over. Events triggered through one node reach the other's
// subscribers again without restarting anything, none lost once they do;
// presence held through the failover is whole again; new subscriptions on
// the failed-over slots work; both nodes are ready again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keySlot } from '../../src/adapter/redis/connection.js';
import { RedisKeys } from '../../src/adapter/redis/keys.js';
import { apiGet, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { redisClusterUnavailable, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { sleep, subscribed, waitFor } from '../helpers/wait.js';

const skip = (await redisClusterUnavailable()) ?? false;
/** A failover takes the cluster's node timeout (1 s here) and an election; Herald then finds the new master. */
const FAILOVER_WAIT_MS = 30_000;

describe('Herald over a Redis Cluster whose master fails over to its replica', { skip }, () => {
  const prefix = uniquePrefix('redis-failover');
  let redisCluster: RedisCluster;
  let a: InProcessNode;
  let b: InProcessNode;

  before(async () => {
    redisCluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
    const options = { redisUrl: redisCluster.url, apps: [APP] };
    [a, b] = await Promise.all([startNode(prefix, options), startNode(prefix, options)]);
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await redisCluster?.stop();
  });

  test("events cross the nodes again once a replica took over the failed master's slots, none lost from then on", async (t) => {
    const keys = new RedisKeys(prefix);
    const channel = `failover-${rid()}`;
    const slot = keySlot(keys.channelTopic(APP.id, channel));
    const victim = await redisCluster.masterOf(slot, redisCluster.ports[0]!);
    assert.ok(victim !== null, 'the master of the channel');
    const witness = redisCluster.ports.find((port) => port !== victim)!;

    const listener = a.client(t);
    const ticks: number[] = [];
    (await subscribed(listener, channel)).bind('tick', ({ n }: { n: number }) => ticks.push(n));
    const member = a.client(t, { presence: { user_id: 'through-the-failover' } });
    await subscribed(member, 'presence-failover');
    await b.sdk().trigger(channel, 'tick', { n: 0 });
    await waitFor(() => ticks.includes(0), 'an event across the nodes before the failover');

    await redisCluster.kill(victim);
    await waitFor(
      async () => {
        const master = await redisCluster.masterOf(slot, witness);
        return master !== null && master !== victim;
      },
      'a replica to take the slot over',
      FAILOVER_WAIT_MS,
    );

    // Until Herald has found the new master a trigger may fail or not cross; then they cross.
    let n = 1;
    await waitFor(
      async () => {
        const mine = n++;
        await b
          .sdk()
          .trigger(channel, 'tick', { n: mine })
          .catch(() => {});
        await sleep(200);
        return ticks.includes(mine);
      },
      'an event to cross the nodes again',
      FAILOVER_WAIT_MS,
    );
    const from = n;
    for (let i = from; i < from + 20; i++) await b.sdk().trigger(channel, 'tick', { n: i });
    const expected = Array.from({ length: 20 }, (_, i) => from + i);
    await waitFor(() => expected.every((i) => ticks.includes(i)), 'every event after the recovery');
    assert.deepEqual(
      ticks.filter((i) => i >= from),
      expected,
      'once each, in order',
    );

    // Both nodes are ready again, and the presence member held through it is listed through the other node.
    for (const node of [a, b]) await waitFor(async () => (await fetch(`${node.url}/ready`)).status === 200, 'the node to be ready', FAILOVER_WAIT_MS);
    await waitFor(
      async () => (await apiGet<{ users: { id: string }[] }>(b, '/channels/presence-failover/users')).users.some((u) => u.id === 'through-the-failover'),
      'the member to be listed through the other node',
      FAILOVER_WAIT_MS,
    );

    // A subscription made now, on the other node, to another channel of the failed-over slot's master, hears events.
    const fresh = `${channel}-fresh`;
    const late = b.client(t);
    const heard: number[] = [];
    (await subscribed(late, fresh)).bind('tick', ({ n: i }: { n: number }) => heard.push(i));
    await a.sdk().trigger(fresh, 'tick', { n: 1 });
    await waitFor(() => heard.includes(1), 'an event on a channel subscribed after the failover');
  });
});
