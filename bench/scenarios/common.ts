// What every scenario shares: its inputs, its result shape, and measuring the
// server's CPU and memory over a window of work.
import type { DeliveryStats } from '../client/commands.js';
import type { ClientPool } from '../lib/client-pool.js';
import { clockMs, LatencyHistogram, type LatencySummary } from '../lib/histogram.js';
import { benchPayload, type PipelinedApiClient } from '../lib/http-api.js';
import type { ServerUnderTest } from '../lib/server.js';
import type { BenchOptions } from '../options.js';

export interface ScenarioContext {
  readonly server: ServerUnderTest;
  readonly options: BenchOptions;
  readonly workers: number;
  /** Progress lines for the person watching (stderr). */
  log(message: string): void;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly workers: number;
  readonly throughput: number;
  readonly throughputUnit: string;
  readonly latency: LatencySummary | null;
  /** Server CPU (user + system, whole process tree) per unit of work, in µs. */
  readonly serverCpuMicrosPerUnit: number | null;
  /** The same for the client processes: when it is larger, the load generator is the limit. */
  readonly clientCpuMicrosPerUnit: number | null;
  readonly serverRssBytes: number | null;
  /** Problems that make the figures suspect (lost deliveries, errors); empty when clean. */
  readonly problems: string[];
  readonly details: Record<string, number | string | boolean | null | LatencySummary>;
}

export interface Window {
  readonly wallMs: number;
  readonly serverCpuMs: number | null;
  readonly serverRssBytes: number | null;
  /** CPU used meanwhile by the client processes (the load generator). */
  readonly clientCpuMs: number;
}

/** Starts measuring; call the returned function when the work is done. */
export function startWindow(server: ServerUnderTest, pool: ClientPool): () => Window {
  const before = server.resources();
  const clientsBefore = pool.cpuMs();
  const startedAt = clockMs();
  return () => {
    const after = server.resources();
    return {
      wallMs: clockMs() - startedAt,
      serverCpuMs: before && after ? after.cpuMs - before.cpuMs : null,
      serverRssBytes: after?.rssBytes ?? null,
      clientCpuMs: pool.cpuMs() - clientsBefore,
    };
  };
}

export function perUnitMicros(cpuMs: number | null, units: number): number | null {
  if (cpuMs === null || units <= 0) return null;
  return round((cpuMs * 1000) / units, 2);
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mergeDeliveries(stats: DeliveryStats[]): { received: number; outOfOrder: number; latency: LatencyHistogram; memberLatency: LatencyHistogram; errors: number; unexpectedCloses: number; lastReceivedAt: number } {
  const latency = new LatencyHistogram();
  const memberLatency = new LatencyHistogram();
  let received = 0;
  let outOfOrder = 0;
  let errors = 0;
  let unexpectedCloses = 0;
  let lastReceivedAt = 0;
  for (const s of stats) {
    latency.merge(s.latency);
    memberLatency.merge(s.memberLatency);
    received += s.received;
    outOfOrder += s.outOfOrder;
    errors += s.errors;
    unexpectedCloses += s.unexpectedCloses;
    lastReceivedAt = Math.max(lastReceivedAt, s.lastReceivedAt);
  }
  return { received, outOfOrder, latency, memberLatency, errors, unexpectedCloses, lastReceivedAt };
}

export type MergedDeliveries = ReturnType<typeof mergeDeliveries>;

/**
 * The part of a result every delivery scenario shares: deliveries per second
 * from the first trigger to the last delivery, latency, CPU per delivery, and
 * every way the run fell short of exact, in-order delivery.
 */
export function deliveryFigures(
  sent: TriggerOutcome,
  stats: MergedDeliveries,
  window: Window,
  expected: number,
  what: string,
): Pick<ScenarioResult, 'throughput' | 'throughputUnit' | 'latency' | 'serverCpuMicrosPerUnit' | 'clientCpuMicrosPerUnit' | 'serverRssBytes' | 'problems'> {
  const deliverySeconds = (stats.lastReceivedAt - sent.firstSentAt) / 1000;
  const problems: string[] = [];
  if (sent.failed > 0) problems.push(`${sent.failed} ${what} failed: ${sent.firstError ?? ''}`);
  if (stats.received !== expected) problems.push(`${expected - stats.received} of ${expected} deliveries missing`);
  if (stats.outOfOrder > 0) problems.push(`${stats.outOfOrder} deliveries out of order`);
  if (stats.unexpectedCloses > 0) problems.push(`${stats.unexpectedCloses} connections closed by the server`);
  return {
    throughput: deliverySeconds > 0 ? round(stats.received / deliverySeconds) : 0,
    throughputUnit: 'deliveries/s',
    latency: stats.latency.summary(),
    serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, stats.received),
    clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, stats.received),
    serverRssBytes: window.serverRssBytes,
    problems,
  };
}

/** Opens `total` connections spread over the pool; throws if any fails. */
export async function connectAll(ctx: ScenarioContext, pool: ClientPool, perClient: number[], concurrency = 100): Promise<void> {
  const { target } = ctx.server;
  const url = `ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=bench&version=1`;
  const results = await pool.all('connect', (c) => ({ url, sourceAddresses: c.sourceAddresses, count: perClient[c.index] ?? 0, concurrency, timeoutMs: 30_000 }));
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} connections failed: ${results.find((r) => r.firstError)?.firstError ?? ''}`);
}

export interface TriggerOutcome {
  readonly sent: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly firstSentAt: number;
}

/**
 * Sends `count` requests at `perSecond`, on schedule whether or not earlier
 * ones have been answered (the agent queues them on its sockets), and waits
 * for every answer. `send(i, sentAt)` makes and sends request i.
 */
export async function sendAtRate(
  count: number,
  perSecond: number,
  send: (i: number, sentAt: number) => Promise<{ status: number; body: string }>,
): Promise<TriggerOutcome> {
  const firstSentAt = clockMs();
  const pending: Array<Promise<void>> = [];
  let failed = 0;
  let firstError: string | null = null;
  for (let i = 0; i < count; i++) {
    const due = firstSentAt + (i * 1000) / perSecond;
    const wait = due - clockMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      send(i, clockMs()).then(
        (res) => {
          if (res.status !== 200) {
            failed++;
            firstError ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
          }
        },
        (err: Error) => {
          failed++;
          firstError ??= err.message;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { sent: count, failed, firstError, firstSentAt };
}

/** Triggers `messages` events to one channel at `perSecond`, numbered from `firstSeq`. */
export function triggerSeries(api: PipelinedApiClient, channel: string, messages: number, perSecond: number, payloadBytes: number, firstSeq: number): Promise<TriggerOutcome> {
  return sendAtRate(messages, perSecond, (i, sentAt) =>
    api.trigger({ channel, name: 'bench', data: benchPayload(firstSeq + i, sentAt, payloadBytes) }),
  );
}
