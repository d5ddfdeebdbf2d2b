import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  channelKind,
  channelNameProblem,
  eventNameProblem,
  isClientEventName,
  serverToUserChannel,
  userIdProblem,
} from './channel-names.js';
import { ProtocolLimits } from './limits.js';

describe('channelKind', () => {
  const cases: Array<[string, Partial<ReturnType<typeof channelKind>>]> = [
    ['orders', {}],
    ['private-orders', { authorized: true }],
    ['presence-room', { authorized: true, presence: true }],
    ['private-encrypted-vault', { authorized: true, encrypted: true }],
    ['cache-prices', { cache: true }],
    ['private-cache-prices', { authorized: true, cache: true }],
    ['presence-cache-room', { authorized: true, presence: true, cache: true }],
    ['private-encrypted-cache-vault', { authorized: true, encrypted: true, cache: true }],
    ['#server-to-user-42', { serverToUser: true }],
  ];
  for (const [name, expected] of cases) {
    test(`${name} is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(channelKind(name), {
        authorized: false,
        presence: false,
        encrypted: false,
        cache: false,
        serverToUser: false,
        ...expected,
      });
    });
  }

  test('only a prefix decides: names that merely contain a prefix are public', () => {
    for (const name of ['orders-private-x', 'my-presence-room', 'x-cache-y', 'public-private-encrypted-z', 'privateorders', 'presence']) {
      assert.deepEqual(channelKind(name), channelKind('orders'), name);
    }
  });

  test('prefixes are case-sensitive, as Pusher treats them', () => {
    assert.equal(channelKind('Private-orders').authorized, false);
    assert.equal(channelKind('PRESENCE-room').presence, false);
  });
});

describe('channelNameProblem', () => {
  test('accepts letters, digits and _ - = @ , . ;', () => {
    for (const name of ['orders', 'a', 'Order_42', 'a-b=c@d,e.f;g', 'private-encrypted-x', 'presence-room.1']) {
      assert.equal(channelNameProblem(name), null, name);
    }
  });

  test(`accepts ${ProtocolLimits.channelNameMaxLength} characters and refuses one more`, () => {
    assert.equal(channelNameProblem('a'.repeat(ProtocolLimits.channelNameMaxLength)), null);
    assert.match(
      channelNameProblem('a'.repeat(ProtocolLimits.channelNameMaxLength + 1)) ?? '',
      new RegExp(`longer than ${ProtocolLimits.channelNameMaxLength}`),
    );
  });

  test('refuses other characters, naming the channel', () => {
    for (const name of ['has space', 'slash/x', 'colon:x', 'ümlaut', 'star*', 'tab\tx', '#watchers-of-x']) {
      assert.match(channelNameProblem(name) ?? '', /may only contain/, name);
    }
    assert.match(channelNameProblem('has space') ?? '', /'has space'/);
  });

  test('a very long bad name is cut short in the message', () => {
    const problem = channelNameProblem(`${'x'.repeat(100)} y`) ?? '';
    assert.ok(problem.length < 150, problem);
  });

  test('refuses non-strings and the empty string', () => {
    for (const name of ['', undefined, null, 42, ['a'], { name: 'a' }]) {
      assert.match(channelNameProblem(name) ?? '', /non-empty string/, JSON.stringify(name));
    }
  });

  test('a server-to-user channel is checked by its user id', () => {
    assert.equal(channelNameProblem('#server-to-user-ada@example.com'), null);
    assert.equal(channelNameProblem('#server-to-user-user with spaces'), null);
    assert.match(channelNameProblem('#server-to-user-') ?? '', /user id/);
    assert.match(channelNameProblem('#server-to-user-a\nb') ?? '', /control characters/);
  });
});

describe('eventNameProblem', () => {
  test(`accepts any non-empty string up to ${ProtocolLimits.eventNameMaxLength} characters`, () => {
    assert.equal(eventNameProblem('order.created'), null);
    assert.equal(eventNameProblem('App\\Events\\OrderShipped'), null);
    assert.equal(eventNameProblem('e'.repeat(ProtocolLimits.eventNameMaxLength)), null);
    assert.match(eventNameProblem('e'.repeat(ProtocolLimits.eventNameMaxLength + 1)) ?? '', /longer than/);
  });

  test('refuses non-strings and the empty string', () => {
    for (const name of ['', undefined, 7]) assert.match(eventNameProblem(name) ?? '', /non-empty string/);
  });
});

describe('userIdProblem', () => {
  test('accepts ids with any printable characters', () => {
    for (const id of ['42', 'ada@example.com', 'user with spaces', 'ü-ß', 'u'.repeat(ProtocolLimits.userIdMaxLength)]) {
      assert.equal(userIdProblem(id), null, id);
    }
  });

  test('refuses empty, too long, non-string and control characters', () => {
    assert.match(userIdProblem('') ?? '', /non-empty/);
    assert.match(userIdProblem(42) ?? '', /non-empty string/);
    assert.match(userIdProblem('u'.repeat(ProtocolLimits.userIdMaxLength + 1)) ?? '', /longer than/);
    assert.match(userIdProblem('a\u0000b') ?? '', /control characters/);
    assert.match(userIdProblem('a\u007fb') ?? '', /control characters/);
  });

  test('refuses a lone surrogate, accepts a pair', () => {
    assert.match(userIdProblem('a\ud800b') ?? '', /lone surrogate/);
    assert.match(userIdProblem('a\udc00') ?? '', /lone surrogate/);
    assert.equal(userIdProblem('emoji 😀'), null);
  });
});

test('client events are the ones named client-…', () => {
  assert.equal(isClientEventName('client-typing'), true);
  assert.equal(isClientEventName('typing'), false);
  assert.equal(isClientEventName('pusher:ping'), false);
  assert.equal(isClientEventName('my-client-event'), false);
});

test('a user has its own server-to-user channel', () => {
  assert.equal(serverToUserChannel('42'), '#server-to-user-42');
  assert.equal(channelKind(serverToUserChannel('42')).serverToUser, true);
});
