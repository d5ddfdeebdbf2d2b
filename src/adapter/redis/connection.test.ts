import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isClusterUrl, keySlot, parseClusterUrl } from './connection.js';

describe('Redis Cluster URLs', () => {
  test('name the seed nodes, the credentials they share and TLS', () => {
    assert.equal(isClusterUrl('redis://127.0.0.1:6379'), false);
    assert.equal(isClusterUrl('redis-cluster://a:7000'), true);
    assert.deepEqual(parseClusterUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,cache'), {
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'cache', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    const secured = parseClusterUrl('rediss-cluster://herald:p%40ss@[::1]:7000,h:7001');
    assert.deepEqual([secured.username, secured.password, secured.tls, secured.nodes[0]], ['herald', 'p@ss', true, { host: '::1', port: 7000 }]);
    assert.equal(parseClusterUrl('redis-cluster://:secret@h:1').password, 'secret');
  });

  test('without a node, or with a malformed one, are refused', () => {
    assert.throws(() => parseClusterUrl('redis-cluster://'), /at least one node/);
    assert.throws(() => parseClusterUrl('redis-cluster://h:port'), /host:port expected/);
  });
});

describe('keySlot', () => {
  test("is Redis Cluster's slot: CRC16 of the hash tag when there is one", () => {
    // The values Redis documents and CLUSTER KEYSLOT answers.
    assert.equal(keySlot('123456789'), 12739);
    assert.equal(keySlot('foo'), 12182);
    assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
    assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'));
  });
});
