// /metrics is scraped after real clients and the SDK did known things, and
// shows exactly those: connections by transport, subscriptions, events,
// frames in and out, API latency observations and rate-limit rejections.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { APP, startHerald } from '../helpers/herald.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

test('metrics show the connections, subscriptions, events and traffic a test produced', async (t) => {
  const h = await startHerald({ apps: [{ ...APP, clientEvents: true, apiRequestsPerSecond: 3 }] });
  t.after(() => h.close());
  const before = await scrapeMetrics(h.url);
  assert.equal(seriesValue(before, 'herald_connections{transport="ws"}'), 0);

  const first = h.client(t);
  const second = h.client(t);
  await Promise.all([connected(first), connected(second)]);
  const orders = await subscribed(first, 'orders');
  await subscribed(second, 'orders');
  await subscribed(second, 'invoices');
  const got = nextEvent(orders, 'created');
  await h.sdk().trigger('orders', 'created', { id: 1 });
  await got;
  // Over the app's 3 requests per second: at least one of these is refused with 429.
  const statuses = await Promise.all(Array.from({ length: 5 }, () => h.sdk().get({ path: '/channels' }).then((r) => r.status, (e: { status: number }) => e.status)));
  assert.ok(statuses.includes(429), statuses.join(','));

  const text = await scrapeMetrics(h.url);
  assert.equal(seriesValue(text, 'herald_connections{transport="ws"}'), 2);
  assert.equal(seriesValue(text, 'herald_connections_opened_total{transport="ws"}'), 2);
  assert.equal(seriesValue(text, 'herald_subscriptions'), 3);
  assert.equal(seriesValue(text, 'herald_events_total{source="api"}'), 1);
  assert.equal(seriesValue(text, 'herald_rate_limit_rejections_total{action="api_request"}'), statuses.filter((s) => s === 429).length);
  assert.equal(seriesValue(text, 'herald_http_api_request_duration_seconds_count{route="/apps/:appId/events",method="POST",status="200"}'), 1);
  assert.equal(seriesValue(text, 'herald_http_api_request_duration_seconds_count{route="/apps/:appId/channels",method="GET",status="429"}'), statuses.filter((s) => s === 429).length);
  // Frames from clients: three subscribes (pusher-js sends no ping this early).
  assert.equal(seriesValue(text, 'herald_messages_received_total'), 3);
  // To clients: 2 connection_established, 3 subscription_succeeded, the event to each of the 2 subscribers.
  assert.equal(seriesValue(text, 'herald_messages_sent_total'), 7);
  assert.ok((seriesValue(text, 'herald_bytes_sent_total') ?? 0) > (seriesValue(text, 'herald_bytes_received_total') ?? 0));
  assert.equal(seriesValue(text, 'herald_webhook_queue_depth'), 0);

  second.disconnect();
  await waitFor(async () => seriesValue(await scrapeMetrics(h.url), 'herald_connections{transport="ws"}') === 1, 'the closed connection to be counted');
  assert.equal(seriesValue(await scrapeMetrics(h.url), 'herald_subscriptions'), 1);
});

const METRICS_TOKEN = 'a-metrics-token-for-prometheus';

