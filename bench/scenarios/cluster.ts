// cluster: K Herald nodes over one Redis (a redis-server of the run's own on
// loopback), N per-user private channels with one subscriber each spread
// evenly over the nodes, events triggered to random users through any node.
// Run for each K in both routing modes, one after the other, so the gain of
// interest routing is a ratio measured in one run: what each node hears from
// Redis per event it delivers (≈1 by interest, ≈K by broadcast), the servers'
// CPU per delivery, and Redis's CPU per event.
import { get } from 'node:http';
import { ClientPool, shares } from '../lib/client-pool.js';
import { benchPayload, PipelinedApiClient } from '../lib/http-api.js';
import { startRedis, startRedisCluster, type BenchRedis } from '../lib/redis-server.js';
import { startHerald, type ServerUnderTest } from '../lib/server.js';
import type { BenchOptions } from '../options.js';
import { deliveryFigures, mergeDeliveries, round, sendAtRate, type ScenarioResult } from './common.js';
import type { Subscription } from '../client/commands.js';

const MODES = ['broadcast', 'interest'] as const;
const IDLE_SAMPLE_MS = 1000;
type Mode = (typeof MODES)[number];

export interface ClusterContext {
  readonly options: BenchOptions;
  log(message: string): void;
}

/** The adapter's pub/sub counters of one node, read from its /metrics. */
interface Heard {
  readonly messages: number;
  readonly bytes: number;
  readonly events: number;
}

interface NodeFigures {
  readonly delivered: number;
  readonly heard: Heard;
  readonly cpuMs: number;
}

export async function clusterScenario(ctx: ClusterContext): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const rows: string[][] = [];
  for (const kind of ctx.options.cluster.redis) {
    const redis = kind === 'cluster' ? await startRedisCluster() : await startRedis();
    try {
      for (const k of ctx.options.cluster.nodes) {
        for (const mode of MODES) {
          ctx.log(`cluster: ${k} node(s), ${mode} routing, ${kind === 'cluster' ? 'Redis Cluster (3 masters, sharded pub/sub)' : 'one Redis'}…`);
          const { result, row } = await runOne(ctx, redis, k, mode, kind);
          results.push(result);
          rows.push(row);
          console.log(JSON.stringify(result));
        }
      }
    } finally {
      await redis.stop();
    }
  }
  if (!ctx.options.jsonOnly) console.log(`\n${clusterTable(rows)}\n`);
  return results;
}

