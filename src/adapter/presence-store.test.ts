import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { MemoryPresenceStore } from './presence-store.js';

describe('MemoryPresenceStore', () => {
  let store: MemoryPresenceStore;
  beforeEach(() => {
    store = new MemoryPresenceStore();
  });

  test('a first join is a new user; members, count and membership follow', async () => {
    assert.deepEqual(await store.add('app', 'presence-room', '1.1', { user_id: 'ada', user_info: { name: 'Ada' } }), { isNewUser: true });
    assert.deepEqual(await store.add('app', 'presence-room', '1.2', { user_id: 'bob' }), { isNewUser: true });
    assert.equal(await store.memberCount('app', 'presence-room'), 2);
    assert.deepEqual(await store.members('app', 'presence-room'), new Map<string, unknown>([['ada', { name: 'Ada' }], ['bob', undefined]]));
    assert.equal(await store.isMember('app', 'presence-room', 'ada'), true);
    assert.equal(await store.isMember('app', 'presence-room', 'eve'), false);
  });

  test('the same user on two sockets counts once and leaves only with its last socket', async () => {
    await store.add('app', 'presence-room', '1.1', { user_id: 'ada' });
    assert.deepEqual(await store.add('app', 'presence-room', '2.2', { user_id: 'ada' }), { isNewUser: false });
    assert.equal(await store.memberCount('app', 'presence-room'), 1);

    assert.deepEqual(await store.remove('app', 'presence-room', '1.1', 'ada'), { userLeft: false });
    assert.equal(await store.isMember('app', 'presence-room', 'ada'), true);
    assert.equal(await store.memberCount('app', 'presence-room'), 1);

    assert.deepEqual(await store.remove('app', 'presence-room', '2.2', 'ada'), { userLeft: true });
    assert.equal(await store.isMember('app', 'presence-room', 'ada'), false);
    assert.equal(await store.memberCount('app', 'presence-room'), 0);
    assert.deepEqual(await store.members('app', 'presence-room'), new Map());
  });

  test('the same socket joining twice needs only one leave', async () => {
    await store.add('app', 'presence-room', '1.1', { user_id: 'ada' });
    assert.deepEqual(await store.add('app', 'presence-room', '1.1', { user_id: 'ada' }), { isNewUser: false });
    assert.deepEqual(await store.remove('app', 'presence-room', '1.1', 'ada'), { userLeft: true });
  });

  test('a member carries the user_info of its most recent join', async () => {
    await store.add('app', 'presence-room', '1.1', { user_id: 'ada', user_info: { v: 1 } });
    await store.add('app', 'presence-room', '1.2', { user_id: 'ada', user_info: { v: 2 } });
    assert.deepEqual((await store.members('app', 'presence-room')).get('ada'), { v: 2 });
  });

  test('leaving with a socket that never joined changes nothing', async () => {
    await store.add('app', 'presence-room', '1.1', { user_id: 'ada' });
    assert.deepEqual(await store.remove('app', 'presence-room', '9.9', 'ada'), { userLeft: false });
    assert.deepEqual(await store.remove('app', 'presence-room', '1.1', 'bob'), { userLeft: false });
    assert.deepEqual(await store.remove('app', 'presence-other', '1.1', 'ada'), { userLeft: false });
    assert.deepEqual(await store.remove('other-app', 'presence-room', '1.1', 'ada'), { userLeft: false });
    assert.equal(await store.isMember('app', 'presence-room', 'ada'), true);
  });

  test('channels and apps are kept apart', async () => {
    await store.add('app', 'presence-a', '1.1', { user_id: 'ada' });
    await store.add('app', 'presence-b', '1.1', { user_id: 'bob' });
    await store.add('other-app', 'presence-a', '1.1', { user_id: 'eve' });
    assert.deepEqual([...(await store.members('app', 'presence-a')).keys()], ['ada']);
    assert.deepEqual([...(await store.members('app', 'presence-b')).keys()], ['bob']);
    assert.deepEqual([...(await store.members('other-app', 'presence-a')).keys()], ['eve']);
    // Leaving one channel leaves the user in the others.
    assert.deepEqual(await store.remove('app', 'presence-a', '1.1', 'ada'), { userLeft: true });
    assert.equal(await store.isMember('other-app', 'presence-a', 'eve'), true);
  });

  test('a full channel admits another socket of a present user, not a new user', async () => {
    assert.deepEqual(await store.admit('app', 'presence-room', '1.1', { user_id: 'ada', user_info: 1 }, 1), {
      full: false,
      isNewUser: true,
      members: new Map<string, unknown>([['ada', 1]]),
    });
    assert.deepEqual(await store.admit('app', 'presence-room', '1.2', { user_id: 'bob' }, 1), { full: true });
    assert.equal(await store.isMember('app', 'presence-room', 'bob'), false);
    assert.deepEqual(await store.admit('app', 'presence-room', '1.3', { user_id: 'ada', user_info: 2 }, 1), {
      full: false,
      isNewUser: false,
      members: new Map<string, unknown>([['ada', 2]]),
    });
  });

  test('an empty or unknown channel has no members', async () => {
    assert.equal(await store.memberCount('app', 'presence-nobody'), 0);
    assert.deepEqual(await store.members('app', 'presence-nobody'), new Map());
  });
});
