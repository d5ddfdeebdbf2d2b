import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * A connection to one Redis or to a Redis Cluster. Both speak the same
 * commands; on a cluster, ioredis sends each command to the node holding
 * its key's hash slot, which is why every Lua script and MULTI of Herald
 * names its keys and keeps them in one slot (see keys.ts).
 */
export type RedisClient = Redis | Cluster;

/** The choices every Herald connection to Redis shares; a user overrides only what its work needs otherwise. */
const SHARED: RedisOptions = {
  // Connected when the owner says so: a Herald that never starts (a CLI
  // command, a test that fails early) holds no connection, and the owner
  // decides how long to wait for the first one.
  lazyConnect: true,
  // Fail fast while disconnected instead of queueing: a broadcast delivered
  // minutes later is worse than one not sent, membership is resynchronised
  // from the node's own state anyway, and the webhook queue holds its own
  // writes, in order, until Redis is back.
  enableOfflineQueue: false,
  // A command cut off by a dropped connection fails at once rather than being
  // sent again after the reconnection, for the same reason.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // A Redis that stops answering counts as down within two seconds (ioredis
  // waits 10 s to connect and forever for a reply), so the node falls back
  // to serving locally while a client is still waiting.
  commandTimeout: 2000,
  connectTimeout: 2000,
  // Reconnect soon after an outage ends, without hammering a Redis that is down.
  retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
};

/** The seed nodes and credentials of a `redis-cluster://` (or `rediss-cluster://`, TLS) URL. */
export interface ClusterAddress {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

const CLUSTER_SCHEME = /^(rediss?)-cluster:\/\/(.*)$/i;

/** Whether a Redis URL names a Redis Cluster rather than one Redis. */
export const isClusterUrl = (url: string): boolean => CLUSTER_SCHEME.test(url);

/**
 * Reads `redis-cluster://[user:password@]host:port,host:port…`: any of the
 * cluster's nodes (ioredis asks the first that answers for the others), and
 * the credentials every node shares. Throws a message fit for an operator.
 */
export function parseClusterUrl(url: string): ClusterAddress {
  const match = CLUSTER_SCHEME.exec(url);
  if (!match) throw new Error(`not a Redis Cluster URL: ${url}`);
  let rest = (match[2] as string).replace(/\/.*$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const credentials = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : '');
    username = user === '' ? undefined : user;
    password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : decodeURIComponent(credentials);
  }
  const nodes = rest
    .split(',')
    .filter((n) => n !== '')
    .map((n) => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(n);
      if (!m) throw new Error(`invalid Redis Cluster node "${n}" (host:port expected)`);
      return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: m[2] === undefined ? 6379 : Number(m[2]) };
    });
  if (nodes.length === 0) throw new Error('a Redis Cluster URL names at least one node: redis-cluster://host:port,host:port');
  return { nodes, username, password, tls: (match[1] as string).toLowerCase() === 'rediss' };
}

/**
 * A new, not yet connected, connection to Redis, or to a Redis Cluster when
 * the URL says so (`redis-cluster://`). `name` shows in Redis's CLIENT
 * LIST, so an operator can tell which part of which node holds it. Its
 * owner listens for 'error' (ioredis prints unheard errors to stderr) and
 * calls `connect()`.
 */
export function redisConnection(
  url: string,
  name: string,
  overrides: Omit<RedisOptions, 'connectionName'> = {},
  /** What only a Redis Cluster client takes (sharded subscribers, say). */
  clusterOverrides: Partial<ClusterOptions> = {},
): RedisClient {
  const options: RedisOptions = { ...SHARED, ...overrides, connectionName: name };
  if (!isClusterUrl(url)) return new Redis(url, options);
  const address = parseClusterUrl(url);
  const { lazyConnect, enableOfflineQueue, retryStrategy, enableAutoPipelining, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    // The whole cluster out of reach is retried as one Redis would be.
    clusterRetryStrategy: (attempt: number) => (retryStrategy ? retryStrategy(attempt) : Math.min(100 * attempt, 1000)),
    // A node that restarts without slot changes is reconnected to, as one Redis would be.
    clusterNodeRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
    redisOptions: {
      ...perNode,
      username: address.username,
      password: address.password,
      ...(address.tls ? { tls: {} } : {}),
    },
    ...clusterOverrides,
  };
  return new Cluster(
    address.nodes.map((n) => ({ host: n.host, port: n.port })),
    clusterOptions,
  );
}

/**
 * Publishes on plain pub/sub. On a Redis Cluster, ioredis would send each
 * PUBLISH (which names no key) to a random master, and two messages that
 * enter the cluster through different masters may reach a subscriber in
 * either order; so each topic's messages enter through one master, the one
 * serving the topic's slot, and keep their order as on one Redis.
 */
export function publishInOrder(redis: RedisClient, topic: string, message: string): Promise<number> {
  if (!(redis instanceof Cluster)) return redis.publish(topic, message);
  const owner = redis.slots[keySlot(topic)]?.[0];
  const node = owner === undefined ? undefined : redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  return (node ?? redis).publish(topic, message);
}

/** Redis Cluster's slot of a key or channel name: CRC16 (XMODEM) of its hash tag (or of the whole name), modulo 16384. */
export function keySlot(name: string): number {
  const open = name.indexOf('{');
  const close = open < 0 ? -1 : name.indexOf('}', open + 1);
  const hashed = Buffer.from(close > open + 1 ? name.slice(open + 1, close) : name);
  let crc = 0;
  for (const byte of hashed) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