async function runOne(ctx: ClusterContext, redis: BenchRedis, k: number, mode: Mode, kind: 'single' | 'cluster'): Promise<{ result: ScenarioResult; row: string[] }> {
  const { channels, rate, seconds } = ctx.options.cluster;
  const app = ctx.options.app;
  const prefix = `herald-bench-cluster-${process.pid}-${k}-${mode}`;
  const env = { HERALD_ADAPTER: 'redis', HERALD_REDIS_URL: redis.url, HERALD_REDIS_PREFIX: prefix, HERALD_REDIS_ROUTING: mode };
  const nodes: ServerUnderTest[] = [];
  let pool: ClientPool | null = null;
  const apis: PipelinedApiClient[] = [];
  try {
    nodes.push(...(await Promise.all(Array.from({ length: k }, () => startHerald({ app, workers: 1, env })))));
    pool = await ClientPool.start(ctx.options.clients);
    const clients = pool.size;

    // User u's connection is on node nodeOf[u], held by client process clientOf[u].
    const nodeOf: number[] = [];
    const clientOf: number[] = [];
    const subscriptions: Subscription[][] = Array.from({ length: clients }, () => []);
    const opened = new Array<number>(clients).fill(0);
    const perNode = shares(channels, k);
    for (let node = 0; node < k; node++) {
      const perClient = shares(perNode[node] ?? 0, clients);
      const target = nodes[node]?.target;
      if (!target) throw new Error('a node did not start');
      const url = `ws://${target.host}:${target.port}/app/${app.key}?protocol=7&client=bench&version=1`;
      const connected = await pool.all('connect', (c) => ({ url, sourceAddresses: c.sourceAddresses, count: perClient[c.index] ?? 0, concurrency: 100, timeoutMs: 30_000 }));
      const failed = connected.reduce((n, r) => n + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} connections failed: ${connected.find((r) => r.firstError)?.firstError ?? ''}`);
      for (let c = 0; c < clients; c++) {
        for (let j = 0; j < (perClient[c] ?? 0); j++) {
          const user = nodeOf.length;
          nodeOf.push(node);
          clientOf.push(c);
          const connection = opened[c] ?? 0;
          opened[c] = connection + 1;
          subscriptions[c]?.push({ connection, channel: userChannel(user) });
        }
      }
    }
    const sub = await pool.all('subscribe', (c) => ({ subscriptions: subscriptions[c.index] ?? [], timeoutMs: 60_000, app }));
    const subFailed = sub.reduce((n, r) => n + r.failed, 0);
    if (subFailed > 0) throw new Error(`${subFailed} subscriptions failed: ${sub.find((r) => r.firstError)?.firstError ?? ''}`);
    await pool.all('resetStats', () => ({}));
    for (const node of nodes) apis.push(new PipelinedApiClient(node.target));

    const total = rate * seconds;
    const expectedByClient = new Array<number>(clients).fill(0);
    const deliveredByNode = new Array<number>(k).fill(0);
    // What the nodes burn doing nothing (heartbeats, timers, GC) over one
    // second, taken off their CPU during the run: the figure is per delivery.
    const idleFrom = nodes.map((n) => n.resources()?.cpuMs ?? 0);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idleCpuPerMs = nodes.map((n, i) => ((n.resources()?.cpuMs ?? 0) - (idleFrom[i] ?? 0)) / IDLE_SAMPLE_MS);
    const heardBefore = await Promise.all(nodes.map(heardBy));
    const cpuBefore = nodes.map((n) => n.resources()?.cpuMs ?? 0);
    const redisBefore = await redis.cpuMs();
    const clientCpuBefore = pool.cpuMs();
    const startedAt = performance.now();
    const sent = await sendAtRate(total, rate, (i, sentAt) => {
      const user = Math.floor(Math.random() * channels);
      const client = clientOf[user] ?? 0;
      const node = nodeOf[user] ?? 0;
      expectedByClient[client] = (expectedByClient[client] ?? 0) + 1;
      deliveredByNode[node] = (deliveredByNode[node] ?? 0) + 1;
      // Through any node (a load balancer's choice), but always the same one
      // for a user, so that its events keep their order without a shared connection.
      const api = apis[user % k] as PipelinedApiClient;
      return api.trigger({ channel: userChannel(user), name: 'bench', data: benchPayload(i, sentAt, ctx.options.payloadBytes) });
    });
    const stats = mergeDeliveries(await pool.all('waitReceived', (c) => ({ expected: expectedByClient[c.index] ?? 0, timeoutMs: 30_000 })));
    const wallMs = performance.now() - startedAt;
    const heardAfter = await Promise.all(nodes.map(heardBy));
    const cpuAfter = nodes.map((n) => n.resources()?.cpuMs ?? 0);
    const redisCpuMs = (await redis.cpuMs()) - redisBefore;
    const clientCpuMs = pool.cpuMs() - clientCpuBefore;

    const perNodeFigures: NodeFigures[] = nodes.map((_, i) => ({
      delivered: deliveredByNode[i] ?? 0,
      heard: minus(heardAfter[i] as Heard, heardBefore[i] as Heard),
      cpuMs: Math.max(0, (cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0) - (idleCpuPerMs[i] ?? 0) * wallMs),
    }));
    const serverCpuMs = perNodeFigures.reduce((s, n) => s + n.cpuMs, 0);
    const figures = deliveryFigures(sent, stats, { wallMs, serverCpuMs, serverRssBytes: null, clientCpuMs }, total, 'triggers');
    const ratios = perNodeFigures.map((n) => n.heard.events / Math.max(1, n.delivered));
    const messagesPer = perNodeFigures.map((n) => n.heard.messages / Math.max(1, n.delivered));
    const bytesPer = perNodeFigures.map((n) => n.heard.bytes / Math.max(1, n.delivered));
    const cpuPer = perNodeFigures.map((n) => (n.cpuMs * 1000) / Math.max(1, n.delivered));
    const redisMicrosPerEvent = round((redisCpuMs * 1000) / total, 2);
    const result: ScenarioResult = {
      scenario: `cluster ${mode} K=${k}${kind === 'cluster' ? ' (Redis Cluster)' : ''}`,
      workers: 1,
      ...figures,
      details: {
        nodes: k,
        routing: mode,
        redis: kind,
        users: channels,
        events: total,
        offeredEventsPerSecond: rate,
        payloadBytes: ctx.options.payloadBytes,
        deliveries: stats.received,
        heardPerDeliveredMax: round(Math.max(...ratios), 3),
        heardPerDeliveredMean: round(mean(ratios), 3),
        messagesHeardPerDelivered: round(mean(messagesPer), 3),
        bytesHeardPerDelivered: round(mean(bytesPer), 1),
        serverCpuMicrosPerDeliveryMaxNode: round(Math.max(...cpuPer), 1),
        redisCpuMicrosPerEvent: redisMicrosPerEvent,
        perNode: perNodeFigures.map((n, i) => `node${i}: delivered ${n.delivered}, heard ${n.heard.events} events in ${n.heard.messages} messages (${n.heard.bytes} B), CPU ${round(n.cpuMs)} ms`).join('; '),
      },
    };
    const row = [
      String(k),
      kind === 'cluster' ? `${mode}, Redis Cluster` : mode,
      ratios.map((r) => r.toFixed(2)).join(' / '),
      messagesPer.map((r) => r.toFixed(2)).join(' / '),
      bytesPer.map((b) => String(Math.round(b))).join(' / '),
      figures.serverCpuMicrosPerUnit === null ? '-' : String(figures.serverCpuMicrosPerUnit),
      cpuPer.map((c) => c.toFixed(0)).join(' / '),
      String(redisMicrosPerEvent),
      figures.problems.join('; '),
    ];
    return { result, row };
  } finally {
    for (const api of apis) api.close();
    await pool?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

const userChannel = (user: number) => `private-user.${user}`;

function clusterTable(rows: string[][]): string {
  const header = [
    'K',
    'routing',
    'events heard / delivered (per node)',
    'messages heard / delivered',
    'bytes heard / delivered',
    'server CPU µs / delivery (idle taken off)',
    'per node',
    'Redis CPU µs / event',
    'problems',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function heardBy(node: ServerUnderTest): Promise<Heard> {
  return new Promise((resolve, reject) => {
    const req = get({ host: node.target.host, port: node.target.port, path: '/metrics', timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
        resolve({
          messages: value('herald_adapter_messages_received_total'),
          bytes: value('herald_adapter_bytes_received_total'),
          events: value('herald_adapter_broadcasts_received_total'),
        });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('/metrics did not answer')));
  });
}

const minus = (a: Heard, b: Heard): Heard => ({ messages: a.messages - b.messages, bytes: a.bytes - b.bytes, events: a.events - b.events });
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
