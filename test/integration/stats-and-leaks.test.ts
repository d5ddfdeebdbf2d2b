// The stats endpoints are authenticated, and after clients of every kind
// come and go (public, private, presence, sign-ins, HTTP sessions that are
// abandoned) the server holds nothing for them any more: no connection,
// channel, presence member, user or session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeStats } from '../../src/console/stats-routes.js';
import { APP, serverClosed, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { connected, subscribed, waitFor } from '../helpers/wait.js';

const TOKEN = 'stats-token-0123456789abcdef';

async function stats(h: RunningHerald, token = TOKEN): Promise<{ status: number; body: NodeStats }> {
  const res = await fetch(`${h.url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as NodeStats };
}

const empty = (s: NodeStats) =>
  s.connections.connections === 0 &&
  s.indexes.channels === 0 &&
  s.indexes.subscriptions === 0 &&
  s.indexes.signedInUsers === 0 &&
  s.indexes.presence?.members === 0 &&
  s.indexes.presence.sockets === 0 &&
  s.indexes.userDirectory === 0 &&
  s.httpSessions?.open === 0;

describe('stats endpoints and leaks', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { consoleToken: TOKEN, httpFallback: { sessionTimeoutMs: 300 } } });
  });
  after(() => h.close());

  test('GET /stats needs the console token; GET /apps/{id}/stats a signature', async () => {
    assert.equal((await fetch(`${h.url}/stats`)).status, 401);
    assert.equal((await stats(h, 'not-the-token-at-all')).status, 401);
    const ok = await stats(h);
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.body.memory.heapUsedBytes, 'number');
    assert.equal((await fetch(`${h.url}/apps/${APP.id}/stats`)).status, 401);
    const signed = await h.sdk().get({ path: '/stats' });
    assert.equal(signed.status, 200);
    assert.equal(((await signed.json()) as { connections: { connections: number } }).connections.connections, 0);

    const without = await startHerald();
    try {
      assert.equal((await fetch(`${without.url}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    } finally {
      await without.close();
    }
  });

  test('after churn of every kind of client, nothing is left behind', async (t) => {
    const before = (await stats(h)).body;
    assert.ok(empty(before), JSON.stringify(before));
    for (let round = 0; round < 3; round++) {
      const clients = Array.from({ length: 8 }, (_, i) =>
        signedClient(h, null, { presence: { user_id: `u${i % 3}`, user_info: { round } }, user: { id: `u${i}`, watchlist: ['u0', 'u1'] } }),
      );
      for (const c of clients) {
        await connected(c);
        c.signin();
        await subscribed(c, 'public-room');
        await subscribed(c, 'private-room');
        await subscribed(c, 'presence-room');
        await subscribed(c, `cache-room-${round}`);
      }
      const during = (await stats(h)).body;
      assert.equal(during.connections.connections, 8);
      assert.equal(during.indexes.presence?.members, 3);
      // Some leave cleanly, some unsubscribe first, all go.
      for (const [i, c] of clients.entries()) {
        if (i % 2 === 0) c.unsubscribe('presence-room');
        const gone = serverClosed(h, c.connection.socket_id);
        c.disconnect();
        await gone;
      }
    }
    // An HTTP session that opens, subscribes, then is abandoned: it expires and leaves too.
    const session = `${h.url}/pusher/app/${APP.key}/123/abandon1/`;
    assert.match(await (await fetch(`${session}xhr?protocol=7`, { method: 'POST' })).text(), /^o/);
    await waitFor(async () => (await stats(h)).body.httpSessions?.open === 1 && (await stats(h)).body.connections.connections === 1, 'the HTTP session to be admitted');
    await fetch(`${session}xhr_send`, { method: 'POST', body: JSON.stringify([JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'public-room' } })]) });

    const settled = await waitFor(async () => {
      const s = (await stats(h)).body;
      return empty(s) ? s : null;
    }, 'every count to return to zero');
    assert.ok(settled);
    t.diagnostic(`after churn: ${JSON.stringify({ connections: settled.connections, indexes: settled.indexes, httpSessions: settled.httpSessions })}`);
    const channels = await h.sdk().get({ path: '/channels' });
    assert.deepEqual(await channels.json(), { channels: {} });
  });
});
