// An app secret and the console token never leave the server: not in its
// logs (at the most verbose level), not in an error answer, a socket frame,
// the metrics or the stats, however the requests go wrong.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadSettings } from '../../src/config/settings.js';
import { createHerald, type Herald } from '../../src/server.js';
import { establishedRawSocket, type RunningHerald } from '../helpers/herald.js';
import { frameData } from '../helpers/raw-socket.js';
import { sdkClient } from '../helpers/sdk.js';

const SECRET = 'Sup3r-Secret-Value-7f3a9c';
const TOKEN = 'Console-Token-Value-0b1c2d3e4f';
const APP = { id: 'secret-app', key: 'secret-key', secret: SECRET };

describe('no secret in logs, errors, frames, metrics or stats', () => {
  const logs: string[] = [];
  const seen: string[] = [];
  let herald: Herald;
  let running: RunningHerald;

  before(async () => {
    const settings = loadSettings({
      env: {},
      overrides: { host: '127.0.0.1', port: 0, logLevel: 'trace', consoleToken: TOKEN, apps: [{ ...APP, clientEvents: true, userAuthentication: true }] },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    herald = createHerald(settings, { logger: pino({ level: 'trace', redact: { paths: ['secret', '*.secret', 'apps[*].secret', 'auth', '*.auth'], censor: '[redacted]' } }, sink) });
    const port = await herald.listen();
    running = {
      herald,
      port,
      url: `http://127.0.0.1:${port}`,
      sdk: (o = {}) => sdkClient(port, { ...APP, secret: SECRET }, o),
      client: () => {
        throw new Error('not used');
      },
      close: () => herald.close(),
    };
  });
  after(() => herald.close());

  test('errors of every kind are answered and logged without the secret', async (t) => {
    const base = running.url;
    const record = async (res: Response) => {
      seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
    };
    // The HTTP API: a wrong secret, a wrong key, a stale timestamp, a bad body, an unknown app.
    const wrong = running.sdk({ secret: 'not-the-secret' });
    await wrong.trigger('c', 'e', {}).catch((err: { body?: string }) => seen.push(String(err.body)));
    await running.sdk({ key: 'other-key' }).trigger('c', 'e', {}).catch((err: { body?: string }) => seen.push(String(err.body)));
    await record(await fetch(`${base}/apps/${APP.id}/events?auth_key=${APP.key}&auth_timestamp=1&auth_signature=abc`, { method: 'POST', body: '{}' }));
    await record(await fetch(`${base}/apps/${APP.id}/events`, { method: 'POST', body: 'not json' }));
    await record(await fetch(`${base}/apps/nope/channels`));
    await running.sdk().post({ path: '/events', body: JSON.stringify({ name: 'e', channels: ['bad channel!'], data: '{}' }) }).catch((err: { body?: string }) => seen.push(String(err.body)));
    // The console and the stats with wrong tokens.
    await record(await fetch(`${base}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'wrong-token-wrong-token' }) }));
    await record(await fetch(`${base}/stats`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } }));
    await record(await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } }));
    await record(await fetch(`${base}/metrics`));

    // The socket: forged channel auth, forged sign-in, a malformed frame.
    const socket = await establishedRawSocket(running, t, APP.key);
    socket.send({ event: 'pusher:subscribe', data: { channel: 'private-x', auth: `${APP.key}:${'0'.repeat(64)}` } });
    await socket.next((f) => f.event === 'pusher:subscription_error', 'the forged subscription to be refused');
    socket.send('{not json');
    await socket.nextEvent('pusher:error');
    socket.send({ event: 'pusher:signin', data: { auth: `${APP.key}:${'0'.repeat(64)}`, user_data: JSON.stringify({ id: 'u' }) } });
    await socket.closed;
    seen.push(...socket.frames.map((f) => JSON.stringify({ ...f, data: f.data === undefined ? undefined : frameData(f) })));

    // A good request too: its log lines must not carry the secret either.
    await running.sdk().trigger('fine', 'e', { ok: true });

    assert.ok(logs.length >= 3, `the logger captured the server at trace level (${logs.length} lines: ${logs.join('').slice(0, 500)})`);
    for (const [what, texts] of [['logs', logs], ['answers and frames', seen]] as const) {
      for (const text of texts) {
        assert.ok(!text.includes(SECRET), `the app secret appeared in the ${what}: ${text.slice(0, 300)}`);
        assert.ok(!text.includes(TOKEN), `the console token appeared in the ${what}: ${text.slice(0, 300)}`);
      }
    }
  });
});
