// Every setting of Herald, written once: where it can be given, how it is
// checked, its default and the line the README says about it. loadSettings
// reads them (settings.ts), `herald start` takes their flags (cli/index.ts)
// and `npm run docs:settings` writes the README's table from them. A new
// setting is one entry here; rules that tie several settings together are
// setting-rules.ts.
import { z } from 'zod';
import { APP_STORE_KINDS, DEFAULT_APP_CACHE_TTL_MS } from '../apps/open-app-store.js';
import { addressOrRangeProblem } from '../http/client-address.js';
import { DEFAULT_MAX_BUFFERED_BYTES } from '../transport/websocket/socket-writes.js';
import {
  combined,
  group,
  listOf,
  nullable,
  oneOf,
  onOff,
  orNone,
  port,
  setting,
  text,
  textMatching,
  wholeNumber,
  type FlagOf,
  type Values,
} from './setting.js';

/** Below this a WebSocket client would be cut for one ordinary burst of events. */
const MIN_BUFFERED_BYTES = 64 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const milliseconds = () => wholeNumber();
const token = () => nullable(textMatching(z.string().min(16, 'use at least 16 characters'), 'TOKEN'));

/** Read before everything else: it says where the other settings' config file is. */
export const CONFIG_FILE = setting({
  label: 'config file',
  doc: 'JSON config file: several `apps`, and any setting of this table by its config-file key',
  kind: nullable(text('FILE')),
  default: null,
  defaultDoc: 'none',
  env: 'HERALD_CONFIG',
  flag: 'config',
});

/** One app's credential from the environment; a Laravel `.env` names it for its `pusher` or `reverb` connection. */
const credential = (field: 'id' | 'key' | 'secret') =>
  setting({
    label: `app ${field}`,
    doc: `app ${field} of the app given by the environment (see [Laravel with Reverb](#laravel-with-broadcast_connectionreverb))`,
    kind: nullable(text()),
    default: null,
    defaultDoc: 'the development app',
    env: ['HERALD', 'PUSHER', 'REVERB'].map((prefix) => `${prefix}_APP_${field.toUpperCase()}`),
  });

const appCredentials = { id: credential('id'), key: credential('key'), secret: credential('secret') };

/**
 * The app the environment gives, beside those of the config file: all three
 * credentials or none, each taken from the first variable set, so that an
 * app's own `.env` starts Herald unchanged.
 */
export const ENV_APP = combined(appCredentials, ({ id, key, secret }, fail) => {
  if (id === null && key === null && secret === null) return null;
  if (id === null || key === null || secret === null) {
    const names = Object.values(appCredentials).map((s) => s.env[0]);
    const fallbacks = appCredentials.id.env.slice(1).map((name) => name.replace(/ID$/, '*'));
    return fail(`an app from the environment needs all three of ${names.slice(0, -1).join(', ')} and ${names.at(-1)} (or ${fallbacks.join(' or ')})`);
  }
  return { id, key, secret };
});

const tlsFile = (what: string, name: string, file: string) =>
  setting({ label: `TLS ${what}`, doc: `TLS ${what} (a PEM file; with the other, the port serves wss:// and https://)`, kind: nullable(text('FILE')), default: null, defaultDoc: 'none (plain)', env: name, file });
const tlsCert = tlsFile('certificate', 'HERALD_TLS_CERT', 'tlsCert');
const tlsKey = tlsFile('private key', 'HERALD_TLS_KEY', 'tlsKey');

