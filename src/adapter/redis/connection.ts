import { Redis, type RedisOptions } from 'ioredis';

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

/**
 * A new, not yet connected, connection to Redis. `name` shows in Redis's
 * CLIENT LIST, so an operator can tell which part of which node holds it.
 * Its owner listens for 'error' (ioredis prints unheard errors to stderr)
 * and calls `connect()`.
 */
export function redisConnection(url: string, name: string, overrides: Omit<RedisOptions, 'connectionName'> = {}): Redis {
  return new Redis(url, { ...SHARED, ...overrides, connectionName: name });
}
