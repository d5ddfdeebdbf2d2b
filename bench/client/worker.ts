// A client process of the benchmark: holds raw WebSocket connections that
// speak the Pusher protocol, times what they receive, and runs HTTP API load
// on command. Reading frames is kept cheap (benchmark events are recognised
// by their prefix and their sequence and send time taken with one regular
// expression) so that the clients, which share the cores with the server,
// cost as little as possible.
import { LeanWebSocket } from './lean-websocket.js';
import { clockMs, LatencyHistogram } from '../lib/histogram.js';
import { benchPayload, channelAuth, PipelinedApiClient, type AppCredentials } from '../lib/http-api.js';
import type {
  ChurnResult,
  CommandArgs,
  CommandResults,
  Command,
  ConnectResult,
  DeliveryStats,
  HoldResult,
  PublishResult,
  Reply,
  SubscribeResult,
} from './commands.js';

const BENCH_EVENT_PREFIX = '{"event":"bench"';
const SEQ_AND_TIME = /\\"s\\":(\d+),\\"t\\":([\d.]+)/;

interface PendingSubscription {
  resolve(): void;
  reject(reason: string): void;
}

interface BenchConnection {
  readonly ws: LeanWebSocket;
  socketId: string;
  lastSeq: number;
  timesMemberEvents: boolean;
  readonly pending: Map<string, PendingSubscription>;
}

const connections: BenchConnection[] = [];
const latency = new LatencyHistogram();
const memberLatency = new LatencyHistogram();
let received = 0;
let outOfOrder = 0;
let errors = 0;
let pongs = 0;
let unexpectedCloses = 0;
let lastReceivedAt = 0;
let closing = false;

function onFrame(conn: BenchConnection, text: string): void {
  if (text.startsWith(BENCH_EVENT_PREFIX)) {
    const now = clockMs();
    const match = SEQ_AND_TIME.exec(text);
    if (!match) return;
    const seq = Number(match[1]);
    latency.record((now - Number(match[2])) * 1000);
    if (seq <= conn.lastSeq) outOfOrder++;
    conn.lastSeq = seq;
    received++;
    lastReceivedAt = now;
    return;
  }
  let frame: { event?: string; channel?: string; data?: unknown };
  try {
    frame = JSON.parse(text) as typeof frame;
  } catch {
    errors++;
    return;
  }
  const payload = (): Record<string, unknown> => {
    const d = frame.data;
    return (typeof d === 'string' ? JSON.parse(d) : d ?? {}) as Record<string, unknown>;
  };
  switch (frame.event) {
    case 'pusher_internal:subscription_succeeded':
      conn.pending.get(frame.channel ?? '')?.resolve();
      break;
    case 'pusher:subscription_error':
      conn.pending.get(frame.channel ?? '')?.reject(JSON.stringify(frame.data));
      break;
    case 'pusher_internal:member_added': {
      if (!conn.timesMemberEvents) break;
      const info = payload().user_info as { t?: number } | undefined;
      if (typeof info?.t === 'number') memberLatency.record((clockMs() - info.t) * 1000);
      break;
    }
    case 'pusher:ping':
      conn.ws.send('{"event":"pusher:pong","data":{}}');
      break;
    case 'pusher:pong':
      pongs++;
      break;
    case 'pusher:error':
      errors++;
      break;
  }
}

function openOne(url: string, localAddress: string, timeoutMs: number): Promise<BenchConnection> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        conn.ws.terminate();
        reject(err);
      } else {
        resolve(conn);
      }
    };
    const timer = setTimeout(() => settle(new Error(`no connection_established within ${timeoutMs} ms`)), timeoutMs);
    const conn: BenchConnection = {
      socketId: '',
      lastSeq: -1,
      timesMemberEvents: false,
      pending: new Map(),
      ws: new LeanWebSocket(url, localAddress, timeoutMs, {
        onText: (text) => {
          if (conn.socketId !== '') {
            onFrame(conn, text);
            return;
          }
          const frame = JSON.parse(text) as { event: string; data: string };
          if (frame.event !== 'pusher:connection_established') {
            settle(new Error(`expected connection_established, got ${text.slice(0, 200)}`));
            return;
          }
          conn.socketId = (JSON.parse(frame.data) as { socket_id: string }).socket_id;
          settle(null);
        },
        onClose: (code) => {
          if (!closing && conn.socketId !== '') unexpectedCloses++;
          settle(new Error(`closed before connection_established (code ${code ?? 'none'})`));
          for (const p of conn.pending.values()) p.reject('connection closed');
        },
      }),
    };
    conn.ws.ready.catch((err: Error) => settle(err));
  });
}

