// Command-line flags of `npm run bench`, with the sizes of the default run.
import { parseArgs } from 'node:util';
import type { AppCredentials } from './lib/http-api.js';
import { PEERS, type PeerName } from './lib/peer.js';

export const SCENARIOS = ['connect', 'fanout', 'publish', 'channels', 'presence', 'transports', 'hold', 'cluster', 'history'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** `hold` takes over a minute and most of the descriptors, `cluster` needs redis-server: only on request. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['connect', 'fanout', 'publish', 'channels', 'presence', 'transports', 'history'];

export interface BenchOptions {
  readonly scenarios: readonly ScenarioName[];
  /** Worker counts to run each scenario with (`herald start --workers N`). */
  readonly workers: readonly number[];
  readonly external: { host: string; port: number; pid: number | null } | null;
  readonly app: AppCredentials;
  readonly clients: number;
  readonly payloadBytes: number;
  readonly connect: { connections: number; warmUp: number };
  readonly fanout: { subscribers: number; messages: number; rate: number; saturationRate: number; saturationSeconds: number };
  readonly publish: { concurrency: number; seconds: number; subscribers: number };
  readonly channels: { channels: number; rate: number; seconds: number };
  readonly presence: { channels: number; watchers: number; churners: number; rate: number; seconds: number };
  readonly transports: { clients: number; messages: number; rate: number };
  readonly hold: { connectionsPerWorker: number; seconds: number; pingEverySeconds: number };
  /** K nodes over one Redis, per-user private channels, both routing modes. */
  readonly cluster: { channels: number; rate: number; seconds: number; nodes: readonly number[]; redis: ReadonlyArray<'single' | 'cluster'> };
  readonly jsonOnly: boolean;
  /** Directory for the server's V8 CPU profiles (node --cpu-prof), or null. */
  readonly profileDir: string | null;
  /** Runs of each scenario; the table then shows the median run. */
  readonly repeat: number;
  /** Also runs the scenarios it can serve against bench/baseline/minimal-broadcaster.ts, each right after Herald's run. */
  readonly baseline: boolean;
  /** Another Pusher-protocol server run on the scenarios it can serve, each round right after Herald's; null for none. */
  readonly peer: PeerName | null;
}

/** What the minimal broadcaster can serve: no auth, no batch_events. */
export const BASELINE_SCENARIOS: readonly ScenarioName[] = ['connect', 'fanout', 'publish', 'hold'];

/** What Soketi can serve: everything but the HTTP fallback transports (it speaks WebSocket only). */
export const PEER_SCENARIOS: readonly ScenarioName[] = ['connect', 'fanout', 'publish', 'channels', 'presence', 'hold'];

export const USAGE = `Usage: npm run bench -- [options]

Starts Herald from dist/ (built first if missing) for every scenario, drives it
with raw WebSocket clients in child processes over loopback, and prints a table
and one JSON line per scenario.

  --scenario NAME[,NAME]   ${SCENARIOS.join(', ')} (default: all but hold)
  --workers N[,N]          herald start --workers N (default 1, plus 2 when supported)
  --clients N              client processes (default 2)
  --payload-bytes N        event payload size (default 100)
  --connections N          connect: connections to open (default 10000)
  --warm-up N              connect: connections opened and closed before measuring, in rounds of at
                           most --connections (default 1000: a server just started; 20000 and more:
                           one that has run for a while, its code compiled and its heap grown)
  --subscribers N          fanout: subscribers on one channel (default 5000)
  --messages N             fanout: messages at --rate (default 100)
  --rate N                 fanout: messages per second (default 10)
  --saturation-rate N      fanout: messages per second offered at saturation (default 40)
  --saturation-seconds N   fanout: seconds at saturation (default 5)
  --publish-concurrency N  publish: concurrent keep-alive HTTP clients (default 50)
  --publish-seconds N      publish: seconds of triggering (default 5)
  --publish-subscribers N  publish: subscribers of the channel (default 5)
  --channels N             channels: channels with one subscriber each (default 2000)
  --channel-rate N         channels: events per second to random channels (default 5000)
  --channel-seconds N      channels: seconds (default 5)
  --presence-channels N    presence: channels (default 20)
  --presence-watchers N    presence: members staying on each channel, timing member_added (default 5)
  --presence-churners N    presence: connections joining and leaving (default 400)
  --presence-rate N        presence: joins per second offered (default 1000)
  --presence-seconds N     presence: seconds of churn (default 5)
  --transport-clients N    transports: pusher-js clients per transport (default 10)
  --transport-messages N   transports: events at --transport-rate (default 50)
  --transport-rate N       transports: events per second (default 10)
  (history: fanout and publish with channel history off and on, same server, at most
   1000 subscribers, and the replay of one resume of 1000 events)
  --hold-connections N     hold: connections per server worker (default 19000)
  --hold-seconds N         hold: seconds to hold them with pings flowing (default 60)
  --cluster-channels N     cluster: per-user private channels, one subscriber each (default 2000)
  --cluster-rate N         cluster: events per second to random users (default 1000)
  --cluster-seconds N      cluster: seconds of events (default 5)
  --cluster-nodes K[,K]    cluster: node counts to run, each in both routing modes (default 1,2,4)
  --cluster-redis R[,R]    cluster: over one Redis (single) and/or a 3-master Redis Cluster with sharded
                           pub/sub (cluster); default single
  --host H --port P        benchmark a running server instead of starting one
  --server-pid PID         its process, for CPU and memory figures
  --app-id --key --secret  app credentials (default bench-app / bench-key / bench-secret)
  --repeat N               run each scenario N times (a fresh server each time); the table
                           shows the median run by server CPU per unit (default 1)
  --json                   print only the JSON lines
  --cpu-prof DIR           write the server's CPU profile of each scenario to DIR (node --cpu-prof)
  --baseline               also run connect, fanout, publish and hold against a floor of bench/baseline/,
                           each run right after Herald's: for connect, a net server that answers the
                           handshake by hand (handshake-floor.ts); for the others, a minimal Node + ws
                           broadcaster with no protocol checks: the floor for a Node server on this
                           machine, measured under the same conditions
  --peer soketi            also run the scenarios Soketi can serve (all but transports) against
                           Soketi 1.6.1 from ../shared/peers/soketi (set up with its setup.sh),
                           one process against one (workers 1 only), each round right after
                           Herald's; prints Herald/Soketi ratios (median and range over --repeat)
`;

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      scenario: { type: 'string', multiple: true },
      workers: { type: 'string' },
      clients: { type: 'string' },
      'payload-bytes': { type: 'string' },
      connections: { type: 'string' },
      'warm-up': { type: 'string' },
      subscribers: { type: 'string' },
      messages: { type: 'string' },
      rate: { type: 'string' },
      'saturation-rate': { type: 'string' },
      'saturation-seconds': { type: 'string' },
      'publish-concurrency': { type: 'string' },
      'publish-seconds': { type: 'string' },
      'publish-subscribers': { type: 'string' },
      channels: { type: 'string' },
      'channel-rate': { type: 'string' },
      'channel-seconds': { type: 'string' },
      'presence-channels': { type: 'string' },
      'presence-watchers': { type: 'string' },
      'presence-churners': { type: 'string' },
      'presence-rate': { type: 'string' },
      'presence-seconds': { type: 'string' },
      'transport-clients': { type: 'string' },
      'transport-messages': { type: 'string' },
      'transport-rate': { type: 'string' },
      'hold-connections': { type: 'string' },
      'hold-seconds': { type: 'string' },
      'cluster-channels': { type: 'string' },
      'cluster-rate': { type: 'string' },
      'cluster-seconds': { type: 'string' },
      'cluster-nodes': { type: 'string' },
      'cluster-redis': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'server-pid': { type: 'string' },
      'app-id': { type: 'string' },
      key: { type: 'string' },
      secret: { type: 'string' },
      json: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      baseline: { type: 'boolean' },
      repeat: { type: 'string' },
      peer: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const int = (name: string, raw: string | undefined, fallback: number, min = 1): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got '${raw}'`);
    return n;
  };
  const scenarios = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario '${s}': choose from ${SCENARIOS.join(', ')}`);
  }
  const baseline = values.baseline ?? false;
  if (baseline && values.port !== undefined) throw new Error('--baseline starts its own servers: leave out --port');
  const peer = values.peer ?? null;
  if (peer !== null && !(PEERS as readonly string[]).includes(peer)) throw new Error(`unknown peer '${peer}': choose from ${PEERS.join(', ')}`);
  if (peer !== null && values.port !== undefined) throw new Error('--peer starts its own servers: leave out --port');
  const workers = values.workers === undefined ? [] : values.workers.split(',').map((w) => int('workers', w, 1));
  if (values.host !== undefined && values.port === undefined) throw new Error('--host needs --port');
  return {
    scenarios: scenarios.length ? (scenarios as ScenarioName[]) : DEFAULT_SCENARIOS,
    workers,
    external:
      values.port === undefined
        ? null
        : { host: values.host ?? '127.0.0.1', port: int('port', values.port, 1), pid: values['server-pid'] ? int('server-pid', values['server-pid'], 1) : null },
    app: { id: values['app-id'] ?? 'bench-app', key: values.key ?? 'bench-key', secret: values.secret ?? 'bench-secret' },
    clients: int('clients', values.clients, 2),
    payloadBytes: int('payload-bytes', values['payload-bytes'], 100, 40),
    connect: { connections: int('connections', values.connections, 10_000), warmUp: int('warm-up', values['warm-up'], 1000, 0) },
    fanout: {
      subscribers: int('subscribers', values.subscribers, 5000),
      messages: int('messages', values.messages, 100),
      rate: int('rate', values.rate, 10),
      saturationRate: int('saturation-rate', values['saturation-rate'], 40),
      saturationSeconds: int('saturation-seconds', values['saturation-seconds'], 5),
    },
    publish: {
      concurrency: int('publish-concurrency', values['publish-concurrency'], 50),
      seconds: int('publish-seconds', values['publish-seconds'], 5),
      subscribers: int('publish-subscribers', values['publish-subscribers'], 5, 0),
    },
    channels: {
      channels: int('channels', values.channels, 2000),
      rate: int('channel-rate', values['channel-rate'], 5000),
      seconds: int('channel-seconds', values['channel-seconds'], 5),
    },
    presence: {
      channels: int('presence-channels', values['presence-channels'], 20),
      watchers: int('presence-watchers', values['presence-watchers'], 5),
      churners: int('presence-churners', values['presence-churners'], 400),
      rate: int('presence-rate', values['presence-rate'], 1000),
      seconds: int('presence-seconds', values['presence-seconds'], 5),
    },
    transports: {
      clients: int('transport-clients', values['transport-clients'], 10),
      messages: int('transport-messages', values['transport-messages'], 50),
      rate: int('transport-rate', values['transport-rate'], 10),
    },
    hold: {
      connectionsPerWorker: int('hold-connections', values['hold-connections'], 19_000),
      seconds: int('hold-seconds', values['hold-seconds'], 60),
      pingEverySeconds: 10,
    },
    cluster: {
      channels: int('cluster-channels', values['cluster-channels'], 2000),
      rate: int('cluster-rate', values['cluster-rate'], 1000),
      seconds: int('cluster-seconds', values['cluster-seconds'], 5),
      nodes: (values['cluster-nodes'] ?? '1,2,4').split(',').map((k) => int('cluster-nodes', k, 1)),
      redis: (values['cluster-redis'] ?? 'single').split(',').map((r) => {
        if (r !== 'single' && r !== 'cluster') throw new Error(`--cluster-redis takes single and/or cluster, not '${r}'`);
        return r;
      }),
    },
    jsonOnly: values.json ?? false,
    profileDir: values['cpu-prof'] ?? null,
    baseline,
    peer: peer as PeerName | null,
    repeat: int('repeat', values.repeat, 1),
  };
}
