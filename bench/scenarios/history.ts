// history: what channel history costs, measured in one run on one server
// that serves two apps: the bench app (no history) and a second app whose
// channels keep their events. The same fanout and publish work goes to each,
// one after the other, so the figures differ only by history; then one
// client resumes 1 000 kept events and the replay is timed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ClientPool, shares } from '../lib/client-pool.js';
import { clockMs } from '../lib/histogram.js';
import { PipelinedApiClient, type AppCredentials, type Target } from '../lib/http-api.js';
import {
  deliveryFigures,
  mergeDeliveries,
  perUnitMicros,
  round,
  startWindow,
  triggerSeries,
  type ScenarioContext,
  type ScenarioResult,
} from './common.js';

/** Sizes: bounded, whatever the other scenarios' flags say. */
const MAX_FANOUT_SUBSCRIBERS = 1000;
const REPLAY_EVENTS = 1000;
const PUBLISH_SUBSCRIBERS = 5;

/** The app whose channels keep history, beside the bench app. */
export function historyApp(app: AppCredentials): AppCredentials {
  return { id: `${app.id}-history`, key: `${app.key}-history`, secret: `${app.secret}-history` };
}

/** The server's environment for this scenario: a config file adding the history app. */
export function historyServerEnv(app: AppCredentials): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-history-'));
  const file = join(dir, 'herald.json');
  const history = [{ channels: '*', maxEvents: REPLAY_EVENTS, maxAgeSeconds: 600 }];
  writeFileSync(file, JSON.stringify({ apps: [{ ...historyApp(app), history }] }));
  return { HERALD_CONFIG: file };
}

export async function historyScenario(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const plain = ctx.server.target;
  const kept: Target = { ...plain, app: historyApp(plain.app) };
  const results: ScenarioResult[] = [];
  for (const [label, target] of [['off', plain], ['on', kept]] as const) results.push(await fanout(ctx, target, `history-fanout-${label}`));
  for (const [label, target] of [['off', plain], ['on', kept]] as const) results.push(await publish(ctx, target, `history-publish-${label}`));
  results.push(await replay(ctx, kept));
  return results;
}

async function fanout(ctx: ScenarioContext, target: Target, name: string): Promise<ScenarioResult> {
  const subscribers = Math.min(ctx.options.fanout.subscribers, MAX_FANOUT_SUBSCRIBERS);
  const { messages, saturationRate: rate } = ctx.options.fanout;
  const channel = `bench-${name}`;
  const pool = await ClientPool.start(ctx.options.clients);
  const api = new PipelinedApiClient(target);
  try {
    const perClient = shares(subscribers, pool.size);
    await connectTo(pool, target, perClient);
    await subscribeAll(pool, perClient, channel);
    await pool.all('resetStats', () => ({}));
    const end = startWindow(ctx.server, pool);
    const sent = await triggerSeries(api, channel, messages, rate, ctx.options.payloadBytes, 0);
    const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: messages * (perClient[c.index] ?? 0), timeoutMs: 30_000 + (messages / rate) * 1000 })));
    const window = end();
    const expected = messages * subscribers;
    const figures = deliveryFigures(sent, stats, window, expected, 'triggers');
    return {
      scenario: name,
      workers: ctx.workers,
      ...figures,
      // Per delivery, as the fanout scenario's figure.
      serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, stats.received),
      clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, stats.received),
      details: { history: target !== ctx.server.target, subscribers, messages, offeredMessagesPerSecond: rate, deliveries: stats.received, outOfOrder: stats.outOfOrder, cpuPerUnit: 'delivery' },
    };
  } finally {
    api.close();
    await pool.stop();
  }
}

async function publish(ctx: ScenarioContext, target: Target, name: string): Promise<ScenarioResult> {
  const { concurrency, seconds } = ctx.options.publish;
  const channel = `bench-${name}`;
  const pool = await ClientPool.start(ctx.options.clients);
  try {
    const perClient = shares(PUBLISH_SUBSCRIBERS, pool.size);
    await connectTo(pool, target, perClient);
    await subscribeAll(pool, perClient, channel);
    await pool.all('resetStats', () => ({}));
    const lanes = shares(concurrency, pool.size);
    const end = startWindow(ctx.server, pool);
    const runs = await pool.all('publish', (c) => ({ target, channel, concurrency: lanes[c.index] ?? 0, durationMs: seconds * 1000, payloadBytes: ctx.options.payloadBytes }));
    const window = end();
    const ok = runs.reduce((n, r) => n + r.ok, 0);
    const errors = runs.reduce((n, r) => n + r.errors, 0);
    const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: ok * (perClient[c.index] ?? 0), timeoutMs: 15_000 })));
    const problems: string[] = [];
    if (errors > 0) problems.push(`${errors} triggers failed: ${runs.find((r) => r.firstError)?.firstError ?? ''}`);
    if (stats.received !== ok * PUBLISH_SUBSCRIBERS) problems.push(`${ok * PUBLISH_SUBSCRIBERS - stats.received} deliveries missing`);
    return {
      scenario: name,
      workers: ctx.workers,
      throughput: round((ok / window.wallMs) * 1000),
      throughputUnit: 'triggers/s',
      latency: null,
      serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, ok),
      clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, ok),
      serverRssBytes: window.serverRssBytes,
      problems,
      details: { history: target !== ctx.server.target, concurrency, seconds, subscribers: PUBLISH_SUBSCRIBERS, triggers: ok, cpuPerUnit: 'trigger' },
    };
  } finally {
    await pool.stop();
  }
}