export const SETTINGS = {
  host: setting({ label: 'listen address', doc: 'listen address', kind: text('HOST'), default: '0.0.0.0', env: 'HERALD_HOST', flag: 'host', file: 'host' }),
  port: setting({ label: 'port', doc: 'port (WebSocket and HTTP)', kind: port(), default: 6001, env: 'HERALD_PORT', flag: 'port', file: 'port' }),
  logLevel: setting({ label: 'log level', doc: 'log level', kind: oneOf(LOG_LEVELS), default: 'info', env: 'HERALD_LOG_LEVEL', file: 'logLevel' }),
  /** Seconds of silence after which a client should ping; sent in `connection_established`. */
  activityTimeoutSeconds: setting({
    label: 'activity timeout',
    doc: 'activity timeout (seconds): a silent client pings after it',
    kind: wholeNumber(),
    default: 120,
    env: 'HERALD_ACTIVITY_TIMEOUT',
    file: 'activityTimeoutSeconds',
  }),
  /** Seconds the server waits for a pong after its own ping before closing. */
  pongTimeoutSeconds: setting({ label: 'pong timeout', doc: 'seconds a ping waits for its pong', kind: wholeNumber(), default: 30 }),
  /** Largest WebSocket frame accepted; larger ones close the socket (1009). */
  maxFrameBytes: setting({ label: 'max frame bytes', doc: 'largest WebSocket frame (1009 beyond)', kind: wholeNumber(), default: 256 * 1024 }),
  /** Largest HTTP API request body accepted (413 beyond). */
  maxRequestBodyBytes: setting({ label: 'max request body bytes', doc: 'largest HTTP API request body (413 beyond)', kind: wholeNumber(), default: 1024 * 1024 }),
  /** Unsent bytes a WebSocket client may have waiting; a client past it is not reading and is cut (4100). */
  maxBufferedBytes: setting({
    label: 'max buffered bytes',
    doc: 'unread bytes a WebSocket client may have before it is cut (4100)',
    kind: wholeNumber({ min: MIN_BUFFERED_BYTES }),
    // The transport's own: it is where a client past it is cut, and it explains why.
    default: DEFAULT_MAX_BUFFERED_BYTES,
    defaultDoc: '`8388608` (8 MiB; at least 64 KiB)',
    env: 'HERALD_MAX_BUFFERED_BYTES',
    file: 'maxBufferedBytes',
  }),
  /**
   * WebSocket compression (permessage-deflate) for clients that offer it. Off
   * by default: it costs a zlib context per connection and compressing every
   * frame for every subscriber, where uncompressed a broadcast is framed once.
   */
  perMessageDeflate: setting({
    label: 'permessage-deflate',
    doc: 'WebSocket compression (permessage-deflate) for clients that offer it: a zlib pass per subscriber, where off a broadcast is framed once for all',
    kind: onOff(),
    default: false,
    env: 'HERALD_PERMESSAGE_DEFLATE',
    file: 'perMessageDeflate',
  }),
  /**
   * Who serves WebSockets: `herald` answers plain upgrades to /app/{key}
   * itself, on the socket, and hands the rest (compression, subprotocols,
   * anything unusual) to `ws`; `ws` serves them all, as every version
   * before did.
   */
  websocketEngine: setting({
    label: 'WebSocket engine',
    doc: 'who serves WebSockets: `herald` (its own handshake and frames on the socket, `ws` for clients that get permessage-deflate or ask for a subprotocol) or `ws` (all of them; see [Performance](#performance))',
    kind: oneOf(['herald', 'ws']),
    default: 'herald',
    env: 'HERALD_WEBSOCKET_ENGINE',
    flag: 'websocket-engine',
    file: 'websocketEngine',
  }),
  /**
   * Connections one client address may have open on this node, all apps
   * together (4004 beyond); null for no limit. Counted per node, by the
   * address the connection comes from: behind a proxy that is the proxy's.
   */
  maxConnectionsPerAddress: setting({
    label: 'max connections per address',
    doc: 'connections one client address may have open on a node, all apps together (4004 beyond; see [Connections per address](#connections-per-address)); a number, or `none`',
    kind: orNone(wholeNumber()),
    default: null,
    env: 'HERALD_MAX_CONNECTIONS_PER_ADDRESS',
    file: 'maxConnectionsPerAddress',
  }),
  /**
   * Reverse proxies whose X-Forwarded-For is believed: behind one, every client
   * would otherwise have the proxy's address, and share its per-address budgets.
   */
  trustedProxies: setting({
    label: 'trusted proxies',
    doc: 'reverse proxies (IP addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` (or `Forwarded`) names the client: its address then counts for the per-address limits and token budgets (see [Behind a reverse proxy](#behind-a-reverse-proxy))',
    kind: listOf(
      textMatching(
        z.string().superRefine((entry, ctx) => {
          const problem = addressOrRangeProblem(entry);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
        'CIDR',
      ),
    ),
    default: [],
    defaultDoc: 'none: the TCP peer is the client',
    env: 'HERALD_TRUSTED_PROXIES',
    file: 'trustedProxies',
  }),
  /** pusher-js's HTTP fallback transports (xhr_streaming, xhr_polling), served on the same port. */
  httpFallback: group({
    enabled: setting({ label: 'HTTP fallback', doc: 'HTTP fallback transports (`xhr_streaming`, `xhr_polling`) on the same port', kind: onOff(), default: true, env: 'HERALD_HTTP_FALLBACK' }),
    /** A session with no request from its client for this long is closed (presence members leave). */
    sessionTimeoutMs: setting({ label: 'HTTP session timeout', doc: 'an HTTP fallback session without requests is closed after (ms)', kind: milliseconds(), default: 10_000 }),
    /** A silent stream gets a heartbeat, and a waiting poll is answered, this often. */
    heartbeatIntervalMs: setting({ label: 'HTTP heartbeat interval', doc: 'a silent stream gets a heartbeat every (ms)', kind: milliseconds(), default: 25_000 }),
    /** A stream is handed over to a fresh request at this age, before a proxy cuts it. */
    maxStreamAgeMs: setting({ label: 'HTTP stream age', doc: 'a stream is renewed at this age (ms)', kind: milliseconds(), default: 5 * 60_000 }),
    /** Messages waiting for a client that does not collect them; beyond this its session is closed (4100). */
    maxBufferedBytes: setting({ label: 'HTTP buffered bytes', doc: 'uncollected bytes an HTTP session may have (4100 beyond)', kind: wholeNumber(), default: 1024 * 1024 }),
  }),
  /** Where cluster-wide state lives: this process alone, or Redis shared by every node. */
  adapter: setting({
    label: 'adapter',
    doc: 'adapter (`local` or `redis`, see [Scaling out](#scaling-out))',
    kind: oneOf(['local', 'redis']),
    default: 'local',
    env: 'HERALD_ADAPTER',
    flag: 'adapter',
    file: 'adapter',
  }),
  /** One Redis (`redis://`, `rediss://`), or a Redis Cluster by some of its nodes (`redis-cluster://host:port,host:port`). */
  redisUrl: setting({
    label: 'Redis URL',
    doc: 'Redis URL; a Redis Cluster as `redis-cluster://host:port,host:port` (see [Redis Cluster](#redis-cluster))',
    kind: text('URL'),
    default: 'redis://127.0.0.1:6379',
    env: 'HERALD_REDIS_URL',
    flag: 'redis-url',
    file: 'redisUrl',
  }),
  /** Prefix of every Redis key and pub/sub channel, so several clusters can share one Redis. */
  redisPrefix: setting({ label: 'Redis prefix', doc: 'Redis key and channel prefix', kind: text('PREFIX'), default: 'herald', env: 'HERALD_REDIS_PREFIX', flag: 'redis-prefix', file: 'redisPrefix' }),
  /**
   * How events cross between nodes: `interest` (each node subscribes to the
   * pub/sub topic of the channels it serves, so it hears only what it
   * delivers) or `broadcast` (one topic every node hears, the older design,
   * kept to compare against).
   */
  redisRouting: setting({
    label: 'Redis routing',
    doc: 'how events reach the other nodes: `interest` (a node hears only the channels it serves) or `broadcast` (every node hears every event), see [Scaling out](#scaling-out)',
    kind: oneOf(['interest', 'broadcast']),
    default: 'interest',
    env: 'HERALD_REDIS_ROUTING',
    flag: 'redis-routing',
    file: 'redisRouting',
  }),
  /** How often a node tells the others it is alive (milliseconds). */
  nodeHeartbeatMs: setting({ label: 'node heartbeat', doc: 'node heartbeat (ms)', kind: milliseconds(), default: 1000, env: 'HERALD_NODE_HEARTBEAT_MS', file: 'nodeHeartbeatMs' }),
  /** A node silent this long is dead: its presence members and users are removed (milliseconds). */
  nodeTimeoutMs: setting({ label: 'node timeout', doc: 'node timeout (ms; at least twice the heartbeat)', kind: milliseconds(), default: 5000, env: 'HERALD_NODE_TIMEOUT_MS', file: 'nodeTimeoutMs' }),
  /** Worker processes `herald start` runs on the same port (node:cluster). */
  workers: setting({ label: 'workers', doc: 'worker processes on the port (above 1 needs the Redis adapter)', kind: wholeNumber({ max: 256 }), default: 1, env: 'HERALD_WORKERS', flag: 'workers', file: 'workers' }),
  appStore: setting({
    label: 'app store',
    doc: 'app store (`static`, `sqlite`, `postgres`, `mysql`, see [Managing apps](#managing-apps))',
    kind: oneOf(APP_STORE_KINDS),
    default: 'static',
    env: 'HERALD_APP_STORE',
    flag: 'app-store',
    file: 'appStore',
  }),
  /**
   * postgres://… or mysql://… for those stores; for SQLite a file path (or
   * sqlite:PATH / file:PATH), `{dataDir}/apps.sqlite` when not given. May hold
   * a password: never log it.
   */
  databaseUrl: setting({
    label: 'database URL',
    doc: 'database URL of the app store',
    kind: nullable(text('URL')),
    default: null,
    defaultDoc: 'SQLite: `{data dir}/apps.sqlite`',
    env: 'HERALD_DATABASE_URL',
    flag: 'database-url',
    file: 'databaseUrl',
  }),
  /** Directory of Herald's own files (the SQLite app store, queues). */
  dataDir: setting({ label: 'data directory', doc: 'data directory (webhook queue, SQLite files)', kind: text('DIR'), default: './.data', env: 'HERALD_DATA_DIR', file: 'dataDir' }),
  /** Table holding the stored apps, created when missing. */
  appsTable: setting({
    label: 'apps table',
    doc: 'table of the stored apps',
    // Interpolated into SQL, so only plain identifiers are accepted.
    kind: textMatching(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'use letters, digits and _ only (at most 63), not starting with a digit'), 'TABLE'),
    default: 'herald_apps',
    env: 'HERALD_APPS_TABLE',
    file: 'appsTable',
  }),
  /** How long a node serves its copy of the stored apps before reading them again (milliseconds). */
  appCacheTtlMs: setting({
    label: 'app cache TTL',
    doc: 'how long stored apps are cached (ms)',
    kind: milliseconds(),
    default: DEFAULT_APP_CACHE_TTL_MS,
    env: 'HERALD_APP_CACHE_TTL_MS',
    file: 'appCacheTtlMs',
  }),
  webhooks: group({
    /** Events of an app within this window go in one request (milliseconds). */
    batchMs: setting({ label: 'webhook batch window', doc: 'webhook batch window (ms)', kind: milliseconds(), default: 250, env: 'HERALD_WEBHOOK_BATCH_MS', file: 'webhookBatchMs' }),
    /** A receiver that has not answered by then has failed (milliseconds). */
    timeoutMs: setting({ label: 'webhook timeout', doc: 'webhook request timeout (ms)', kind: milliseconds(), default: 5000, env: 'HERALD_WEBHOOK_TIMEOUT_MS', file: 'webhookTimeoutMs' }),
    retry: group({
      baseMs: setting({ label: 'webhook retry delay', doc: 'webhook first retry delay (ms)', kind: milliseconds(), default: 1000, env: 'HERALD_WEBHOOK_RETRY_BASE_MS', file: 'webhookRetryBaseMs' }),
      maxMs: setting({ label: 'webhook retry maximum', doc: 'webhook longest retry delay (ms)', kind: milliseconds(), default: 5 * 60_000, env: 'HERALD_WEBHOOK_RETRY_MAX_MS', file: 'webhookRetryMaxMs' }),
    }),
    /** A job still failing this long after it was queued is dropped, loudly (milliseconds). */
    maxAgeMs: setting({
      label: 'webhook maximum age',
      doc: 'age at which an undelivered webhook is given up (ms)',
      kind: milliseconds(),
      default: 24 * 60 * 60_000,
      defaultDoc: '`86400000` (24 h)',
      env: 'HERALD_WEBHOOK_MAX_AGE_MS',
      file: 'webhookMaxAgeMs',
    }),
    /** Requests in flight at once from this node. */
    concurrency: setting({ label: 'webhook concurrency', doc: 'webhook requests in flight at once', kind: wholeNumber(), default: 16 }),
    /** How often the queue is looked at for retries that came due or jobs of other nodes (milliseconds). */
    pollMs: setting({ label: 'webhook poll interval', doc: 'how often the webhook queue is read (ms)', kind: milliseconds(), default: 1000 }),
  }),
  /** wss:// and https:// on the port when set; plain otherwise. */
  tls: combined({ certFile: tlsCert, keyFile: tlsKey }, ({ certFile, keyFile }, fail) => {
    if (certFile === null && keyFile === null) return null;
    if (certFile === null || keyFile === null) return fail(`invalid TLS: set both ${tlsCert.env[0]} and ${tlsKey.env[0]} (certificate and private key files, PEM)`);
    return { certFile, keyFile };
  }),
  /** How long a shutdown may take: in-flight HTTP requests and webhook deliveries get this long (milliseconds). */
  shutdownTimeoutMs: setting({
    label: 'shutdown timeout',
    doc: 'shutdown timeout (ms): in-flight requests and webhook deliveries get this long',
    kind: milliseconds(),
    default: 10_000,
    env: 'HERALD_SHUTDOWN_TIMEOUT_MS',
    file: 'shutdownTimeoutMs',
  }),
  /** Bearer token `GET /metrics` asks for (constant-time compare); null: anyone who reaches it may read it. */
  metricsToken: setting({
    label: 'metrics token',
    doc: 'bearer token `GET /metrics` asks for (at least 16 characters; see [Operations](#operations))',
    kind: token(),
    default: null,
    defaultDoc: 'none: `/metrics` is open',
    env: 'HERALD_METRICS_TOKEN',
    file: 'metricsToken',
  }),
  /**
   * A second listener for /metrics, /health and /ready; /metrics is then served
   * there only. Null: /metrics is on the main port.
   */
  metricsPort: setting({
    label: 'metrics port',
    doc: 'port of a separate listener for `/metrics`, `/health` and `/ready`; `/metrics` is then served there only',
    kind: nullable(port()),
    default: null,
    defaultDoc: 'none: `/metrics` on the main port',
    env: 'HERALD_METRICS_PORT',
    file: 'metricsPort',
  }),
  /** The address of that listener; null: the main listen address. */
  metricsHost: setting({
    label: 'metrics host',
    doc: 'listen address of that metrics port',
    kind: nullable(text('HOST')),
    default: null,
    defaultDoc: 'the listen address',
    env: 'HERALD_METRICS_HOST',
    file: 'metricsHost',
  }),
  /** Admin token of the debug console at /console; null leaves the console off. */
  consoleToken: setting({
    label: 'console token',
    doc: 'debug console token (at least 16 characters; see [Debug console](#debug-console))',
    kind: token(),
    default: null,
    defaultDoc: 'off; a fresh one printed at start with the development app',
    env: 'HERALD_CONSOLE_TOKEN',
    file: 'consoleToken',
  }),
};

export type SettingValues = Values<typeof SETTINGS>;

/** Every `--flag` a setting takes, `--config` included. */
export type SettingFlag = FlagOf<(typeof SETTINGS)[keyof typeof SETTINGS] | typeof CONFIG_FILE>;
