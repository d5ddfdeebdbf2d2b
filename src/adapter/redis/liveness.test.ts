import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { dropPrefix, REDIS_URL, redisUnavailable, uniquePrefix } from '../../../test/helpers/cluster.js';
import { RedisKeys } from './keys.js';
import { runLua } from './lua.js';
import { presenceEntry } from './membership.js';
import { applyEntry, dropGroup, heartbeat, runScript } from './scripts.js';

const skip = (await redisUnavailable()) ?? false;

describe('dead node cleanup, one survivor at a time', { skip }, () => {
  const prefix = uniquePrefix('liveness');
  const keys = new RedisKeys(prefix);
  let redis: Redis;
  const TIMEOUT_MS = 100;
  const LEASE_MS = 300;
  const beat = async (node: string) =>
    (await runLua(redis, heartbeat, [keys.nodes, keys.deadNodes], [keys.prefix, node, TIMEOUT_MS, LEASE_MS])) as [number, string[]];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A heartbeat that only records the node (by the Redis clock), taking nothing to clean up. */
  const alive = async (node: string) => {
    const [seconds, micros] = await redis.time();
    await redis.zadd(keys.nodes, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), node);
  };

  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  test('a silent node goes to one survivor, comes back to another when that one does not finish, and waits to rejoin', async () => {
    assert.deepEqual(await beat('doomed'), [1, []]);
    for (const channel of ['presence-a', 'presence-b']) {
      const index = keys.channelIndex('app', channel, 'doomed');
      await redis.sadd(keys.nodeGroups('doomed'), index);
      await runScript(redis, applyEntry, index, [keys.prefix, 'doomed', 'add', presenceEntry('doomed', 'app', channel, 'ann', 's1'), '{}']);
    }
    await beat('first');
    await beat('second');
    await sleep(TIMEOUT_MS + 50);
    await alive('second');

    // The first survivor to beat takes the silent node; the other is not given it while the lease runs.
    const [, takenByFirst] = await beat('first');
    assert.deepEqual(takenByFirst, ['doomed']);
    assert.deepEqual((await beat('second'))[1], []);
    // The node itself, back meanwhile, is not registered again until its old state is gone.
    assert.equal((await beat('doomed'))[0], 2);

    // The first survivor never finishes: after the lease, the other takes the node over.
    await sleep(LEASE_MS + 50);
    const [, takenBySecond] = await beat('second');
    assert.ok(takenBySecond.includes('doomed'));
    const indexes = await redis.smembers(keys.nodeGroups('doomed'));
    const gone = await Promise.all(indexes.map((index) => runScript(redis, dropGroup, index, [keys.prefix, 'doomed'])));
    assert.deepEqual((gone as string[][]).flat().length, 2);
    // A second cleanup of the same groups (the first survivor waking up) finds nothing left to announce.
    const again = await Promise.all(indexes.map((index) => runScript(redis, dropGroup, index, [keys.prefix, 'doomed'])));
    assert.deepEqual((again as string[][]).flat(), []);
    assert.equal(await redis.exists(keys.presenceMembers('app', 'presence-a')), 0);
    await redis.del(keys.nodeGroups('doomed'));
    await redis.zrem(keys.deadNodes, 'doomed');
    assert.equal((await beat('doomed'))[0], 1);
  });
});