/** One client missed REPLAY_EVENTS events; it resumes, and the replay is timed from its subscribe to resume_succeeded. */
async function replay(ctx: ScenarioContext, target: Target): Promise<ScenarioResult> {
  const channel = `bench-history-replay-${Date.now()}`;
  const api = new PipelinedApiClient(target);
  try {
    const first = await RecoveringSocket.open(target);
    await first.subscribe(channel);
    const serial = first.nextSerial();
    await api.trigger({ channel, name: 'bench', data: '{}' });
    const since = await serial;
    first.close();
    const sent = await triggerSeries(api, channel, REPLAY_EVENTS, 5000, ctx.options.payloadBytes, 0);

    const second = await RecoveringSocket.open(target, { [channel]: since });
    const before = ctx.server.resources();
    const startedAt = clockMs();
    const resumed = second.resumed();
    await second.subscribe(channel);
    const outcome = await resumed;
    const wallMs = clockMs() - startedAt;
    const after = ctx.server.resources();
    second.close();
    const cpuMs = before && after ? after.cpuMs - before.cpuMs : null;
    const problems: string[] = [];
    if (sent.failed > 0) problems.push(`${sent.failed} triggers failed: ${sent.firstError ?? ''}`);
    if (outcome.event !== 'herald:resume_succeeded') problems.push(`the resume failed: ${outcome.data}`);
    if (second.events !== REPLAY_EVENTS) problems.push(`${second.events} of ${REPLAY_EVENTS} events replayed`);
    return {
      scenario: 'history-replay',
      workers: ctx.workers,
      throughput: round((second.events / wallMs) * 1000),
      throughputUnit: 'events/s',
      latency: null,
      serverCpuMicrosPerUnit: perUnitMicros(cpuMs, second.events),
      clientCpuMicrosPerUnit: null,
      serverRssBytes: after?.rssBytes ?? null,
      problems,
      details: { replayed: second.events, msSubscribeToResumed: round(wallMs, 1), payloadBytes: ctx.options.payloadBytes, cpuPerUnit: 'replayed event' },
    };
  } finally {
    api.close();
  }
}

async function connectTo(pool: ClientPool, target: Target, perClient: number[]): Promise<void> {
  const url = `ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=bench&version=1`;
  const results = await pool.all('connect', (c) => ({ url, sourceAddresses: c.sourceAddresses, count: perClient[c.index] ?? 0, concurrency: 100, timeoutMs: 30_000 }));
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} connections failed: ${results.find((r) => r.firstError)?.firstError ?? ''} (an external server needs the '${target.app.id}' app with history)`);
}

async function subscribeAll(pool: ClientPool, perClient: number[], channel: string): Promise<void> {
  const sub = await pool.all('subscribe', (c) => ({ subscriptions: Array.from({ length: perClient[c.index] ?? 0 }, (_, i) => ({ connection: i, channel })), timeoutMs: 30_000 }));
  const failed = sub.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} subscriptions failed: ${sub.find((r) => r.firstError)?.firstError ?? ''}`);
}

interface Frame {
  event: string;
  channel?: string;
  data?: string;
  serial?: string;
}

/** A client that opted in to serials (`herald:recovery`), on a plain WebSocket. */
class RecoveringSocket {
  events = 0;
  private readonly waiting: Array<(f: Frame) => boolean> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.serial !== undefined) this.events++;
      for (const w of [...this.waiting]) if (w(frame)) this.waiting.splice(this.waiting.indexOf(w), 1);
    });
  }

  static async open(target: Target, channels: Record<string, string> = {}): Promise<RecoveringSocket> {
    const ws = new WebSocket(`ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=bench&version=1`);
    const socket = new RecoveringSocket(ws);
    await socket.next((f) => f.event === 'pusher:connection_established');
    ws.send(JSON.stringify({ event: 'herald:recovery', data: { channels } }));
    return socket;
  }

  async subscribe(channel: string): Promise<void> {
    const done = this.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel);
    this.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
    await done;
  }

  async nextSerial(): Promise<string> {
    return (await this.next((f) => f.serial !== undefined)).serial as string;
  }

  resumed(): Promise<Frame> {
    return this.next((f) => f.event.startsWith('herald:resume_'));
  }

  close(): void {
    this.ws.terminate();
  }

  private next(match: (f: Frame) => boolean, timeoutMs = 30_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('history bench: no answer from the server in time')), timeoutMs);
      this.waiting.push((f) => {
        if (!match(f)) return false;
        clearTimeout(timer);
        resolve(f);
        return true;
      });
    });
  }
}
