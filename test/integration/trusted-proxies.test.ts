// Behind a reverse proxy every client comes from the proxy's address. With
// the proxy trusted (HERALD_TRUSTED_PROXIES), the address its X-Forwarded-For
// names is the client's, for the per-address connection limit and the console's
// budget of wrong tokens; from any other peer the header is ignored, so a client
// cannot pick its own address. Requests go out from chosen loopback addresses:
// 127.0.0.1 plays the proxy, 127.0.0.2 a client that reached Herald directly.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test, type TestContext } from 'node:test';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { closedBy, frameData, PUSHER_JS_QUERY, rawSocket } from '../helpers/raw-socket.js';

const PROXY = '127.0.0.1';
const DIRECT = '127.0.0.2';
const CONSOLE_TOKEN = 'trusted-proxies-console-token';
const BUDGET = 10;

async function start(t: TestContext, trusted: boolean): Promise<RunningHerald> {
  const h = await startHerald({
    overrides: { maxConnectionsPerAddress: 1, consoleToken: CONSOLE_TOKEN, ...(trusted ? { trustedProxies: [PROXY, '10.0.0.0/8'] } : {}) },
  });
  t.after(() => h.close());
  return h;
}

/**
 * Whether a WebSocket from `from`, forwarded for `forwardedFor` (an
 * X-Forwarded-For value, or `{ forwarded }`: a Forwarded one), is admitted;
 * a refusal must be 4004.
 */
async function admitted(h: RunningHerald, t: TestContext, from: string, forwardedFor: string | { forwarded: string }): Promise<boolean> {
  const headers: Record<string, string> = typeof forwardedFor === 'string' ? { 'x-forwarded-for': forwardedFor } : { forwarded: forwardedFor.forwarded };
  const socket = rawSocket(h.port, t, { key: APP.key, localAddress: from, headers });
  const frame = await socket.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error', 'admitted or refused');
  if (frame.event === 'pusher:connection_established') return true;
  assert.equal(frameData<{ code: number }>(frame).code, 4004);
  assert.equal((await closedBy(socket)).code, 4004);
  return false;
}

test('through a trusted proxy, each forwarded client has its own per-address connection budget', async (t) => {
  const h = await start(t, true);
  assert.equal(await admitted(h, t, PROXY, '203.0.113.1'), true);
  assert.equal(await admitted(h, t, PROXY, '203.0.113.2'), true, 'another client behind the same proxy');
  // Proxies further along the chain are skipped: the client is the right-most untrusted entry.
  assert.equal(await admitted(h, t, PROXY, '203.0.113.3, 10.1.2.3'), true);
  assert.equal(await admitted(h, t, PROXY, '203.0.113.1'), false, 'a second connection of the first client');
  assert.equal(await admitted(h, t, PROXY, '198.51.100.9, 203.0.113.2'), false, 'what the client wrote to the left does not change who it is');
  assert.equal(h.herald.connections.count(), 3);
});

test('a trusted proxy that sends the standard Forwarded header instead: the same budgets, by its for= addresses', async (t) => {
  const h = await start(t, true);
  assert.equal(await admitted(h, t, PROXY, { forwarded: 'for=203.0.113.1;proto=https' }), true);
  assert.equal(await admitted(h, t, PROXY, { forwarded: 'for="[2001:db8::7]:4711"' }), true, 'another client behind the same proxy');
  assert.equal(await admitted(h, t, PROXY, { forwarded: 'for=198.51.100.9, for=203.0.113.1' }), false, 'a second connection of the first client');
  // From a peer that is not a trusted proxy, the header is ignored like X-Forwarded-For.
  assert.equal(await admitted(h, t, DIRECT, { forwarded: 'for=203.0.113.5' }), true);
  assert.equal(await admitted(h, t, DIRECT, { forwarded: 'for=203.0.113.6' }), false);
});

test('from a peer that is not a trusted proxy, X-Forwarded-For is ignored: a client cannot choose its address', async (t) => {
  const h = await start(t, true);
  assert.equal(await admitted(h, t, DIRECT, '203.0.113.1'), true);
  assert.equal(await admitted(h, t, DIRECT, '203.0.113.2'), false);
});

test('without HERALD_TRUSTED_PROXIES, X-Forwarded-For is ignored and every client behind the proxy shares its address', async (t) => {
  const h = await start(t, false);
  assert.equal(await admitted(h, t, PROXY, '203.0.113.1'), true);
  assert.equal(await admitted(h, t, PROXY, '203.0.113.2'), false);
});

test('HTTP fallback sessions are counted by the forwarded address too', async (t) => {
  const h = await start(t, true);
  const open = async (forwardedFor: string): Promise<string> => {
    const abort = new AbortController();
    t.after(() => abort.abort());
    const res = await fetch(`${h.url}/pusher/app/${APP.key}/123/${rid()}/xhr_streaming?${PUSHER_JS_QUERY}`, {
      method: 'POST',
      headers: { 'x-forwarded-for': forwardedFor },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!/^(a|c)\[.*\]$/m.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return /^c\[(\d+)/m.exec(text)?.[1] ?? 'open';
  };
  assert.equal(await admitted(h, t, PROXY, '203.0.113.1'), true);
  assert.equal(await open('203.0.113.2'), 'open');
  assert.equal(await open('203.0.113.1'), '4004', 'the WebSocket client of 203.0.113.1 already holds its one place');
});

/** A console login from the loopback address `from`, forwarded for `forwardedFor`. */
function login(h: RunningHerald, from: string, forwardedFor: string, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ token });
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor };
    const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/console/api/login', headers, localAddress: from }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function spendBudget(h: RunningHerald, from: string, forwardedFor: string): Promise<void> {
  for (let i = 0; i < BUDGET; i++) assert.equal((await login(h, from, forwardedFor, `wrong-token-${i}`)).status, 401);
}

test("through a trusted proxy, one client's wrong console tokens lock out that client, not everyone behind the proxy", async (t) => {
  const h = await start(t, true);
  await spendBudget(h, PROXY, '203.0.113.1');
  const locked = await login(h, PROXY, '203.0.113.1', CONSOLE_TOKEN);
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.retryAfter) >= 1, `Retry-After: ${locked.retryAfter}`);
  assert.equal((await login(h, PROXY, '203.0.113.2', CONSOLE_TOKEN)).status, 200, 'another client behind the proxy');

  // A client reaching Herald directly cannot escape its budget by writing the header.
  await spendBudget(h, DIRECT, '198.51.100.1');
  assert.equal((await login(h, DIRECT, '198.51.100.2', CONSOLE_TOKEN)).status, 429);
});

test('without HERALD_TRUSTED_PROXIES, every client behind the proxy shares its console budget', async (t) => {
  const h = await start(t, false);
  await spendBudget(h, PROXY, '203.0.113.1');
  assert.equal((await login(h, PROXY, '203.0.113.2', CONSOLE_TOKEN)).status, 429);
});