test('with a metrics token, /metrics answers 401 without it or with a wrong one, and 200 with it', async (t) => {
  const h = await startHerald({ overrides: { metricsToken: METRICS_TOKEN } });
  t.after(() => h.close());
  const get = (authorization?: string) => fetch(`${h.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

  for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
    const refused = await get(authorization);
    assert.equal(refused.status, 401, `authorization: ${authorization}`);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="herald metrics"');
    const body = (await refused.json()) as { error: string };
    assert.match(body.error, /metrics token/);
    assert.ok(!body.error.includes(METRICS_TOKEN), 'the token is never echoed');
  }
  const ok = await get(`Bearer ${METRICS_TOKEN}`);
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^herald_connections\{transport="ws"\} 0$/m);
  // Health and readiness stay open: load balancers have no token.
  assert.equal((await fetch(`${h.url}/health`)).status, 200);
  assert.equal((await fetch(`${h.url}/ready`)).status, 200);
});

test('past 10 wrong metrics tokens a minute, an address gets 429 with Retry-After, even with the right token; other addresses scrape on', async (t) => {
  const h = await startHerald({ overrides: { metricsToken: METRICS_TOKEN, trustedProxies: ['127.0.0.1'] } });
  t.after(() => h.close());
  // Real requests from chosen loopback addresses, so that each is another client.
  const scrape = (from: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/metrics', headers, localAddress: from }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  // A scraper not yet given the token is not guessing: asking without one spends nothing.
  for (let i = 0; i < 12; i++) assert.equal((await scrape('127.0.0.21')).status, 401);
  assert.equal((await scrape('127.0.0.21', bearer(METRICS_TOKEN))).status, 200);

  for (let i = 0; i < 10; i++) assert.equal((await scrape('127.0.0.22', bearer(`wrong-metrics-token-${i}`))).status, 401, `wrong token ${i + 1}`);
  for (const token of ['one-more-wrong-metrics-token', METRICS_TOKEN]) {
    const locked = await scrape('127.0.0.22', bearer(token));
    assert.equal(locked.status, 429);
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${locked.headers['retry-after']}`);
    assert.match(locked.body, /Too many wrong metrics tokens from this address: try again in \d+ s/);
    assert.ok(!locked.body.includes('herald_'), 'no metrics while locked out');
  }
  assert.equal((await scrape('127.0.0.23', bearer(METRICS_TOKEN))).status, 200, 'another address is not affected');

  // Behind the trusted proxy, the forwarded client is the one that spends: the proxy's other clients scrape on.
  for (let i = 0; i < 10; i++) assert.equal((await scrape('127.0.0.1', { ...bearer(`wrong-${i}-wrong-${i}`), 'x-forwarded-for': '203.0.113.5' })).status, 401);
  assert.equal((await scrape('127.0.0.1', { ...bearer(METRICS_TOKEN), 'x-forwarded-for': '203.0.113.5' })).status, 429);
  assert.equal((await scrape('127.0.0.1', { ...bearer(METRICS_TOKEN), 'x-forwarded-for': '203.0.113.6' })).status, 200);
});

test('with a metrics port, /metrics is served there only; /health and /ready are on both ports', async (t) => {
  const h = await startHerald({ overrides: { metricsPort: 0, metricsToken: METRICS_TOKEN } });
  t.after(() => h.close());
  const metricsPort = h.herald.metricsPort;
  assert.ok(metricsPort !== null && metricsPort !== h.port, `a metrics port of its own, got ${metricsPort}`);
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const auth = { authorization: `Bearer ${METRICS_TOKEN}` };

  const onMain = await fetch(`${h.url}/metrics`, { headers: auth });
  assert.equal(onMain.status, 404);
  assert.deepEqual(await onMain.json(), { error: 'Not found' });
  assert.equal((await fetch(`${metricsUrl}/metrics`)).status, 401);
  for (const url of [h.url, metricsUrl]) {
    assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${url}/ready`)).json(), { status: 'ready' });
  }
  // Nothing else is served on the metrics port: not the API, the console, the stats or WebSockets.
  for (const path of ['/', `/apps/${APP.id}/channels`, '/stats', '/console', '/app/test-key']) {
    assert.equal((await fetch(`${metricsUrl}${path}`)).status, 404, path);
  }

  // The metrics port counts what happens on the main port.
  const client = h.client(t);
  await connected(client);
  const text = await (await fetch(`${metricsUrl}/metrics`, { headers: auth })).text();
  assert.equal(seriesValue(text, 'herald_connections{transport="ws"}'), 1);
});

test('without a token or a metrics port (the default), /metrics is open on the main port', async (t) => {
  const h = await startHerald();
  t.after(() => h.close());
  assert.equal(h.herald.metricsPort, null);
  assert.equal((await fetch(`${h.url}/metrics`)).status, 200);
});
