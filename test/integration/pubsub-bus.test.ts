// The adapter's pub/sub bus against a real Redis, with plain and with sharded
// pub/sub (SSUBSCRIBE / SPUBLISH work on a single Redis 7 too): what is
// published to a topic reaches its subscribers once confirmed, counted, and
// stops when they unsubscribe.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { PubSubTraffic } from '../../src/adapter/pubsub-traffic.js';
import { PubSubBus } from '../../src/adapter/redis/bus.js';
import { REDIS_URL, redisUnavailable, uniquePrefix } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;

for (const sharded of [false, true]) {
  describe(`the pub/sub bus, ${sharded ? 'sharded' : 'plain'}`, { skip }, () => {
    const commands = new Redis(REDIS_URL);
    const subscriber = new Redis(REDIS_URL);
    const traffic = new PubSubTraffic();
    const bus = new PubSubBus(commands, subscriber, traffic, sharded);
    after(() => {
      commands.disconnect();
      subscriber.disconnect();
    });

    test('a topic is heard from its confirmation until it is let go', async () => {
      const topic = `${uniquePrefix('bus')}:topic`;
      const heard: Array<[string, string]> = [];
      bus.onMessage((t, text) => heard.push([t, text]));
      await bus.subscribe([topic]);
      await bus.publish(topic, 'héllo');
      await waitFor(() => heard.length === 1, 'the message');
      assert.deepEqual(heard, [[topic, 'héllo']]);
      assert.equal(traffic.messagesIn, 1);
      assert.equal(traffic.bytesIn, Buffer.byteLength('héllo'));
      assert.equal(traffic.bytesOut, Buffer.byteLength('héllo'));
      await bus.unsubscribe([topic]);
      const receivers = sharded ? await commands.spublish(topic, 'gone') : await commands.publish(topic, 'gone');
      assert.equal(receivers, 0);
    });
  });
}