async function connect(args: CommandArgs['connect']): Promise<ConnectResult> {
  const handshake = new LatencyHistogram();
  let established = 0;
  let failed = 0;
  let firstError: string | null = null;
  let next = 0;
  const lane = async () => {
    while (next < args.count) {
      next++;
      const started = clockMs();
      try {
        connections.push(await openOne(args.url, args.sourceAddresses[connections.length % args.sourceAddresses.length] as string, args.timeoutMs));
        handshake.record((clockMs() - started) * 1000);
        established++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.count) }, lane));
  return { established, failed, firstError, handshake: handshake.toData() };
}

function subscribeOne(conn: BenchConnection, channel: string, app: AppCredentials | null, presenceUser?: string, userInfo?: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    conn.pending.set(channel, {
      resolve: () => {
        conn.pending.delete(channel);
        resolve();
      },
      reject: (reason) => {
        conn.pending.delete(channel);
        reject(new Error(reason));
      },
    });
    const data: Record<string, string> = { channel };
    if (presenceUser !== undefined && app) {
      data.channel_data = JSON.stringify({ user_id: presenceUser, user_info: userInfo ?? {} });
      data.auth = channelAuth(app, conn.socketId, channel, data.channel_data);
    } else if (channel.startsWith('private-') && app) {
      data.auth = channelAuth(app, conn.socketId, channel);
    }
    conn.ws.send(JSON.stringify({ event: 'pusher:subscribe', data }));
  });
}

async function subscribe(args: CommandArgs['subscribe']): Promise<SubscribeResult> {
  let subscribed = 0;
  let failed = 0;
  let firstError: string | null = null;
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), args.timeoutMs).unref());
  await Promise.all(
    args.subscriptions.map(async (s) => {
      const conn = connections[s.connection];
      if (!conn) {
        failed++;
        firstError ??= `no connection ${s.connection}`;
        return;
      }
      if (s.presenceUser !== undefined) conn.timesMemberEvents = true;
      try {
        const outcome = await Promise.race([subscribeOne(conn, s.channel, args.app ?? null, s.presenceUser), timeout]);
        if (outcome === 'timeout') throw new Error(`no subscription_succeeded within ${args.timeoutMs} ms`);
        subscribed++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }),
  );
  return { subscribed, failed, firstError };
}

function stats(): DeliveryStats {
  return { received, outOfOrder, latency: latency.toData(), memberLatency: memberLatency.toData(), errors, unexpectedCloses, lastReceivedAt };
}

async function waitReceived(args: CommandArgs['waitReceived']): Promise<DeliveryStats> {
  const deadline = Date.now() + args.timeoutMs;
  while (received < args.expected && Date.now() < deadline) await sleep(20);
  return stats();
}

