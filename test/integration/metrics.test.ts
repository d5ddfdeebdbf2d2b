// /metrics is scraped after real clients and the SDK did known things, and
// shows exactly those: connections by transport, subscriptions, events,
// frames in and out, API latency observations and rate-limit rejections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP, startHerald } from '../helpers/herald.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('metrics show the connections, subscriptions, events and traffic a test produced', async (t) => {
  const h = await startHerald({ apps: [{ ...APP, clientEvents: true, apiRequestsPerSecond: 3 }] });
  t.after(() => h.close());
  const before = await scrape(h.url);
  assert.equal(value(before, 'herald_connections{transport="ws"}'), 0);

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

  const text = await scrape(h.url);
  assert.equal(value(text, 'herald_connections{transport="ws"}'), 2);
  assert.equal(value(text, 'herald_connections_opened_total{transport="ws"}'), 2);
  assert.equal(value(text, 'herald_subscriptions'), 3);
  assert.equal(value(text, 'herald_events_total{source="api"}'), 1);
  assert.equal(value(text, 'herald_rate_limit_rejections_total{action="api_request"}'), statuses.filter((s) => s === 429).length);
  assert.equal(value(text, 'herald_http_api_request_duration_seconds_count{route="/apps/:appId/events",method="POST",status="200"}'), 1);
  assert.equal(value(text, 'herald_http_api_request_duration_seconds_count{route="/apps/:appId/channels",method="GET",status="429"}'), statuses.filter((s) => s === 429).length);
  // Frames from clients: three subscribes (pusher-js sends no ping this early).
  assert.equal(value(text, 'herald_messages_received_total'), 3);
  // To clients: 2 connection_established, 3 subscription_succeeded, the event to each of the 2 subscribers.
  assert.equal(value(text, 'herald_messages_sent_total'), 7);
  assert.ok((value(text, 'herald_bytes_sent_total') ?? 0) > (value(text, 'herald_bytes_received_total') ?? 0));
  assert.equal(value(text, 'herald_webhook_queue_depth'), 0);

  second.disconnect();
  await waitFor(async () => value(await scrape(h.url), 'herald_connections{transport="ws"}') === 1, 'the closed connection to be counted');
  assert.equal(value(await scrape(h.url), 'herald_subscriptions'), 1);
});
