import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Pusher from 'pusher';
import { authTokenProblem, channelAuthMessage, hmacSha256Hex, md5Hex, safeEqual, userAuthMessage } from './signatures.js';

// The worked example of the Pusher HTTP API and channel authorization docs.
const DOCS_APP = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };

const APP = { key: 'test-key', secret: 'test-secret' };
const sdk = new Pusher({ appId: 'test-app', ...APP, host: '127.0.0.1', useTLS: false });

describe('hashes', () => {
  test('the documented request signature', () => {
    const body = JSON.stringify({ name: 'foo', channels: ['project-3'], data: JSON.stringify({ some: 'data' }) });
    assert.equal(md5Hex(body), 'ec365a775a4cd0599faeb73354201b6f');
    assert.equal(md5Hex(Buffer.from(body)), 'ec365a775a4cd0599faeb73354201b6f');
    const signed = `POST\n/apps/3/events\nauth_key=${DOCS_APP.key}&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f`;
    assert.equal(hmacSha256Hex(DOCS_APP.secret, signed), 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c');
  });
});

describe('safeEqual', () => {
  test('equal strings are equal', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('ümlaut', 'ümlaut'), true);
  });

  test('any difference, including length, is unequal', () => {
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'Abc'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('abcd', 'abc'), false);
    assert.equal(safeEqual('', 'a'), false);
    // Same number of characters, different number of bytes.
    assert.equal(safeEqual('ü', 'uu'), false);
  });
});

describe('auth messages', () => {
  test('a channel auth message is socket:channel, plus channel_data for presence', () => {
    assert.equal(channelAuthMessage('1.2', 'private-x'), '1.2:private-x');
    assert.equal(channelAuthMessage('1.2', 'presence-x', '{"user_id":"1"}'), '1.2:presence-x:{"user_id":"1"}');
  });

  test('a user auth message is socket::user::user_data', () => {
    assert.equal(userAuthMessage('1.2', '{"id":"1"}'), '1.2::user::{"id":"1"}');
  });
});

describe('authTokenProblem', () => {
  test('accepts the documented private channel token', () => {
    const token = `${DOCS_APP.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`;
    assert.equal(authTokenProblem(token, DOCS_APP, channelAuthMessage('1234.1234', 'private-foobar')), null);
  });

  test('accepts the tokens the pusher SDK signs', () => {
    const priv = sdk.authorizeChannel('123.456', 'private-orders');
    assert.equal(authTokenProblem(priv.auth, APP, channelAuthMessage('123.456', 'private-orders')), null);

    const presence = sdk.authorizeChannel('123.456', 'presence-room', { user_id: '7', user_info: { name: 'Ada' } });
    assert.equal(authTokenProblem(presence.auth, APP, channelAuthMessage('123.456', 'presence-room', presence.channel_data)), null);

    const user = sdk.authenticateUser('123.456', { id: '7', name: 'Ada' });
    assert.equal(authTokenProblem(user.auth, APP, userAuthMessage('123.456', user.user_data)), null);
  });

  test('refuses a token for another socket, channel or channel_data', () => {
    const { auth } = sdk.authorizeChannel('123.456', 'private-orders');
    assert.match(authTokenProblem(auth, APP, channelAuthMessage('123.457', 'private-orders')) ?? '', /invalid signature/);
    assert.match(authTokenProblem(auth, APP, channelAuthMessage('123.456', 'private-other')) ?? '', /invalid signature/);
    const presence = sdk.authorizeChannel('123.456', 'presence-room', { user_id: '7' });
    const forged = JSON.stringify({ user_id: 'admin' });
    assert.match(authTokenProblem(presence.auth, APP, channelAuthMessage('123.456', 'presence-room', forged)) ?? '', /invalid signature/);
  });

  test('refuses a token signed with another secret or for another key', () => {
    const message = channelAuthMessage('123.456', 'private-orders');
    const otherSecret = new Pusher({ appId: 'a', key: APP.key, secret: 'other-secret', host: 'h' }).authorizeChannel('123.456', 'private-orders');
    assert.match(authTokenProblem(otherSecret.auth, APP, message) ?? '', /invalid signature/);
    const otherKey = new Pusher({ appId: 'a', key: 'other-key', secret: APP.secret, host: 'h' }).authorizeChannel('123.456', 'private-orders');
    assert.match(authTokenProblem(otherKey.auth, APP, message) ?? '', /another app key/);
  });

  test('refuses malformed tokens', () => {
    const message = channelAuthMessage('1.1', 'private-x');
    assert.match(authTokenProblem(undefined, APP, message) ?? '', /no auth token/);
    assert.match(authTokenProblem('', APP, message) ?? '', /no auth token/);
    assert.match(authTokenProblem(42, APP, message) ?? '', /no auth token/);
    assert.match(authTokenProblem('no-colon-here', APP, message) ?? '', /key:signature/);
    assert.match(authTokenProblem(`${APP.key}:`, APP, message) ?? '', /invalid signature/);
    const good = hmacSha256Hex(APP.secret, message);
    assert.match(authTokenProblem(`${APP.key}:${good.toUpperCase()}`, APP, message) ?? '', /invalid signature/);
    assert.equal(authTokenProblem(`${APP.key}:${good}`, APP, message), null);
  });
});