async function publish(args: CommandArgs['publish']): Promise<PublishResult> {
  // One lean keep-alive connection per lane, one request in flight on each:
  // the load generator's HTTP client costs less than Node's, leaving the
  // shared cores to the server.
  const clients = Array.from({ length: args.concurrency }, () => new PipelinedApiClient(args.target));
  const histogram = new LatencyHistogram();
  let ok = 0;
  let failures = 0;
  let firstError: string | null = null;
  let seq = 0;
  const deadline = clockMs() + args.durationMs;
  const lane = async (client: PipelinedApiClient) => {
    while (clockMs() < deadline) {
      const started = clockMs();
      try {
        const res = await client.trigger({ channel: args.channel, name: 'bench', data: benchPayload(seq++, started, args.payloadBytes) });
        if (res.status === 200) {
          ok++;
          histogram.record((clockMs() - started) * 1000);
        } else {
          failures++;
          firstError ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        }
      } catch (err) {
        failures++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(clients.map(lane));
  for (const client of clients) client.close();
  return { ok, errors: failures, firstError, latency: histogram.toData() };
}

async function churn(args: CommandArgs['churn']): Promise<ChurnResult> {
  const churners = connections.slice(args.firstConnection);
  const joinLatency = new LatencyHistogram();
  let joins = 0;
  let leaves = 0;
  let failed = 0;
  let firstError: string | null = null;
  if (churners.length === 0 || args.channels.length === 0) return { joins, leaves, failed, firstError, joinLatency: joinLatency.toData() };
  const intervalMs = (churners.length / args.joinsPerSecond) * 1000;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  churners.forEach((conn, j) => {
    const user = `${args.userPrefix}-${j}`;
    let cycle = 0;
    let joined: string | null = null;
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      if (joined !== null) {
        conn.ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: joined } }));
        leaves++;
        joined = null;
      }
      const channel = args.channels[(j + cycle++) % args.channels.length] as string;
      const started = clockMs();
      const attempt = subscribeOne(conn, channel, args.target.app, user, { t: started }).then(
        () => {
          joins++;
          joined = channel;
          joinLatency.record((clockMs() - started) * 1000);
        },
        (err: Error) => {
          failed++;
          firstError ??= err.message;
        },
      );
      const tracked = attempt.finally(() => {
        busy = false;
        inFlight.delete(tracked);
      });
      inFlight.add(tracked);
    };
    const start = setTimeout(() => {
      tick();
      timers.push(setInterval(tick, intervalMs));
    }, Math.random() * intervalMs);
    timers.push(start);
  });
  await sleep(args.durationMs);
  for (const t of timers) clearTimeout(t);
  await Promise.race([Promise.allSettled([...inFlight]), sleep(5000)]);
  return { joins, leaves, failed, firstError, joinLatency: joinLatency.toData() };
}

async function hold(args: CommandArgs['hold']): Promise<HoldResult> {
  const pongsBefore = pongs;
  const errorsBefore = errors;
  const closesBefore = unexpectedCloses;
  let pingsSent = 0;
  const sliceEveryMs = 100;
  const perSlice = Math.max(1, Math.ceil((connections.length * sliceEveryMs) / args.pingEveryMs));
  let cursor = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perSlice; i++) {
      const conn = connections[cursor++ % connections.length];
      if (conn?.ws.isOpen) {
        conn.ws.send('{"event":"pusher:ping","data":{}}');
        pingsSent++;
      }
    }
  }, sliceEveryMs);
  await sleep(args.durationMs);
  clearInterval(timer);
  await sleep(1000); // the last pongs
  const open = connections.filter((c) => c.ws.isOpen).length;
  return { open, pingsSent, pongs: pongs - pongsBefore, errors: errors - errorsBefore, unexpectedCloses: unexpectedCloses - closesBefore };
}

async function closeAll(): Promise<null> {
  closing = true;
  for (const conn of connections) conn.ws.terminate();
  connections.length = 0;
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(command: Command): Promise<CommandResults[Command['type']]> {
  switch (command.type) {
    case 'connect':
      return connect(command.args);
    case 'subscribe':
      return subscribe(command.args);
    case 'resetStats':
      latency.reset();
      memberLatency.reset();
      received = 0;
      outOfOrder = 0;
      errors = 0;
      unexpectedCloses = 0;
      for (const conn of connections) conn.lastSeq = -1;
      return null;
    case 'waitReceived':
      return waitReceived(command.args);
    case 'publish':
      return publish(command.args);
    case 'churn':
      return churn(command.args);
    case 'hold':
      return hold(command.args);
    case 'close':
      return closeAll();
  }
}

process.on('message', (message: Command) => {
  run(message).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies Reply),
    (err: unknown) => process.send?.({ id: message.id, ok: false, error: (err as Error).message } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));
