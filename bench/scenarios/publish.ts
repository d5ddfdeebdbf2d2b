// publish: concurrent keep-alive HTTP clients trigger as fast as they are
// answered, to a channel with a few subscribers.
import { ClientPool, shares } from '../lib/client-pool.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { connectAll, mergeDeliveries, perUnitMicros, round, startWindow, type ScenarioContext, type ScenarioResult } from './common.js';

const CHANNEL = 'bench-publish';

export async function publishScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { concurrency, seconds, subscribers } = ctx.options.publish;
  const pool = await ClientPool.start(ctx.options.clients);
  try {
    const perClient = shares(subscribers, pool.size);
    await connectAll(ctx, pool, perClient);
    await pool.all('subscribe', (c) => ({
      subscriptions: Array.from({ length: perClient[c.index] ?? 0 }, (_, i) => ({ connection: i, channel: CHANNEL })),
      timeoutMs: 30_000,
    }));
    await pool.all('resetStats', () => ({}));
    const lanes = shares(concurrency, pool.size);
    const end = startWindow(ctx.server, pool);
    const results = await pool.all('publish', (c) => ({
      target: ctx.server.target,
      channel: CHANNEL,
      concurrency: lanes[c.index] ?? 0,
      durationMs: seconds * 1000,
      payloadBytes: ctx.options.payloadBytes,
    }));
    const window = end();
    const ok = results.reduce((n, r) => n + r.ok, 0);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const latency = new LatencyHistogram();
    for (const r of results) latency.merge(r.latency);
    // Every accepted trigger must reach every subscriber.
    const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: ok * (perClient[c.index] ?? 0), timeoutMs: 15_000 })));
    const problems: string[] = [];
    if (errors > 0) problems.push(`${errors} triggers failed: ${results.find((r) => r.firstError)?.firstError ?? ''}`);
    if (stats.received !== ok * subscribers) problems.push(`${ok * subscribers - stats.received} of ${ok * subscribers} deliveries missing`);
    return {
      scenario: 'publish',
      workers: ctx.workers,
      throughput: round((ok / window.wallMs) * 1000),
      throughputUnit: 'triggers/s',
      latency: latency.summary(),
      serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, ok),
      clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, ok),
      serverRssBytes: window.serverRssBytes,
      problems,
      details: { concurrency, seconds, subscribers, triggers: ok, errors, deliveries: stats.received, latencyIs: 'HTTP request to response', payloadBytes: ctx.options.payloadBytes },
    };
  } finally {
    await pool.stop();
  }
}
