// Settings are read once at start from defaults, a JSON config file, the
// environment and command-line flags (each overriding the one before), and
// validated here so that a bad value stops the start with a clear message.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { App } from '../apps/app.js';
import { appSchema } from '../apps/app-schema.js';
import { appStoreFileShape, appStoreSettings, type AppStoreSettings } from './app-store-settings.js';
import { metricsFileShape, metricsSettings, type MetricsSettings } from './metrics-settings.js';
import { operationsFileShape, operationsSettings, type OperationsOverrides, type OperationsSettings } from './operations-settings.js';

const portSchema = z.coerce.number().int().min(0).max(65535);

/** Below this a WebSocket client would be cut for one ordinary burst of events. */
const MIN_BUFFERED_BYTES = 64 * 1024;

const fileSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: portSchema.optional(),
    logLevel: z.string().optional(),
    activityTimeoutSeconds: z.number().int().positive().optional(),
    consoleToken: z.string().min(16).optional(),
    apps: z.array(appSchema).optional(),
    adapter: z.enum(['local', 'redis']).optional(),
    redisUrl: z.string().min(1).optional(),
    redisPrefix: z.string().min(1).optional(),
    workers: z.number().int().positive().optional(),
    maxBufferedBytes: z.number().int().min(MIN_BUFFERED_BYTES).optional(),
    perMessageDeflate: z.boolean().optional(),
    maxConnectionsPerAddress: z.number().int().positive().nullable().optional(),
    ...appStoreFileShape,
    ...operationsFileShape,
    ...metricsFileShape,
  })
  .strict();

/** A connection limit from the environment or the file: a whole number above 0, or `none` (or nothing) for no limit. */
const connectionLimitSchema = z.union([z.literal('none').transform(() => null), z.null(), z.coerce.number().int().positive()]);

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Settings extends AppStoreSettings, OperationsSettings, MetricsSettings {
  readonly host: string;
  readonly port: number;
  readonly apps: readonly App[];
  /** Seconds of silence after which a client should ping; sent in `connection_established`. */
  readonly activityTimeoutSeconds: number;
  /** Seconds the server waits for a pong after its own ping before closing. */
  readonly pongTimeoutSeconds: number;
  readonly logLevel: (typeof logLevels)[number];
  /** Largest WebSocket frame accepted; larger ones close the socket (1009). */
  readonly maxFrameBytes: number;
  /** Largest HTTP API request body accepted (413 beyond). */
  readonly maxRequestBodyBytes: number;
  /** Unsent bytes a WebSocket client may have waiting; a client past it is not reading and is cut (4100). */
  readonly maxBufferedBytes: number;
  /**
   * WebSocket compression (permessage-deflate) for clients that offer it. Off
   * by default: it costs a zlib context per connection and compressing every
   * frame for every subscriber, where uncompressed a broadcast is framed once.
   */
  readonly perMessageDeflate: boolean;
  /**
   * Connections one client address may have open on this node, all apps
   * together (4004 beyond); null for no limit. Counted per node, by the
   * address the connection comes from: behind a proxy that is the proxy's.
   */
  readonly maxConnectionsPerAddress: number | null;
  /** True when no app was configured and the development app is in use. */
  readonly usingDevelopmentApp: boolean;
  /** pusher-js's HTTP fallback transports (xhr_streaming, xhr_polling), served on the same port. */
  readonly httpFallback: HttpFallbackSettings;
  /** Where cluster-wide state lives: this process alone, or Redis shared by every node. */
  readonly adapter: 'local' | 'redis';
  readonly redisUrl: string;
  /** Prefix of every Redis key and pub/sub channel, so several clusters can share one Redis. */
  readonly redisPrefix: string;
  /** How often a node tells the others it is alive (milliseconds). */
  readonly nodeHeartbeatMs: number;
  /** A node silent this long is dead: its presence members and users are removed (milliseconds). */
  readonly nodeTimeoutMs: number;
  /** Worker processes `herald start` runs on the same port (node:cluster). */
  readonly workers: number;
  /** Admin token of the debug console at /console; null leaves the console off. */
  readonly consoleToken: string | null;
}

