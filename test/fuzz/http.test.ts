// Random HTTP requests to a real Herald: the signed API, the HTTP fallback
// session endpoints and the stats endpoints. Whatever the method, path,
// query, headers and body, the answer is a documented status (never a 500),
// and the server keeps serving a well-behaved caller afterwards.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startHerald, type RunningHerald } from '../helpers/herald.js';
import { longText } from './arbitraries.js';
import { fuzzParameters } from './fuzz-runs.js';

const DOCUMENTED = new Set([200, 204, 400, 401, 403, 404, 405, 413, 429]);

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One raw request; streaming answers (xhr_streaming) are cut after their status and first bytes. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A body always declares its length: without it, Node's client would send bytes the server must read as a next request.
    const allHeaders = body ? { ...headers, 'content-length': String(body.length) } : headers;
    const req = request({ host: '127.0.0.1', port, method, path, headers: allHeaders, agent: false, timeout: 3000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > 0 && (res.headers['content-type'] ?? '').includes('javascript')) {
          // A session stream stays open: its status and opening line are the answer.
          resolve({ status: res.statusCode ?? 0, body: text });
          req.destroy();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path.slice(0, 100)}`)));
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

const segment = fc.oneof(
  fc.constantFrom('apps', 'test-app', 'events', 'batch_events', 'channels', 'users', 'terminate_connections', 'stats', 'app', 'test-key', 'xhr', 'xhr_send', 'xhr_streaming', 'pusher', '..', '%', '%zz', '%E2%82', '%00'),
  fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
  fc.stringMatching(/^[a-zA-Z0-9._~!$&'()*+,;=:@-]{1,12}$/),
  // Long app keys, channel names, user ids and session parts.
  longText(60, 400).map((s) => encodeURIComponent(s)),
);
const path = fc.array(segment, { maxLength: 7 }).map((parts) => `/${parts.join('/')}`);
const queryPair = fc.tuple(
  fc.oneof(fc.constantFrom('auth_key', 'auth_timestamp', 'auth_signature', 'auth_version', 'body_md5', 'info', 'filter_by_prefix', 'protocol'), fc.string({ maxLength: 10 })),
  fc.oneof(
    fc.constantFrom('test-key', '1.0', String(Math.floor(Date.now() / 1000)), 'user_count', 'presence-', '7'),
    fc.string({ maxLength: 30 }),
    // A protocol version of hundreds of digits, a long prefix or key.
    fc.integer({ min: 60, max: 1000 }).map((n) => '7'.repeat(n)),
    longText(60, 400),
  ),
);
const query = fc.array(queryPair, { maxLength: 6 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''));
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD');
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const headers = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), headerValue),
    // A header carries Latin-1 at most: é is two bytes once read as UTF-8.
    origin: fc.oneof(
      fc.constantFrom('https://example.com', 'null'),
      headerValue,
      fc.integer({ min: 100, max: 4000 }).chain((n) => fc.constantFrom('x', 'é').map((char) => `https://${char.repeat(n)}.example`)),
    ),
    authorization: fc.oneof(fc.constant('Bearer wrong-token-wrong-token'), headerValue),
    cookie: headerValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(null),
  fc.json().map((j) => Buffer.from(j)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.constantFrom('{"name":"e","channel":"c","data":"{}"}', '{"batch":[{}]}', '["{\\"event\\":\\"pusher:ping\\"}"]', '[1,2]', '{"channels":[]}').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
);

describe('fuzz: HTTP requests against a running Herald', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { consoleToken: 'fuzz-console-token-0123456789' } });
  });
  after(() => h.close());

  test('every request gets a documented status, never a 500, and the API keeps working', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(method, fc.oneof(path, fc.constantFrom('/apps/test-app/events', '/apps/test-app/channels', '/pusher/app/test-key/1/abcdefgh/xhr_send', '/pusher/app/test-key/1/abcdefgh/xhr_streaming', '/stats')), query, headers, body, async (m, p, q, hs, b) => {
        run++;
        const answer = await send(h.port, m, p + q, hs, m === 'GET' || m === 'HEAD' ? null : b);
        assert.ok(DOCUMENTED.has(answer.status), `${m} ${p}${q} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        if (answer.status >= 400 && m !== 'HEAD' && answer.body) {
          const parsed = JSON.parse(answer.body) as { error?: unknown };
          assert.equal(typeof parsed.error, 'string', 'an error answer says what is wrong');
        }
        if (run % 25 === 0) {
          const ok = await h.sdk().trigger('still-serving', 'tick', { run });
          assert.equal(ok.status, 200);
        }
      }),
      fuzzParameters(300),
    );
  });

  test('malformed HTTP (bad request lines, headers) is answered 400 and the server keeps serving', async () => {
    const { connect } = await import('node:net');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('GET / HTTP/9.9\r\n\r\n', 'GET /\r\n\r\n', 'POST /apps/test-app/events HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n')), async (raw) => {
        const answer = await new Promise<string>((resolve) => {
          const socket = connect(h.port, '127.0.0.1', () => socket.end(raw.includes('\r\n\r\n') ? raw : `${raw}\r\n\r\n`));
          let text = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => (text += chunk));
          socket.on('close', () => resolve(text));
          socket.on('error', () => resolve(text));
          socket.setTimeout(3000, () => socket.destroy());
        });
        if (answer.length > 0) assert.doesNotMatch(answer.split('\r\n')[0] ?? '', /\s5\d\d\s/);
      }),
      fuzzParameters(100),
    );
    assert.equal((await h.sdk().trigger('still-serving', 'tick', {})).status, 200);
  });
});
