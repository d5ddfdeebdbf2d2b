// connect: open N connections as fast as the clients can, and measure the
// rate, the server CPU per connection and the memory each idle one holds.
import { ClientPool, shares } from '../lib/client-pool.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { perUnitMicros, round, startWindow, type ScenarioContext, type ScenarioResult } from './common.js';

export async function connectScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const n = ctx.options.connect.connections;
  const pool = await ClientPool.start(Math.max(ctx.options.clients, Math.ceil(n / 9000)));
  const { target } = ctx.server;
  const url = `ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=bench&version=1`;
  try {
    await settle();
    // Memory is measured from the cold server, so that what the warm-up leaves behind counts against Herald.
    const idleRss = ctx.server.resources()?.rssBytes ?? null;
    // Warm-up, unmeasured: a server that has run for a while has its
    // connection path compiled and its heap grown. The default, a thousand
    // connections, is a server just started (a deploy's reconnect storm);
    // --warm-up 20000 one that has served for a while.
    for (let left = ctx.options.connect.warmUp; left > 0; left -= n) {
      const warmUp = shares(Math.min(left, n), pool.size);
      await pool.all('connect', (c) => ({ url, sourceAddresses: c.sourceAddresses, count: warmUp[c.index] ?? 0, concurrency: 100, timeoutMs: 30_000 }));
      await pool.all('close', () => ({}));
    }
    await settle();
    const end = startWindow(ctx.server, pool);
    const perClient = shares(n, pool.size);
    const results = await pool.all('connect', (c) => ({ url, sourceAddresses: c.sourceAddresses, count: perClient[c.index] ?? 0, concurrency: 100, timeoutMs: 30_000 }));
    const window = end();
    await settle();
    const heldRss = ctx.server.resources()?.rssBytes ?? null;
    const handshake = new LatencyHistogram();
    for (const r of results) handshake.merge(r.handshake);
    const established = results.reduce((s, r) => s + r.established, 0);
    const failed = results.reduce((s, r) => s + r.failed, 0);
    const problems = failed > 0 ? [`${failed} connections failed: ${results.find((r) => r.firstError)?.firstError ?? ''}`] : [];
    const rssPerConnection = idleRss !== null && heldRss !== null && established > 0 ? (heldRss - idleRss) / established : null;
    return {
      scenario: 'connect',
      workers: ctx.workers,
      throughput: round((established / window.wallMs) * 1000),
      throughputUnit: 'connections/s',
      latency: handshake.summary(),
      serverCpuMicrosPerUnit: perUnitMicros(window.serverCpuMs, established),
      clientCpuMicrosPerUnit: perUnitMicros(window.clientCpuMs, established),
      serverRssBytes: heldRss,
      problems,
      details: {
        connections: n,
        established,
        failed,
        secondsToAllEstablished: round(window.wallMs / 1000, 2),
        serverRssIdleBytes: idleRss,
        serverRssHeldBytes: heldRss,
        serverRssPerConnectionKB: rssPerConnection === null ? null : round(rssPerConnection / 1024, 2),
        latencyIs: 'WebSocket handshake to connection_established',
      },
    };
  } finally {
    await pool.stop();
  }
}

/** Lets the server finish what it was doing (and its allocator settle) before memory is read. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1500));
}
