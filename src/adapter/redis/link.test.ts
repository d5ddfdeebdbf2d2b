import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { dropPrefix, REDIS_URL, redisUnavailable, uniquePrefix } from '../../../test/helpers/cluster.js';
import { RedisKeys } from './keys.js';
import { RedisLink } from './link.js';
import { RedisRateLimiter } from './rate-limiter.js';

const skip = await redisUnavailable();

/** A link and what it logged. */
function linkLogging() {
  const logged: { msg: string; what?: string }[] = [];
  const log = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as { msg: string; what?: string });
        done();
      },
    }),
  );
  return { link: new RedisLink(REDIS_URL, log), logged };
}

describe('RedisLink.attempt', () => {
  test('without a connection: the fallback, without trying, and the link is marked for resync', async () => {
    const { link, logged } = linkLogging();
    let tried = false;
    const answer = await link.attempt(
      'anything',
      async () => {
        tried = true;
        return 'redis';
      },
      () => 'local',
    );
    assert.deepEqual([answer, tried, link.dirty, logged], ['local', false, true, []]);
    await link.close();
  });

  describe('with Redis', { skip: skip ?? false }, () => {
    const prefix = uniquePrefix('link');
    after(() => dropPrefix(prefix));

    test("Redis's answer when it gives one; the fallback, reported, when it fails", async () => {
      const { link, logged } = linkLogging();
      await link.connect(2000);
      assert.equal(link.usable, true);
      assert.equal(await link.attempt('ping', (redis) => redis.ping(), () => 'local'), 'PONG');
      assert.equal(link.dirty, false);
      const answer = await link.attempt('broken', (redis) => redis.call('NO-SUCH-COMMAND') as Promise<string>, () => 'local');
      assert.equal(answer, 'local');
      assert.equal(link.dirty, true);
      assert.deepEqual(
        logged.map((l) => l.what),
        ['broken'],
      );
      await link.close();
    });

    test('the rate limiter reports a failed Redis like the others, and decides locally', async () => {
      const { link, logged } = linkLogging();
      await link.connect(2000);
      const keys = new RedisKeys(prefix);
      // Every window the take may fall in holds a hash, which the counter script cannot read.
      const now = Date.now() - (Date.now() % 1000);
      for (const start of [now - 1000, now, now + 1000, now + 2000]) await link.commands.hset(keys.rateWindow('app-1', 'api_request', start), 'x', '1');
      const limiter = new RedisRateLimiter(link, keys);
      assert.equal((await limiter.take('app-1', 'api_request', 1)).allowed, true);
      assert.equal((await limiter.take('app-1', 'api_request', 1)).allowed, false);
      assert.equal(logged[0]?.what, 'rate limit');
      assert.equal(link.dirty, true);
      await link.close();
    });
  });
});
