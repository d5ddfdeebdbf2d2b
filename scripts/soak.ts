// `npm run soak`: a long, bounded run over loopback that looks for leaks.
// Herald runs as its own process; clients come and go all the time (public,
// presence and cache channels, with sign-ins), a steady publisher triggers
// through the HTTP API, and every sample reads the server's own counts and
// memory from its stats endpoint. At the end the churn stops and the counts
// must come back to what the long-lived listeners explain. Nothing here is a
// test: it prints what it saw and exits non-zero only when something was
// left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Pusher from 'pusher';
import WebSocket from 'ws';
import { freePort, stopChild } from '../bench/lib/server.js';
import type { NodeStats } from '../src/console/stats-routes.js';

const USAGE = `Usage: npm run soak -- [options]

  --minutes N       how long to churn (default 10)
  --churners N      clients connecting and leaving at any time (default 100)
  --listeners N     long-lived subscribers that stay the whole run (default 20)
  --rate N          events per second through the HTTP API (default 20)
  --sample-seconds N  how often the server's stats are read (default 10)
`;

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    churners: { type: 'string', default: '100' },
    listeners: { type: 'string', default: '20' },
    rate: { type: 'string', default: '20' },
    'sample-seconds': { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const positive = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number\n${USAGE}`);
    process.exit(2);
  }
  return n;
};

const MINUTES = positive('minutes', flags.minutes);
const CHURNERS = Math.floor(positive('churners', flags.churners));
const LISTENERS = Math.floor(positive('listeners', flags.listeners));
const RATE = positive('rate', flags.rate);
const SAMPLE_MS = positive('sample-seconds', flags['sample-seconds']) * 1000;

const APP = { id: 'soak-app', key: 'soak-key', secret: `soak-${randomBytes(12).toString('hex')}` };
const CONSOLE_TOKEN = randomBytes(24).toString('hex');
const PUBLIC_CHANNELS = 10;
const PRESENCE_CHANNELS = 5;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Sample {
  readonly atSeconds: number;
  readonly stats: NodeStats;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const port = await freePort();
  const server = startServer(port);
  const base = `http://127.0.0.1:${port}`;
  const sdk = new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(port), useTLS: false });
  try {
    await waitForHealth(base, server);
    const listeners = await Promise.all(Array.from({ length: LISTENERS }, (_, i) => openListener(port, `soak-public-${i % PUBLIC_CHANNELS}`)));
    const baseline = await readStats(base);
    const samples: Sample[] = [];
    const started = Date.now();
    const endAt = started + MINUTES * 60_000;
    let stop = false;
    const counters = { sessions: 0, published: 0, publishFailures: 0, clientFailures: 0 };

    const churn = Array.from({ length: CHURNERS }, (_, i) =>
      (async () => {
        await sleep((i * 1000) / CHURNERS);
        while (!stop) {
          try {
            await churnOnce(port, sdk, i);
            counters.sessions++;
          } catch {
            counters.clientFailures++;
          }
        }
      })(),
    );
    const publishing = (async () => {
      const every = 1000 / RATE;
      let n = 0;
      while (!stop) {
        const channel = n % 3 === 0 ? `presence-soak-${n % PRESENCE_CHANNELS}` : n % 3 === 1 ? `cache-soak-${n % 4}` : `soak-public-${n % PUBLIC_CHANNELS}`;
        sdk.trigger(channel, 'tick', { n, at: Date.now() }).then(
          () => counters.published++,
          () => counters.publishFailures++,
        );
        n++;
        await sleep(every);
      }
    })();

    console.log(`soak: ${MINUTES} min, ${CHURNERS} churners, ${LISTENERS} listeners, ${RATE} events/s, server pid ${server.pid}, port ${port}`);
    console.log(header());
    samples.push({ atSeconds: 0, stats: baseline });
    console.log(row(samples[0]!));
    while (Date.now() < endAt) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, endAt - Date.now())));
      const sample = { atSeconds: Math.round((Date.now() - started) / 1000), stats: await readStats(base) };
      samples.push(sample);
      console.log(row(sample));
    }
    stop = true;
    await Promise.all(churn);
    await publishing;

    // Quiet: only the listeners are left. Give the server a moment to finish its cleanup, then read again.
    let settled = await readStats(base);
    for (let i = 0; i < 50 && !quiet(settled); i++) {
      await sleep(200);
      settled = await readStats(base);
    }
    const received = listeners.reduce((n, l) => n + l.received, 0);
    for (const l of listeners) l.ws.close();

    const middle = samples[Math.floor(samples.length / 2)]!;
    const end = samples[samples.length - 1]!;
    console.log('\nmemory of the server (from its stats endpoint)');
    console.log('             heap used   rss        connections  Timeout handles');
    for (const [label, s] of [['start', samples[0]!], ['middle', middle], ['end', end], ['after churn', { atSeconds: -1, stats: settled }]] as const) {
      console.log(
        `${label.padEnd(12)} ${mib(s.stats.memory.heapUsedBytes).padStart(7)} MiB ${mib(s.stats.memory.rssBytes).padStart(7)} MiB ${String(s.stats.connections.connections).padStart(12)}  ${String(s.stats.resources.Timeout ?? 0).padStart(15)}`,
      );
    }
    console.log(
      `\nclient sessions completed: ${counters.sessions}, client failures: ${counters.clientFailures}, events published: ${counters.published} (failed ${counters.publishFailures}), events received by listeners: ${received}`,
    );
    const leftovers = leftoversOf(settled);
    if (leftovers.length === 0) {
      console.log('after churn: nothing left behind (connections, channels, presence members, users, sessions back to the listeners alone)');
    } else {
      console.log(`after churn: LEFT BEHIND: ${leftovers.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopChild(server);
  }
}

function quiet(stats: NodeStats): boolean {
  return leftoversOf(stats).length === 0;
}

/** What is still there beyond the listeners, each named. */
function leftoversOf(stats: NodeStats): string[] {
  const out: string[] = [];
  const expectChannels = Math.min(LISTENERS, PUBLIC_CHANNELS);
  if (stats.connections.connections !== LISTENERS) out.push(`${stats.connections.connections} connections (expected ${LISTENERS})`);
  if (stats.indexes.subscriptions !== LISTENERS) out.push(`${stats.indexes.subscriptions} subscriptions (expected ${LISTENERS})`);
  if (stats.indexes.channels !== expectChannels) out.push(`${stats.indexes.channels} channels (expected ${expectChannels})`);
  if (stats.indexes.presence && stats.indexes.presence.members !== 0) out.push(`${stats.indexes.presence.members} presence members`);
  if (stats.indexes.signedInUsers !== 0) out.push(`${stats.indexes.signedInUsers} signed-in users`);
  if (stats.indexes.userDirectory !== null && stats.indexes.userDirectory !== 0) out.push(`${stats.indexes.userDirectory} users in the directory`);
  if (stats.httpSessions && stats.httpSessions.open !== 0) out.push(`${stats.httpSessions.open} HTTP sessions`);
  return out;
}

function header(): string {
  return 'seconds  connections  channels  presence  users  cached  Timeouts  sockets  heap MiB  rss MiB';
}

function row({ atSeconds, stats }: Sample): string {
  const cells = [
    atSeconds,
    stats.connections.connections,
    stats.indexes.channels,
    stats.indexes.presence?.members ?? '-',
    stats.indexes.signedInUsers,
    stats.indexes.cachedEvents ?? '-',
    stats.resources.Timeout ?? 0,
    stats.resources.TCPSocketWrap ?? 0,
    mib(stats.memory.heapUsedBytes),
    mib(stats.memory.rssBytes),
  ];
  const widths = [7, 11, 8, 8, 5, 6, 8, 7, 8, 7];
  return cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
}

/** One client life: connect, sign in, join a presence channel, a public and a cache channel, stay a while, leave. */
async function churnOnce(port: number, sdk: Pusher, i: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7&client=soak&version=1`);
  ws.on('error', () => {});
  try {
    const socketId = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection_established')), 5000);
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        const frame = JSON.parse(data.toString()) as { data: string };
        resolve((JSON.parse(frame.data) as { socket_id: string }).socket_id);
      });
      ws.once('close', () => reject(new Error('closed before connection_established')));
    });
    const userId = `user-${i}-${Math.floor(Math.random() * 3)}`;
    const user = sdk.authenticateUser(socketId, { id: userId, watchlist: [`user-${(i + 1) % CHURNERS}-0`] });
    ws.send(JSON.stringify({ event: 'pusher:signin', data: { auth: user.auth, user_data: user.user_data } }));
    const presence = `presence-soak-${i % PRESENCE_CHANNELS}`;
    const auth = sdk.authorizeChannel(socketId, presence, { user_id: userId, user_info: { name: `soaker ${i}` } });
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: presence, auth: auth.auth, channel_data: auth.channel_data } }));
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `soak-public-${i % PUBLIC_CHANNELS}` } }));
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `cache-soak-${i % 4}` } }));
    await sleep(500 + Math.random() * 2500);
    if (Math.random() < 0.3) ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: presence } }));
  } finally {
    // Some leave cleanly, some just drop, as real clients do.
    if (Math.random() < 0.5) ws.close();
    else ws.terminate();
  }
}

async function openListener(port: number, channel: string): Promise<{ ws: WebSocket; received: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7&client=soak&version=1`);
  const listener = { ws, received: 0 };
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { event: string };
    if (frame.event === 'tick') listener.received++;
    // Answer the server's pings, as every client must.
    if (frame.event === 'pusher:ping') ws.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
  });
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
  return listener;
}

async function readStats(base: string): Promise<NodeStats> {
  const res = await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET /stats answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as NodeStats;
}

function startServer(port: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'start', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env: {
      ...process.env,
      HERALD_APP_ID: APP.id,
      HERALD_APP_KEY: APP.key,
      HERALD_APP_SECRET: APP.secret,
      HERALD_CONSOLE_TOKEN: CONSOLE_TOKEN,
      HERALD_LOG_LEVEL: 'warn',
      HERALD_ADAPTER: 'local',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`herald exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error('herald did not answer /health within 30 s');
}


main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
