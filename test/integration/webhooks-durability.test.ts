// Webhooks survive the process: a Herald killed (SIGKILL) while its
// receiver is down delivers them after a restart, and one stopped with
// SIGTERM flushes what it was still batching before it exits.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { APP } from '../helpers/herald.js';
import { startHeraldProcess, type StartedHerald } from '../helpers/herald-process.js';
import { metricValue } from '../helpers/metrics.js';
import { localClient } from '../helpers/pusher-js.js';
import { connected, subscribed, waitFor, withTimeout } from '../helpers/wait.js';
import { named, startWebhookReceiver, unusedPort } from '../helpers/webhook-receiver.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** `herald start` with one app whose webhooks go to `url`, its queue in `dataDir`. */
function startChild(t: TestContext, dataDir: string, url: string, env: Record<string, string> = {}): Promise<StartedHerald> {
  const config = join(dataDir, 'herald.json');
  writeFileSync(config, JSON.stringify({ apps: [{ ...APP, webhooks: [{ url, events: ['channel_occupied', 'channel_vacated'] }] }] }));
  return startHeraldProcess(t, {
    args: ['--config', config],
    env: {
      HERALD_DATA_DIR: dataDir,
      HERALD_WEBHOOK_BATCH_MS: '50',
      HERALD_WEBHOOK_RETRY_BASE_MS: '100',
      HERALD_WEBHOOK_RETRY_MAX_MS: '300',
      ...env,
    },
  });
}

test('webhooks pending when Herald is killed are delivered after it restarts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-durable-'));
  dirs.push(dataDir);
  const receiverPort = await unusedPort();
  const url = `http://127.0.0.1:${receiverPort}/hooks`;
  const first = await startChild(t, dataDir, url);
  const c = localClient(t, APP.key, first.port);
  await connected(c);
  const channels = ['orders-1', 'orders-2', 'orders-3'];
  for (const channel of channels) {
    await subscribed(c, channel);
    c.unsubscribe(channel);
  }
  // Queued and already failing against the absent receiver.
  await waitFor(async () => ((await metricValue(first.url, 'herald_webhook_failures_total{reason="network"}')) ?? 0) > 0, 'a failed delivery', 10_000);
  assert.ok(((await metricValue(first.url, 'herald_webhook_queue_depth')) ?? 0) > 0);
  c.disconnect();
  await first.stop('SIGKILL');

  const hooks = await startWebhookReceiver({ port: receiverPort });
  t.after(() => hooks.close());
  const second = await startChild(t, dataDir, url);
  await waitFor(
    () => channels.every((ch) => named(hooks.events, 'channel_occupied', ch).length >= 1 && named(hooks.events, 'channel_vacated', ch).length >= 1),
    'every occupied and vacated of before the kill',
    15_000,
  );
  assert.equal(hooks.invalid, 0);
  await waitFor(async () => (await metricValue(second.url, 'herald_webhook_queue_depth')) === 0, 'an empty queue');
  assert.equal(await second.stop('SIGTERM'), 0, second.output());
});

test('SIGTERM tells clients to reconnect elsewhere (4200), flushes the batched webhooks and exits 0', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-shutdown-'));
  dirs.push(dataDir);
  const hooks = await startWebhookReceiver();
  t.after(() => hooks.close());
  // A batch window far longer than the test: only the shutdown flush can send the webhooks.
  const child = await startChild(t, dataDir, hooks.url, { HERALD_WEBHOOK_BATCH_MS: '600000' });
  const ws = new WebSocket(`ws://127.0.0.1:${child.port}/app/${APP.key}?protocol=7`);
  t.after(() => ws.terminate());
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => frames.push(data.toString()));
  await waitFor(() => frames.some((f) => f.includes('pusher:connection_established')), 'connection_established');
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'orders' } }));
  await waitFor(() => frames.some((f) => f.includes('pusher_internal:subscription_succeeded')), 'subscription_succeeded');
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  const exited = child.stop('SIGTERM');
  const [code] = await withTimeout(closed, 'the server to close the socket', 10_000);
  assert.equal(code, 4200);
  assert.equal(await exited, 0, child.output());
  assert.deepEqual(
    hooks.events.map((e) => [e.name, e.channel]),
    [
      ['channel_occupied', 'orders'],
      ['channel_vacated', 'orders'],
    ],
  );
});
