import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_URL, redisUnavailable } from '../../../test/helpers/cluster.js';
import { luaScript, runLua } from './lua.js';

const skip = await redisUnavailable();

describe('runLua', { skip: skip ?? false }, () => {
  let redis: Redis;
  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(() => redis.disconnect());

  test('sends the text once, when Redis does not know the script, then only its SHA', async () => {
    // A body no one ran before, so that Redis cannot know it (no SCRIPT FLUSH: other tests share this Redis).
    const s = luaScript(`return {KEYS[1], ARGV[1], LIBRARY_WORD} -- ${randomUUID()}`, "local LIBRARY_WORD = 'shared'\n");
    assert.deepEqual(await redis.script('EXISTS', s.sha), [0]);
    const sent: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.sendCommand;
    assert.deepEqual(await runLua(redis, s, ['k'], ['a']), ['k', 'a', 'shared']);
    assert.deepEqual(await runLua(redis, s, ['k2'], [2]), ['k2', '2', 'shared']);
    assert.deepEqual(sent, ['evalsha', 'eval', 'evalsha']);
  });

  test("a script's own error is not taken for NOSCRIPT", async () => {
    const s = luaScript(`return redis.error_reply('NOPE ${randomUUID()}')`);
    await assert.rejects(runLua(redis, s, [], []), /NOPE/);
    await assert.rejects(runLua(redis, s, [], []), /NOPE/);
  });
});
