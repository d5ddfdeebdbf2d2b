// Guessing the console token: each client address has a budget of wrong
// tokens (10 a minute) across the login, bearer headers on the console API
// and /stats; past it the address gets 429 with Retry-After, even with the
// right token, while other addresses and sessions already issued go on.
// Requests go out from chosen loopback addresses (127.0.0.x) to tell clients apart.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startHerald, type RunningHerald } from '../helpers/herald.js';

const TOKEN = 'console-login-limit-token-7c1e';
const WRONG = 'not-the-console-token-at-all';
const BUDGET = 10;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: { error?: string };
}

let h: RunningHerald;
before(async () => {
  h = await startHerald({ overrides: { consoleToken: TOKEN } });
});
after(() => h.close());

/** One HTTP request to Herald from the loopback address `from`. */
function send(from: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, method, path, headers, localAddress: from }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? (JSON.parse(text) as Answer['json']) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const login = (from: string, token: string) =>
  send(from, 'POST', '/console/api/login', { 'content-type': 'application/json' }, JSON.stringify({ token }));

function assertLockedOut(answer: Answer): void {
  assert.equal(answer.status, 429);
  const retryAfter = Number(answer.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${answer.headers['retry-after']}`);
  assert.match(answer.json.error ?? '', /^Too many wrong console tokens from this address: try again in \d+ s$/);
  assert.equal(answer.headers['set-cookie'], undefined);
}

test('after 10 wrong logins an address gets 429 with Retry-After, even with the right token', async () => {
  const from = '127.0.0.11';
  for (let i = 0; i < BUDGET; i++) {
    const wrong = await login(from, `${WRONG}-${i}`);
    assert.equal(wrong.status, 401, `wrong login ${i + 1}`);
    assert.equal(wrong.json.error, 'Wrong console token');
  }
  assertLockedOut(await login(from, WRONG));
  assertLockedOut(await login(from, TOKEN));
  // Bearer tokens are guesses too: the console API and /stats refuse them the same way.
  assertLockedOut(await send(from, 'GET', '/console/api/apps', { authorization: `Bearer ${TOKEN}` }));
  assertLockedOut(await send(from, 'GET', '/stats', { authorization: `Bearer ${TOKEN}` }));

  // Another address is not locked out.
  const other = await login('127.0.0.12', TOKEN);
  assert.equal(other.status, 200);
  assert.match(String(other.headers['set-cookie']), /^herald_console=/);
  assert.equal((await send('127.0.0.12', 'GET', '/stats', { authorization: `Bearer ${TOKEN}` })).status, 200);
});

test('a session issued before the lockout keeps working from the locked address', async () => {
  const from = '127.0.0.13';
  const right = await login(from, TOKEN);
  assert.equal(right.status, 200);
  const cookie = String(right.headers['set-cookie']).split(';')[0]!;
  for (let i = 0; i < BUDGET; i++) assert.equal((await login(from, WRONG)).status, 401);
  assertLockedOut(await login(from, TOKEN));
  assert.equal((await send(from, 'GET', '/console/api/apps', { cookie })).status, 200);
});

test('wrong bearer tokens on the console API and /stats spend the same budget as logins', async () => {
  const from = '127.0.0.14';
  for (let i = 0; i < 4; i++) assert.equal((await send(from, 'GET', '/stats', { authorization: `Bearer ${WRONG}` })).status, 401);
  for (let i = 0; i < 3; i++) assert.equal((await send(from, 'GET', '/console/api/apps', { authorization: `Bearer ${WRONG}` })).status, 401);
  for (let i = 0; i < 3; i++) assert.equal((await login(from, WRONG)).status, 401);
  assertLockedOut(await login(from, TOKEN));
  // Asking without a token is no guess: it costs nothing, and a fresh address answers 401 as before.
  for (let i = 0; i < BUDGET + 2; i++) assert.equal((await send('127.0.0.15', 'GET', '/stats')).status, 401);
  assert.equal((await login('127.0.0.15', TOKEN)).status, 200);
});