export interface HttpFallbackSettings {
  readonly enabled: boolean;
  /** A session with no request from its client for this long is closed (presence members leave). */
  readonly sessionTimeoutMs: number;
  /** A silent stream gets a heartbeat, and a waiting poll is answered, this often. */
  readonly heartbeatIntervalMs: number;
  /** A stream is handed over to a fresh request at this age, before a proxy cuts it. */
  readonly maxStreamAgeMs: number;
  /** Messages waiting for a client that does not collect them; beyond this its session is closed (4100). */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_HTTP_FALLBACK: HttpFallbackSettings = {
  enabled: true,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 25_000,
  maxStreamAgeMs: 5 * 60_000,
  maxBufferedBytes: 1024 * 1024,
};

export const DEVELOPMENT_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;

export interface SettingsInput {
  env?: NodeJS.ProcessEnv;
  flags?: {
    host?: string;
    port?: string;
    config?: string;
    workers?: string;
    adapter?: string;
    'redis-url'?: string;
    'redis-prefix'?: string;
    'app-store'?: string;
    'database-url'?: string;
  };
  /** Overrides applied last; used by tests and embedders. */
  overrides?: Partial<Omit<Settings, 'apps' | 'httpFallback' | keyof OperationsSettings>> & OperationsOverrides & {
    apps?: Array<z.input<typeof appSchema>>;
    httpFallback?: Partial<HttpFallbackSettings>;
  };
}

export class SettingsError extends Error {}

export function loadSettings({ env: rawEnv = process.env, flags = {}, overrides = {} }: SettingsInput = {}): Settings {
  // `HERALD_PORT=` in a .env file means "not set", not "port 0".
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== ''));
  const configPath = flags.config ?? env.HERALD_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};

  const envApp = appFromEnv(env);
  let apps: App[] = [...(file.apps ?? [])].map((a) => appSchema.parse(a));
  if (envApp) apps.push(envApp);
  if (overrides.apps) apps = overrides.apps.map((a) => parse(appSchema, a, 'app'));
  assertDistinctApps(apps);
  const stores = appStoreSettings({ env, flags, file, overrides }, parse);
  // With a database store the apps live there: the well-known development app is never served next to them.
  const usingDevelopmentApp = apps.length === 0 && stores.appStore === 'static';
  if (usingDevelopmentApp) {
    apps = [appSchema.parse({ ...DEVELOPMENT_APP, clientEvents: true, userAuthentication: true })];
  }

  const logLevel = overrides.logLevel ?? env.HERALD_LOG_LEVEL ?? file.logLevel ?? 'info';
  const port = overrides.port ?? parse(portSchema, flags.port ?? env.HERALD_PORT ?? file.port ?? 6001, 'port');
  return {
    host: overrides.host ?? flags.host ?? env.HERALD_HOST ?? file.host ?? '0.0.0.0',
    port,
    apps,
    activityTimeoutSeconds:
      overrides.activityTimeoutSeconds ??
      parse(z.coerce.number().int().positive(), env.HERALD_ACTIVITY_TIMEOUT ?? file.activityTimeoutSeconds ?? 120, 'activity timeout'),
    pongTimeoutSeconds: overrides.pongTimeoutSeconds ?? 30,
    logLevel: parse(z.enum(logLevels), logLevel, 'log level'),
    maxFrameBytes: overrides.maxFrameBytes ?? 256 * 1024,
    maxRequestBodyBytes: overrides.maxRequestBodyBytes ?? 1024 * 1024,
    maxBufferedBytes:
      overrides.maxBufferedBytes ??
      parse(z.coerce.number().int().min(MIN_BUFFERED_BYTES), env.HERALD_MAX_BUFFERED_BYTES ?? file.maxBufferedBytes ?? 8 * 1024 * 1024, 'max buffered bytes'),
    perMessageDeflate:
      overrides.perMessageDeflate ?? parse(z.enum(['true', 'false']), env.HERALD_PERMESSAGE_DEFLATE ?? String(file.perMessageDeflate ?? false), 'permessage-deflate') === 'true',
    maxConnectionsPerAddress:
      overrides.maxConnectionsPerAddress !== undefined
        ? overrides.maxConnectionsPerAddress
        : parse(connectionLimitSchema, env.HERALD_MAX_CONNECTIONS_PER_ADDRESS ?? file.maxConnectionsPerAddress ?? null, 'max connections per address'),
    usingDevelopmentApp,
    httpFallback: { ...DEFAULT_HTTP_FALLBACK, enabled: env.HERALD_HTTP_FALLBACK !== 'false', ...overrides.httpFallback },
    ...clusterSettings(env, flags, file, overrides),
    ...stores,
    ...operationsSettings({ env, file, overrides }, parse, (message) => {
      throw new SettingsError(message);
    }),
    ...metricsSettings({ env, file, overrides, mainPort: port }, parse, (message) => {
      throw new SettingsError(message);
    }),
    consoleToken:
      overrides.consoleToken ??
      parse(z.string().min(16, 'use at least 16 characters').nullable(), env.HERALD_CONSOLE_TOKEN || file.consoleToken || null, 'console token'),
  };
}

