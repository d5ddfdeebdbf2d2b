// presence: members come and go on presence channels. A few members stay on
// each channel and time the member_added events; churners leave one channel
// and join the next at the offered rate.
import { ClientPool, shares } from '../lib/client-pool.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { connectAll, mergeDeliveries, perUnitMicros, round, startWindow, type ScenarioContext, type ScenarioResult } from './common.js';

export async function presenceScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { channels, watchers, churners, rate, seconds } = ctx.options.presence;
  const pool = await ClientPool.start(ctx.options.clients);
  try {
    const names = Array.from({ length: channels }, (_, i) => `presence-bench-${i}`);
    const watcherShares = shares(channels * watchers, pool.size);
    const churnerShares = shares(churners, pool.size);
    const firstWatcher = watcherShares.map((_, i) => watcherShares.slice(0, i).reduce((a, b) => a + b, 0));
    await connectAll(ctx, pool, watcherShares.map((w, i) => w + (churnerShares[i] ?? 0)));
    const sub = await pool.all('subscribe', (c) => ({
      app: ctx.server.target.app,
      subscriptions: Array.from({ length: watcherShares[c.index] ?? 0 }, (_, i) => {
        const w = (firstWatcher[c.index] ?? 0) + i;
        return { connection: i, channel: names[w % channels] as string, presenceUser: `watcher-${w}` };
      }),
      timeoutMs: 30_000,
    }));
    const subFailed = sub.reduce((n, r) => n + r.failed, 0);
    if (subFailed > 0) throw new Error(`${subFailed} watcher subscriptions failed: ${sub.find((r) => r.firstError)?.firstError ?? ''}`);
    await pool.all('resetStats', () => ({}));
    ctx.log(`presence: ${churners} churners over ${channels} channels at ${rate} joins/s`);

    const end = startWindow(ctx.server, pool);
    const results = await pool.all('churn', (c) => ({
      target: ctx.server.target,
      firstConnection: watcherShares[c.index] ?? 0,
      channels: names,
      joinsPerSecond: (rate * (churnerShares[c.index] ?? 0)) / Math.max(1, churners),
      durationMs: seconds * 1000,
      userPrefix: `churner-${c.index}`,
    }));
    const window = end();
    const joins = results.reduce((n, r) => n + r.joins, 0);
    const leaves = results.reduce((n, r) => n + r.leaves, 0);
    const failed = results.reduce((n, r) => n + r.failed, 0);
    // A join counts once the joiner is told it is in; the member_added of its last joins may then still be
    // on the way to watchers on another worker (through Redis): they get a bounded moment to arrive.
    const expectedMemberEvents = joins * watchers;
    const settleBy = Date.now() + 2000;
    let stats = mergeDeliveries(await pool.all('waitReceived', () => ({ expected: 0, timeoutMs: 0 })));
    while (stats.memberLatency.count < expectedMemberEvents && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 50));
      stats = mergeDeliveries(await pool.all('waitReceived', () => ({ expected: 0, timeoutMs: 0 })));
    }
    const joinLatency = new LatencyHistogram();
    for (const r of results) joinLatency.merge(r.joinLatency);
    const problems: string[] = [];
    if (failed > 0) problems.push(`${failed} joins failed: ${results.find((r) => r.firstError)?.firstError ?? ''}`);
    if (stats.errors > 0) problems.push(`${stats.errors} pusher:error frames`);
    // Each join is announced to the watchers of its channel.
    if (stats.memberLatency.count < expectedMemberEvents) {
      problems.push(`${expectedMemberEvents - stats.memberLatency.count} of ${expectedMemberEvents} member_added events missing`);
    }
    return {
      scenario: 'presence',
      workers: ctx.workers,
      throughput: round((joins / window.wallMs) * 1000),
      throughputUnit: 'joins/s',
      latency: stats.memberLatency.summary(),
      serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, joins + leaves),
      clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, joins + leaves),
      serverRssBytes: window.serverRssBytes,
      problems,
      details: {
        channels,
        watchersPerChannel: watchers,
        churners,
        offeredJoinsPerSecond: rate,
        joins,
        leaves,
        memberAddedEvents: stats.memberLatency.count,
        latencyIs: 'subscribe sent to member_added received by the other members',
        joinToSubscribed: joinLatency.summary(),
        cpuPerUnitIs: 'join or leave',
      },
    };
  } finally {
    await pool.stop();
  }
}
