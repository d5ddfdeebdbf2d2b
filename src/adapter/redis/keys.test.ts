import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keyPart, RedisKeys } from './keys.js';

const keys = new RedisKeys('herald');

describe('RedisKeys', () => {
  test('ordinary ids make readable keys, each tagged by what its scripts touch together', () => {
    assert.equal(keys.presenceMembers('app-1', 'presence-room'), 'herald:{app-1:presence-room}:members');
    assert.equal(keys.occupancy('123456', 'private-orders.1;x=y@z,w'), 'herald:{123456:private-orders.1;x=y@z,w}:occupancy');
    assert.equal(keys.cache('app-1', 'cache-prices'), 'herald:{app-1:cache-prices}:cache');
    assert.equal(keys.user('app-1', 'ada@example.com'), 'herald:{app-1:user:ada@example.com}:sockets');
    assert.equal(keys.user('app-1', 'auth0|5f7c8ec7'), 'herald:{app-1:user:auth0|5f7c8ec7}:sockets');
    assert.equal(keys.occupancy('app-1', '#server-to-user-42'), 'herald:{app-1:#server-to-user-42}:occupancy');
    assert.equal(keys.rateWindow('app-1', 'api_request', 1700000000000), 'herald:rate:app-1:api_request:1700000000000');
    assert.deepEqual(
      [keys.nodes, keys.deadNodes, keys.nodeGroups('n-1'), keys.channelIndex('a', 'c', 'n-1'), keys.userIndex('a', 'u', 'n-1')],
      ['herald:{nodes}', 'herald:{nodes}:dead', 'herald:{node:n-1}:groups', 'herald:{a:c}:node:n-1', 'herald:{a:user:u}:node:n-1'],
    );
    assert.deepEqual([keys.broadcastTopic, keys.controlTopic, keys.replyTopic('n-1')], ['herald:broadcast', 'herald:control', 'herald:reply:n-1']);
    assert.equal(keys.webhookEvents, 'herald:{webhooks}:events');
    assert.deepEqual(
      [keys.webhookDue, keys.webhookJobs, keys.webhookAttempts, keys.webhookSeq],
      ['herald:{webhooks}:due', 'herald:{webhooks}:jobs', 'herald:{webhooks}:attempts', 'herald:{webhooks}:seq'],
    );
    assert.equal(keys.channelTopic('app-1', 'private-user.1'), 'herald:{app-1:private-user.1}:topic');
    assert.equal(keys.userTopic('app-1', 'u:1'), 'herald:{app-1:user:u%3A1}:user-topic');
    assert.equal(keys.isUserTopic(keys.userTopic('app-1', 'u:1')), true);
    assert.equal(keys.isUserTopic(keys.channelTopic('app-1', 'user-topic')), false);
    assert.equal(keys.isUserTopic(keys.channelTopic('app-1', '#server-to-user-x}:user-topic')), false);
    assert.equal(keys.consoleWatchingTopic, 'herald:console:watching');
    assert.equal(keys.consoleEntriesTopic('app-1'), 'herald:console:entries:app-1');
  });

  test('the keys one script touches share a Redis Cluster hash tag, whatever the ids contain', () => {
    for (const prefix of ['herald', 'a{b', '}x{', 'p}']) {
      const k = new RedisKeys(prefix);
      for (const [app, channel, user] of [
        ['app-1', 'presence-room', 'ada'],
        ['{a}', 'presence-}{', '}'],
        ['a}b', '{', 'u{v}w'],
      ] as const) {
        const channelKeys = [
          k.presenceMembers(app, channel),
          k.presenceSockets(app, channel, user),
          k.occupancy(app, channel),
          k.subscriptionCounts(app, channel),
          k.subscriptionCountsTold(app, channel),
          k.cache(app, channel),
          k.channelIndex(app, channel, 'node-1'),
        ];
        assert.equal(new Set(channelKeys.map(hashTag)).size, 1, channelKeys.join(' '));
        assert.equal(hashTag(k.user(app, user)), hashTag(k.userIndex(app, user, 'node-1')));
        assert.notEqual(hashTag(k.user(app, user)), hashTag(k.occupancy(app, channel)));
      }
      const queue = [k.webhookEvents, k.webhookDue, k.webhookJobs, k.webhookAttempts, k.webhookSeq];
      assert.equal(new Set(queue.map(hashTag)).size, 1);
      assert.equal(hashTag(k.nodes), hashTag(k.deadNodes));
    }
  });

  test('the separator, the escape character and the hash tag braces are escaped, nothing else', () => {
    assert.equal(keyPart('a:b'), 'a%3Ab');
    assert.equal(keyPart('100%'), '100%25');
    assert.equal(keyPart('%3A'), '%253A');
    assert.equal(keyPart('{a}'), '%7Ba%7D');
    assert.equal(keyPart('ünï cödé *?[]|#/'), 'ünï cödé *?[]|#/');
  });

  test('ids that used to make two apps share a key no longer do', () => {
    // Signed-in users: app `a` with user `b:c`, app `a:b` with user `c`.
    assert.notEqual(keys.user('a', 'b:c'), keys.user('a:b', 'c'));
    // A `#server-to-user-` channel carries a user id, so it may contain ':'.
    assert.notEqual(keys.occupancy('a', '#server-to-user-u:c'), keys.occupancy('a:#server-to-user-u', 'c'));
    // A user's sockets in one app's channel, and another app's member list.
    assert.notEqual(keys.presenceSockets('t', 'presence-x', 'presence-y:members'), keys.presenceMembers('t:presence-x:user', 'presence-y'));
    assert.notEqual(keys.cache('a:b', 'c'), keys.cache('a', 'b:c'));
    // An app id that would otherwise reach into another key's namespace.
    assert.equal(keys.consoleEntriesTopic('a:b'), 'herald:console:entries:a%3Ab');
  });


  test('different parts always make different keys (every short id over a tricky alphabet)', () => {
    const alphabet = ['a', ':', '%', '3', '{'];
    const ids = [''];
    for (let length = 1; length <= 3; length++) {
      for (const id of ids.filter((i) => i.length === length - 1)) ids.push(...alphabet.map((c) => id + c));
    }
    const builders: Array<[string, (x: string, y: string) => string]> = [
      ['occupancy', (x, y) => keys.occupancy(x, y)],
      ['user', (x, y) => keys.user(x, y)],
      ['members', (x, y) => keys.presenceMembers(x, y)],
      ['sockets', (x, y) => keys.presenceSockets(x, y, 'u:v')],
      ['sockets by user', (x, y) => keys.presenceSockets('app', x, y)],
      ['subscriptions', (x, y) => keys.subscriptionCounts(x, y)],
      ['told', (x, y) => keys.subscriptionCountsTold(x, y)],
      ['cache', (x, y) => keys.cache(x, y)],
      ['channel index', (x, y) => keys.channelIndex(x, y, 'n')],
      ['user index', (x, y) => keys.userIndex(x, y, 'n')],
    ];
    const seen = new Map<string, string>();
    for (const [name, build] of builders) {
      for (const x of ids) {
        for (const y of ids) {
          const key = build(x, y);
          const by = `${name}(${JSON.stringify(x)}, ${JSON.stringify(y)})`;
          const before = seen.get(key);
          assert.equal(before, undefined, `${by} and ${before} share the key ${key}`);
          seen.set(key, by);
        }
      }
    }
  });
});

/** What Redis Cluster hashes a key by: the part between its first '{' and the first '}' after it, when not empty; else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
