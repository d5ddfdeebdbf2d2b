// transports: trigger→receive latency of the same events over WebSocket and
// over pusher-js's HTTP fallback transports (xhr_streaming, xhr_polling),
// measured with the real pusher-js Node build, a few clients per transport.
import PusherJSModule from 'pusher-js';
import type { Options } from 'pusher-js';
import { clockMs, LatencyHistogram } from '../lib/histogram.js';
import { benchPayload, PipelinedApiClient } from '../lib/http-api.js';
import { perUnitMicros, round, sendAtRate, type ScenarioContext, type ScenarioResult } from './common.js';

interface PusherClient {
  connection: { state: string; bind(event: string, cb: () => void): void };
  subscribe(channel: string): { bind(event: string, cb: (data: unknown) => void): void };
  disconnect(): void;
}
const PusherJS = PusherJSModule as unknown as new (key: string, options: Options) => PusherClient;

const TRANSPORTS = ['ws', 'xhr_streaming', 'xhr_polling'] as const;

export async function transportsScenario(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  if (ctx.workers > 1) {
    ctx.log('transports: skipped with several workers (HTTP fallback sessions live in one process)');
    return [];
  }
  const results: ScenarioResult[] = [];
  for (const transport of TRANSPORTS) results.push(await measure(ctx, transport));
  return results;
}

async function measure(ctx: ScenarioContext, transport: (typeof TRANSPORTS)[number]): Promise<ScenarioResult> {
  const { clients: count, messages, rate } = ctx.options.transports;
  const { target } = ctx.server;
  const channel = `bench-transport-${transport}`;
  const latency = new LatencyHistogram();
  let received = 0;
  const clients: PusherClient[] = [];
  const api = new PipelinedApiClient(target);
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const client = new PusherJS(target.app.key, {
          cluster: 'mt1',
          wsHost: target.host,
          wsPort: target.port,
          httpHost: target.host,
          httpPort: target.port,
          forceTLS: false,
          enabledTransports: [transport],
          enableStats: false,
        } as Options);
        clients.push(client);
        const subscribed = new Promise<void>((resolve) => {
          const ch = client.subscribe(channel);
          ch.bind('pusher:subscription_succeeded', () => resolve());
          ch.bind('bench', (data) => {
            const sentAt = (data as { t?: number }).t;
            if (typeof sentAt === 'number') latency.record((clockMs() - sentAt) * 1000);
            received++;
          });
        });
        await withTimeout(subscribed, 15_000, `a ${transport} client to subscribe`);
      }),
    );
    ctx.log(`transports: ${count} ${transport} clients, ${messages} events at ${rate}/s`);
    const before = ctx.server.resources();
    const sent = await sendAtRate(messages, rate, (i, sentAt) =>
      api.trigger({ channel, name: 'bench', data: benchPayload(i, sentAt, ctx.options.payloadBytes) }),
    );
    const expected = messages * count;
    const deadline = Date.now() + 15_000;
    while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const after = ctx.server.resources();
    const seconds = (clockMs() - sent.firstSentAt) / 1000;
    const problems: string[] = [];
    if (sent.failed > 0) problems.push(`${sent.failed} triggers failed: ${sent.firstError ?? ''}`);
    if (received !== expected) problems.push(`${expected - received} of ${expected} deliveries missing`);
    return {
      scenario: `transport-${transport}`,
      workers: ctx.workers,
      throughput: round(received / seconds),
      throughputUnit: 'deliveries/s',
      latency: latency.summary(),
      serverCpuMicrosPerUnit: before && after ? perUnitMicros(after.cpuMs - before.cpuMs, received) : null,
      clientCpuMicrosPerUnit: null,
      serverRssBytes: after?.rssBytes ?? null,
      problems,
      details: { transport, clients: count, messages, offeredMessagesPerSecond: rate, deliveries: received, deliveryRatio: round(received / expected, 4) },
    };
  } finally {
    for (const c of clients) c.disconnect();
    api.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
