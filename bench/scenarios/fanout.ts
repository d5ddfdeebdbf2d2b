// fanout: many subscribers on one channel. First messages at a steady rate
// (delivery ratio and trigger→receive latency), then a higher offered rate to
// find the deliveries per second the server sustains, with order checked.
import { ClientPool, shares } from '../lib/client-pool.js';
import { PipelinedApiClient } from '../lib/http-api.js';
import { connectAll, deliveryFigures, mergeDeliveries, round, startWindow, triggerSeries, type ScenarioContext, type ScenarioResult } from './common.js';

const CHANNEL = 'bench-fanout';
const WARM_UP_MESSAGES = 10;

export async function fanoutScenario(ctx: ScenarioContext): Promise<ScenarioResult[]> {
  const { subscribers, messages, rate, saturationRate, saturationSeconds } = ctx.options.fanout;
  const pool = await ClientPool.start(ctx.options.clients);
  const api = new PipelinedApiClient(ctx.server.target); // one socket, pipelined: events leave in order
  try {
    const perClient = shares(subscribers, pool.size);
    await connectAll(ctx, pool, perClient);
    const sub = await pool.all('subscribe', (c) => ({
      subscriptions: Array.from({ length: perClient[c.index] ?? 0 }, (_, i) => ({ connection: i, channel: CHANNEL })),
      timeoutMs: 30_000,
    }));
    const subFailed = sub.reduce((n, r) => n + r.failed, 0);
    if (subFailed > 0) throw new Error(`${subFailed} subscriptions failed: ${sub.find((r) => r.firstError)?.firstError ?? ''}`);
    // A short unmeasured burst first, so the figures are of a warmed-up server.
    await phase(ctx, pool, api, perClient, WARM_UP_MESSAGES, saturationRate, 0, 'warm-up');
    ctx.log(`fanout: ${subscribers} subscribed; ${messages} messages at ${rate}/s`);

    const steady = await phase(ctx, pool, api, perClient, messages, rate, WARM_UP_MESSAGES, 'fanout');
    const saturationMessages = saturationRate * saturationSeconds;
    ctx.log(`fanout: saturation, ${saturationMessages} messages at ${saturationRate}/s (${saturationRate * subscribers} deliveries/s offered)`);
    const saturated = await phase(ctx, pool, api, perClient, saturationMessages, saturationRate, WARM_UP_MESSAGES + messages, 'fanout-saturation');
    return [steady, saturated];
  } finally {
    api.close();
    await pool.stop();
  }
}

async function phase(
  ctx: ScenarioContext,
  pool: ClientPool,
  api: PipelinedApiClient,
  perClient: number[],
  messages: number,
  perSecond: number,
  firstSeq: number,
  name: string,
): Promise<ScenarioResult> {
  const subscribers = perClient.reduce((a, b) => a + b, 0);
  await pool.all('resetStats', () => ({}));
  const end = startWindow(ctx.server, pool);
  const sent = await triggerSeries(api, CHANNEL, messages, perSecond, ctx.options.payloadBytes, firstSeq);
  const drainMs = 30_000 + (messages / perSecond) * 1000;
  const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: messages * (perClient[c.index] ?? 0), timeoutMs: drainMs })));
  const window = end();
  const expected = messages * subscribers;
  return {
    scenario: name,
    workers: ctx.workers,
    ...deliveryFigures(sent, stats, window, expected, 'triggers'),
    details: {
      subscribers,
      messages,
      offeredMessagesPerSecond: perSecond,
      offeredDeliveriesPerSecond: perSecond * subscribers,
      expectedDeliveries: expected,
      deliveries: stats.received,
      deliveryRatio: round(stats.received / expected, 4),
      outOfOrder: stats.outOfOrder,
      secondsFirstTriggerToLastDelivery: round((stats.lastReceivedAt - sent.firstSentAt) / 1000, 2),
      triggerFailures: sent.failed,
      payloadBytes: ctx.options.payloadBytes,
    },
  };
}
