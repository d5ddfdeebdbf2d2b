// Webhooks survive the process: a Herald killed (SIGKILL) while its
// receiver is down delivers them after a restart; events still inside the
// batch window when it is killed are delivered too (after a restart, or by
// another node of the cluster); and one stopped with SIGTERM batches what it
// was still collecting before it exits.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { dropPrefix, HEARTBEAT_MS, NODE_TIMEOUT_MS, REDIS_URL, redisUnavailable, TEST_ROUTING, uniquePrefix } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { startHeraldProcess, type StartedHerald } from '../helpers/herald-process.js';
import { PusherJS } from '../helpers/pusher-js.js';
import { connected, sleep, subscribed, waitFor, withTimeout } from '../helpers/wait.js';
import { named, startWebhookReceiver, unusedPort, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const redisSkip = await redisUnavailable();
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

type Child = StartedHerald;

/** `herald start` with one app whose webhooks go to `url`, its queue in `dataDir`. */
async function startChild(t: TestContext, dataDir: string, url: string, env: Record<string, string> = {}): Promise<Child> {
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

function client(t: TestContext, port: number): PusherJS {
  const c = new PusherJS(APP.key, { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'], enableStats: false });
  t.after(() => c.disconnect());
  return c;
}

async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

test('webhooks pending when Herald is killed are delivered after it restarts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-durable-'));
  dirs.push(dataDir);
  const receiverPort = await unusedPort();
  const url = `http://127.0.0.1:${receiverPort}/hooks`;
  const first = await startChild(t, dataDir, url);
  const c = client(t, first.port);
  await connected(c);
  const channels = ['orders-1', 'orders-2', 'orders-3'];
  for (const channel of channels) {
    await subscribed(c, channel);
    c.unsubscribe(channel);
  }
  // Queued and already failing against the absent receiver.
  await waitFor(async () => (await metric(first.port, /^herald_webhook_failures_total\{reason="network"\} (\d+)/m)) > 0, 'a failed delivery', 10_000);
  assert.ok((await metric(first.port, /^herald_webhook_queue_depth (\d+)/m)) > 0);
  c.disconnect();
  first.process.kill('SIGKILL');
  await withTimeout(once(first.process, 'exit'), 'the killed Herald to exit');

  const hooks = await startWebhookReceiver({ port: receiverPort });
  t.after(() => hooks.close());
  const second = await startChild(t, dataDir, url);
  await waitFor(
    () => channels.every((ch) => named(hooks.events, 'channel_occupied', ch).length >= 1 && named(hooks.events, 'channel_vacated', ch).length >= 1),
    'every occupied and vacated of before the kill',
    15_000,
  );
  assert.equal(hooks.invalid, 0);
  await waitFor(async () => (await metric(second.port, /^herald_webhook_queue_depth (\d+)/m)) === 0, 'an empty queue');
  const stopped = once(second.process, 'exit');
  second.process.kill('SIGTERM');
  await withTimeout(stopped, 'Herald to stop', 15_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${second.output()}`);
  });
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
  const exited = once(child.process, 'exit') as Promise<[number | null, string | null]>;
  child.process.kill('SIGTERM');
  const [code] = await withTimeout(closed, 'the server to close the socket', 10_000);
  assert.equal(code, 4200);
  const [exitCode] = await withTimeout(exited, 'Herald to exit', 15_000);
  assert.equal(exitCode, 0, child.output());
  assert.deepEqual(
    hooks.events.map((e) => [e.name, e.channel]),
    [
      ['channel_occupied', 'orders'],
      ['channel_vacated', 'orders'],
    ],
  );
});

// A batch window far longer than the test takes to kill the process: without
// a durable write when an event happens, the kill would lose every event.
const WINDOW_MS = 2000;
const IN_WINDOW = { HERALD_WEBHOOK_BATCH_MS: String(WINDOW_MS) };

/**
 * Occupies three channels and vacates the first on `node`, then kills it
 * (SIGKILL) well within the batch window, before any request could be made.
 */
async function occupyAndKill(t: TestContext, node: Child, hooks: WebhookReceiver, channels: readonly string[]): Promise<void> {
  const c = client(t, node.port);
  await connected(c);
  const firstEventAt = Date.now();
  for (const channel of channels) await subscribed(c, channel);
  c.unsubscribe(channels[0] as string);
  // The unsubscribe is not answered: give it time to arrive and be recorded, still far inside the window.
  await sleep(300);
  assert.equal(hooks.requests, 0, 'nothing was sent before the kill');
  assert.ok(Date.now() - firstEventAt < WINDOW_MS / 2, 'the kill comes well within the batch window');
  const exited = once(node.process, 'exit');
  node.process.kill('SIGKILL');
  await withTimeout(exited, 'the killed Herald to exit');
  c.disconnect();
}

function assertOnce(hooks: WebhookReceiver, name: string, channels: readonly string[]): void {
  for (const channel of channels) assert.equal(named(hooks.events, name, channel).length, 1, `${name} ${channel}: ${JSON.stringify(hooks.events)}`);
}

test('events still in the batch window when Herald is killed are delivered after it restarts (SQLite queue)', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-window-'));
  dirs.push(dataDir);
  const hooks = await startWebhookReceiver();
  t.after(() => hooks.close());
  const channels = ['window-1', 'window-2', 'window-3'];
  const first = await startChild(t, dataDir, hooks.url, IN_WINDOW);
  await occupyAndKill(t, first, hooks, channels);

  // Stopped with SIGKILL after the test, as the first one was: nothing here depends on a clean stop.
  await startChild(t, dataDir, hooks.url, IN_WINDOW);
  await waitFor(() => channels.every((ch) => named(hooks.events, 'channel_occupied', ch).length > 0), 'the occupied events of before the kill', 15_000);
  await waitFor(() => named(hooks.events, 'channel_vacated', channels[0]).length > 0, 'the vacated event of before the kill', 5000);
  // A request made twice would have arrived by now.
  await sleep(500);
  assert.equal(hooks.invalid, 0);
  assertOnce(hooks, 'channel_occupied', channels);
  assertOnce(hooks, 'channel_vacated', channels.slice(0, 1));
});

describe('with the Redis adapter', { skip: redisSkip ?? false }, () => {
  const prefix = uniquePrefix('webhook-window');
  after(() => dropPrefix(prefix));
  const redis = {
    HERALD_ADAPTER: 'redis',
    HERALD_REDIS_URL: REDIS_URL,
    HERALD_REDIS_PREFIX: prefix,
    HERALD_REDIS_ROUTING: TEST_ROUTING,
    HERALD_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    HERALD_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
    ...IN_WINDOW,
  };

  test('events still in the batch window of a killed node are delivered by another node, once', async (t) => {
    const hooks = await startWebhookReceiver();
    t.after(() => hooks.close());
    const dirA = mkdtempSync(join(tmpdir(), 'herald-window-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'herald-window-b-'));
    dirs.push(dirA, dirB);
    const a = await startChild(t, dirA, hooks.url, redis);
    await startChild(t, dirB, hooks.url, redis);
    const channels = ['window-1', 'window-2', 'window-3'];
    await occupyAndKill(t, a, hooks, channels);

    await waitFor(() => channels.every((ch) => named(hooks.events, 'channel_occupied', ch).length > 0), 'the occupied events of the killed node', 15_000);
    // Its vacated one, and then those b sends once it has found a dead (node timeout) and removed its subscribers.
    await waitFor(() => channels.every((ch) => named(hooks.events, 'channel_vacated', ch).length > 0), 'every channel vacated', 15_000);
    await sleep(1000);
    assert.equal(hooks.invalid, 0);
    assertOnce(hooks, 'channel_occupied', channels);
    assertOnce(hooks, 'channel_vacated', channels);
  });

  test('events still in the batch window of a killed node are delivered after it restarts', async (t) => {
    const hooks = await startWebhookReceiver();
    t.after(() => hooks.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-window-r-'));
    dirs.push(dataDir);
    const channels = ['restart-1', 'restart-2', 'restart-3'];
    const first = await startChild(t, dataDir, hooks.url, redis);
    await occupyAndKill(t, first, hooks, channels);

    await startChild(t, dataDir, hooks.url, redis);
    await waitFor(() => channels.every((ch) => named(hooks.events, 'channel_occupied', ch).length > 0), 'the occupied events of before the kill', 15_000);
    await waitFor(() => named(hooks.events, 'channel_vacated', channels[0]).length > 0, 'the vacated event of before the kill', 5000);
    await sleep(500);
    assert.equal(hooks.invalid, 0);
    assertOnce(hooks, 'channel_occupied', channels);
    });
});
