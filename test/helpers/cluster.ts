// Herald nodes sharing one Redis, in this process or as child processes
// (needed to SIGKILL one), with real clients pointed at each.
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { isClusterUrl, parseClusterUrl } from '../../src/adapter/redis/connection.js';
import type Pusher from 'pusher';
import { APP, sdkAuthOptions, startHerald, type RunningHerald } from './herald.js';
import { startHeraldProcess } from './herald-process.js';
import { rid } from './ids.js';
import { localClient, type PusherJS, type PusherJSOptions } from './pusher-js.js';
import { sdkClient } from './sdk.js';
import { TcpRelay } from './tcp-relay.js';

export const REDIS_URL = process.env.HERALD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Short heartbeats so that failure tests stay quick; the bound is timeout + one heartbeat. */
export const HEARTBEAT_MS = 200;
export const NODE_TIMEOUT_MS = 1000;

export type Routing = 'interest' | 'broadcast';
/**
 * The routing every node of a test uses unless the test names one:
 * HERALD_TEST_REDIS_ROUTING=broadcast runs the cluster tests on the older
 * design (`npm run test:cluster-broadcast`); Herald's own default otherwise.
 */
export const TEST_ROUTING: Routing = routingFromEnv(process.env.HERALD_TEST_REDIS_ROUTING);

function routingFromEnv(value: string | undefined): Routing {
  if (value === undefined || value === '' || value === 'interest') return 'interest';
  if (value === 'broadcast') return 'broadcast';
  throw new Error(`HERALD_TEST_REDIS_ROUTING must be interest or broadcast, not ${value}`);
}

/**
 * Why the cluster tests cannot run, or null when Redis answers. Without
 * Redis they fail under CI and are skipped loudly elsewhere, never passed.
 */
export async function redisUnavailable(): Promise<string | null> {
  if (isClusterUrl(REDIS_URL)) return null;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    const reason = `Redis is not reachable at ${REDIS_URL} (${(err as Error).message})`;
    if (process.env.CI) throw new Error(`${reason}: the cluster tests need it under CI`);
    console.error(`\n!!!!!!!!\n!!! SKIPPING the cluster tests: ${reason}. Start Redis to run them.\n!!!!!!!!\n`);
    return reason;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other run uses; its keys are deleted by `dropPrefix`. */
export const uniquePrefix = (name: string) => `herald-test-${name}-${process.pid}-${rid()}`;

export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = testRedis(url);
  client.on('error', () => {});
  try {
    // A Redis Cluster's keys are spread over its masters: each is scanned for its own.
    const servers = client instanceof Cluster ? (await client.ping(), client.nodes('master')) : [client];
    for (const redis of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        await Promise.all(keys.map((key) => redis.del(key)));
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/** A client of the tests' Redis, or of a Redis Cluster when the URL names one (`redis-cluster://`). */
export function testRedis(url = REDIS_URL): Redis | Cluster {
  if (!isClusterUrl(url)) return new Redis(url, { maxRetriesPerRequest: 1 });
  return new Cluster(parseClusterUrl(url).nodes.map((n) => ({ host: n.host, port: n.port })));
}

/** What a test needs of a node, wherever it runs. */
export interface NodeHandle {
  readonly port: number;
  readonly url: string;
  sdk(): Pusher;
  /** A pusher-js client whose auth is answered by the SDK (as an app's endpoint would). */
  client(t: TestContext | null, auth?: ClientAuth, options?: Partial<PusherJSOptions>): PusherJS;
  close(): Promise<void>;
}

export interface ClientAuth {
  readonly presence?: Pusher.PresenceChannelData;
  readonly user?: Pusher.UserChannelData;
}

export interface InProcessNode extends NodeHandle {
  readonly running: RunningHerald;
}

type HeraldOptions = NonNullable<Parameters<typeof startHerald>[0]>;

export async function startNode(
  prefix: string,
  options: { redisUrl?: string; routing?: Routing; apps?: HeraldOptions['apps']; overrides?: HeraldOptions['overrides'] } = {},
): Promise<InProcessNode> {
  const running = await startHerald({
    apps: options.apps,
    overrides: {
      ...options.overrides,
      adapter: 'redis',
      redisUrl: options.redisUrl ?? REDIS_URL,
      redisPrefix: prefix,
      redisRouting: options.routing ?? TEST_ROUTING,
      nodeHeartbeatMs: HEARTBEAT_MS,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
    },
  });
  return { ...handle(running.port), running, close: () => running.close() };
}

export interface ChildNode extends NodeHandle {
  readonly process: ChildProcess;
  /** Everything the node logged so far. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `herald start` in a child process, on a free port, logging at info. */
export async function spawnNode(prefix: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ChildNode> {
  const started = await startHeraldProcess(null, {
    args: extraArgs,
    env: {
      HERALD_APP_ID: APP.id,
      HERALD_APP_KEY: APP.key,
      HERALD_APP_SECRET: APP.secret,
      HERALD_ADAPTER: 'redis',
      HERALD_REDIS_URL: REDIS_URL,
      HERALD_REDIS_PREFIX: prefix,
      HERALD_REDIS_ROUTING: TEST_ROUTING,
      HERALD_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      HERALD_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
      ...env,
    },
  });
  const kill = async (signal: NodeJS.Signals) => {
    await started.stop(signal);
  };
  return { ...handle(started.port), process: started.process, output: started.output, kill, close: () => kill('SIGTERM') };
}

function handle(port: number): Omit<NodeHandle, 'close'> {
  const sdk = () => sdkClient(port, APP);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    sdk,
    client: (t, auth = {}, options = {}) => localClient(t, APP.key, port, { ...sdkAuthOptions(sdk(), auth), ...options }),
  };
}

/**
 * A TCP relay in front of Redis that a test can cut and restore, so a node
 * can lose Redis without touching the Redis other tests share.
 */
export class RedisRelay {
  private readonly relay: TcpRelay;

  constructor(target = new URL(REDIS_URL)) {
    this.relay = new TcpRelay(Number(target.port || 6379), target.hostname);
  }

  async listen(): Promise<string> {
    return `redis://127.0.0.1:${await this.relay.listen()}`;
  }

  /** Drops every relayed connection and refuses new ones, as a Redis outage would. */
  cut(): void {
    this.relay.cut();
  }

  restore(): void {
    this.relay.restore();
  }

  close(): Promise<void> {
    return this.relay.close();
  }
}

/** GET a path of a node's HTTP API, signed like the SDK does. */
export async function apiGet<T>(node: NodeHandle, path: string, params: Record<string, string> = {}): Promise<T> {
  const res = await node.sdk().get({ path, params });
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  return (await res.json()) as T;
}
