import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { HttpError } from '../protocol/errors.js';
import { ConsoleSessions, readCookie, SESSION_COOKIE, SESSION_TTL_MS } from './session.js';

const TOKEN = 'a-console-token-of-some-length';
const request = (headers: IncomingMessage['headers']) => ({ headers }) as IncomingMessage;

test('a session issued with the token is accepted until it expires', () => {
  const sessions = new ConsoleSessions(TOKEN);
  const now = 1_700_000_000_000;
  const { value } = sessions.issue(now);
  assert.equal(sessions.sessionValid(value, now + 1000), true);
  assert.equal(sessions.sessionValid(value, now + SESSION_TTL_MS), false);
  assert.equal(sessions.authenticated(request({ cookie: `other=1; ${SESSION_COOKIE}=${value}` }), now), true);
});

test('a session from another token, a forged or a stretched expiry is refused', () => {
  const now = 1_700_000_000_000;
  const { value } = new ConsoleSessions('another-token-entirely-0000').issue(now);
  const sessions = new ConsoleSessions(TOKEN);
  assert.equal(sessions.sessionValid(value, now), false);
  const [, signature] = sessions.issue(now).value.split('.');
  assert.equal(sessions.sessionValid(`${now + SESSION_TTL_MS * 10}.${signature}`, now), false);
  assert.equal(sessions.sessionValid('garbage', now), false);
  assert.equal(sessions.sessionValid('', now), false);
});

test('a bearer token must be the console token', () => {
  const sessions = new ConsoleSessions(TOKEN);
  assert.equal(sessions.authenticated(request({ authorization: `Bearer ${TOKEN}` })), true);
  assert.equal(sessions.authenticated(request({ authorization: `Bearer ${TOKEN}x` })), false);
  assert.equal(sessions.authenticated(request({})), false);
  assert.equal(sessions.tokenMatches(undefined), false);
});

test('cookies are read by exact name and bad encodings are ignored', () => {
  assert.equal(readCookie('a=1; herald_console_x=2; herald_console=3', 'herald_console'), '3');
  assert.equal(readCookie('herald_console=%E0%A4%A', 'herald_console'), undefined);
  assert.equal(readCookie(undefined, 'herald_console'), undefined);
});

test('past 10 wrong tokens from an address, even the right one is refused (429) until the window passes', () => {
  const sessions = new ConsoleSessions(TOKEN);
  const from = (remoteAddress: string, headers: IncomingMessage['headers'] = {}) => ({ headers, socket: { remoteAddress } }) as IncomingMessage;
  const now = 1_700_000_000_000;
  for (let i = 0; i < 10; i++) assert.equal(sessions.checkToken('wrong', from('198.51.100.7'), now + i), false);
  assert.throws(
    () => sessions.checkToken(TOKEN, from('198.51.100.7'), now + 10),
    (err: unknown) => err instanceof HttpError && err.status === 429 && err.retryAfterSeconds === 60,
  );
  assert.throws(() => sessions.authenticated(from('198.51.100.7', { authorization: `Bearer ${TOKEN}` }), now + 10), HttpError);
  assert.equal(sessions.checkToken(TOKEN, from('198.51.100.8'), now + 10), true);
  assert.equal(sessions.checkToken(TOKEN, from('198.51.100.7'), now + 60_000), true);
});