type ClusterSettings = Pick<Settings, 'adapter' | 'redisUrl' | 'redisPrefix' | 'nodeHeartbeatMs' | 'nodeTimeoutMs' | 'workers'>;

function clusterSettings(
  env: NodeJS.ProcessEnv,
  flags: NonNullable<SettingsInput['flags']>,
  file: z.infer<typeof fileSchema>,
  overrides: NonNullable<SettingsInput['overrides']>,
): ClusterSettings {
  const ms = z.coerce.number().int().positive();
  const out: ClusterSettings = {
    adapter: overrides.adapter ?? parse(z.enum(['local', 'redis']), flags.adapter ?? env.HERALD_ADAPTER ?? file.adapter ?? 'local', 'adapter'),
    redisUrl: overrides.redisUrl ?? parse(z.string().min(1), flags['redis-url'] ?? env.HERALD_REDIS_URL ?? file.redisUrl ?? 'redis://127.0.0.1:6379', 'Redis URL'),
    redisPrefix: overrides.redisPrefix ?? parse(z.string().min(1), flags['redis-prefix'] ?? env.HERALD_REDIS_PREFIX ?? file.redisPrefix ?? 'herald', 'Redis prefix'),
    nodeHeartbeatMs: overrides.nodeHeartbeatMs ?? parse(ms, env.HERALD_NODE_HEARTBEAT_MS ?? 1000, 'node heartbeat'),
    nodeTimeoutMs: overrides.nodeTimeoutMs ?? parse(ms, env.HERALD_NODE_TIMEOUT_MS ?? 5000, 'node timeout'),
    workers: overrides.workers ?? parse(z.coerce.number().int().positive().max(256), flags.workers ?? env.HERALD_WORKERS ?? file.workers ?? 1, 'workers'),
  };
  if (out.nodeTimeoutMs < 2 * out.nodeHeartbeatMs) {
    throw new SettingsError('invalid node timeout: HERALD_NODE_TIMEOUT_MS must be at least twice HERALD_NODE_HEARTBEAT_MS');
  }
  if (out.workers > 1 && out.adapter !== 'redis') {
    throw new SettingsError('--workers above 1 needs the Redis adapter so that the workers act as one server: set HERALD_ADAPTER=redis (and HERALD_REDIS_URL)');
  }
  return out;
}

/** Two apps with one id or key would make lookups ambiguous: refuse them at start, naming the value. */
function assertDistinctApps(apps: readonly App[]): void {
  for (const field of ['id', 'key'] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[field])) throw new SettingsError(`invalid apps: two apps share the ${field} '${app[field]}'`);
      seen.add(app[field]);
    }
  }
}

/**
 * The app given by HERALD_APP_* or, for a Laravel `.env`, PUSHER_APP_* (the
 * `pusher` connection) or REVERB_APP_* (the `reverb` connection), so that an
 * app's own `.env` starts Herald unchanged. Each field is taken separately.
 */
function appFromEnv(env: NodeJS.ProcessEnv): App | undefined {
  const pick = (name: string) =>
    env[`HERALD_APP_${name}`] ??
    env[`PUSHER_APP_${name}`] ??
    env[`REVERB_APP_${name}`];
  const id = pick('ID');
  const key = pick('KEY');
  const secret = pick('SECRET');
  if (!id && !key && !secret) return undefined;
  if (!id || !key || !secret) {
    throw new SettingsError('an app from the environment needs all three of HERALD_APP_ID, HERALD_APP_KEY and HERALD_APP_SECRET (or PUSHER_APP_* or REVERB_APP_*)');
  }
  return appSchema.parse({ id, key, secret, clientEvents: true, userAuthentication: true });
}

function readConfigFile(path: string): z.infer<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingsError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parse(fileSchema, json, `config file ${path}`);
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`)
      .join('; ');
    throw new SettingsError(`invalid ${what}: ${details}`);
  }
  return result.data;
}
