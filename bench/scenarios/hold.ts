// hold: as many connections as one server process may hold (its descriptor
// limit), kept for a while with pings flowing; reports errors and memory.
import { ClientPool, shares } from '../lib/client-pool.js';
import { connectAll, round, startWindow, type ScenarioContext, type ScenarioResult } from './common.js';

const CONNECTIONS_PER_CLIENT = 5000;

export async function holdScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { connectionsPerWorker, seconds, pingEverySeconds } = ctx.options.hold;
  const total = connectionsPerWorker * ctx.workers;
  const pool = await ClientPool.start(Math.max(ctx.options.clients, Math.ceil(total / CONNECTIONS_PER_CLIENT)));
  try {
    const idleRss = ctx.server.resources()?.rssBytes ?? null;
    const connecting = startWindow(ctx.server, pool);
    await connectAll(ctx, pool, shares(total, pool.size), 50);
    const connected = connecting();
    ctx.log(`hold: ${total} connections open after ${round(connected.wallMs / 1000)} s; holding ${seconds} s`);
    const end = startWindow(ctx.server, pool);
    const results = await pool.all('hold', () => ({ durationMs: seconds * 1000, pingEveryMs: pingEverySeconds * 1000 }));
    const window = end();
    const open = results.reduce((n, r) => n + r.open, 0);
    const pingsSent = results.reduce((n, r) => n + r.pingsSent, 0);
    const pongs = results.reduce((n, r) => n + r.pongs, 0);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const closes = results.reduce((n, r) => n + r.unexpectedCloses, 0);
    const problems: string[] = [];
    if (open !== total) problems.push(`${total - open} of ${total} connections lost`);
    if (pongs !== pingsSent) problems.push(`${pingsSent - pongs} of ${pingsSent} pings unanswered`);
    if (errors > 0 || closes > 0) problems.push(`${errors} errors, ${closes} closes`);
    const rss = window.serverRssBytes;
    return {
      scenario: 'hold',
      workers: ctx.workers,
      throughput: open,
      throughputUnit: 'connections held',
      latency: null,
      serverCpuMicrosPerUnit: null,
      clientCpuMicrosPerUnit: null,
      serverRssBytes: rss,
      problems,
      details: {
        connections: total,
        seconds,
        pingsSent,
        pongs,
        serverCpuPercentWhileHolding: window.serverCpuMs === null ? null : round((window.serverCpuMs / window.wallMs) * 100),
        serverRssPerConnectionKB: rss !== null && idleRss !== null ? round((rss - idleRss) / total / 1024, 2) : null,
      },
    };
  } finally {
    await pool.stop();
  }
}
