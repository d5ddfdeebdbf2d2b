// channels: many channels with one subscriber each; events go to random
// channels, ten to a `batch_events` request, so the HTTP cost is shared and
// the figure is about routing and delivery.
import { ClientPool, shares } from '../lib/client-pool.js';
import { benchPayload, PipelinedApiClient, type BenchEvent } from '../lib/http-api.js';
import { connectAll, deliveryFigures, mergeDeliveries, round, sendAtRate, startWindow, type ScenarioContext, type ScenarioResult } from './common.js';

const EVENTS_PER_BATCH = 10;

export async function channelsScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { channels, rate, seconds } = ctx.options.channels;
  const pool = await ClientPool.start(ctx.options.clients);
  const api = new PipelinedApiClient(ctx.server.target); // one socket, pipelined: events leave in order
  try {
    const perClient = shares(channels, pool.size);
    const firstChannel = perClient.map((_, i) => perClient.slice(0, i).reduce((a, b) => a + b, 0));
    await connectAll(ctx, pool, perClient);
    const sub = await pool.all('subscribe', (c) => ({
      subscriptions: Array.from({ length: perClient[c.index] ?? 0 }, (_, i) => ({ connection: i, channel: `bench-ch-${(firstChannel[c.index] ?? 0) + i}` })),
      timeoutMs: 30_000,
    }));
    const subFailed = sub.reduce((n, r) => n + r.failed, 0);
    if (subFailed > 0) throw new Error(`${subFailed} subscriptions failed: ${sub.find((r) => r.firstError)?.firstError ?? ''}`);
    await pool.all('resetStats', () => ({}));

    // Each client expects exactly the events sent to its channels.
    const expected = new Array<number>(pool.size).fill(0);
    const owner = (channel: number) => {
      let client = 0;
      while (client + 1 < firstChannel.length && channel >= (firstChannel[client + 1] ?? Infinity)) client++;
      return client;
    };
    const batches = Math.ceil((rate * seconds) / EVENTS_PER_BATCH);
    let seq = 0;
    ctx.log(`channels: ${channels} channels, ${batches * EVENTS_PER_BATCH} events at ${rate}/s`);
    const end = startWindow(ctx.server, pool);
    const sent = await sendAtRate(batches, rate / EVENTS_PER_BATCH, (_, sentAt) => {
      const batch: BenchEvent[] = [];
      for (let k = 0; k < EVENTS_PER_BATCH; k++) {
        const channel = Math.floor(Math.random() * channels);
        const client = owner(channel);
        expected[client] = (expected[client] ?? 0) + 1;
        batch.push({ channel: `bench-ch-${channel}`, name: 'bench', data: benchPayload(seq++, sentAt, ctx.options.payloadBytes) });
      }
      return api.triggerBatch(batch);
    });
    const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: expected[c.index] ?? 0, timeoutMs: 30_000 })));
    const window = end();
    const total = batches * EVENTS_PER_BATCH;
    return {
      scenario: 'channels',
      workers: ctx.workers,
      ...deliveryFigures(sent, stats, window, total, 'batch requests'),
      details: {
        channels,
        offeredEventsPerSecond: rate,
        events: total,
        eventsPerRequest: EVENTS_PER_BATCH,
        deliveries: stats.received,
        deliveryRatio: round(stats.received / total, 4),
        outOfOrder: stats.outOfOrder,
        payloadBytes: ctx.options.payloadBytes,
      },
    };
  } finally {
    api.close();
    await pool.stop();
  }
}
