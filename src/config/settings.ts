// Settings are read once at start from defaults, a JSON config file, the
// environment and command-line flags (each overriding the one before), and
// validated here so that a bad value stops the start with a clear message.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { App } from '../apps/app.js';
import { ProtocolLimits } from '../protocol/limits.js';

const appSchema = z
  .object({
    id: z.string().min(1),
    key: z.string().min(1),
    secret: z.string().min(1),
    enabled: z.boolean().default(true),
    clientEvents: z.boolean().default(false),
    userAuthentication: z.boolean().default(false),
    maxConnections: z.number().int().positive().nullable().default(null),
    maxPresenceMembers: z.number().int().positive().default(ProtocolLimits.presenceMembers),
    maxEventPayloadBytes: z.number().int().positive().default(ProtocolLimits.eventPayloadBytes),
    clientEventsPerSecond: z.number().int().positive().default(ProtocolLimits.clientEventsPerSecond),
    allowedOrigins: z.array(z.string().min(1)).default([]),
  })
  .strict();

const portSchema = z.coerce.number().int().min(0).max(65535);

const fileSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: portSchema.optional(),
    logLevel: z.string().optional(),
    activityTimeoutSeconds: z.number().int().positive().optional(),
    apps: z.array(appSchema).optional(),
  })
  .strict();

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Settings {
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
  /** True when no app was configured and the development app is in use. */
  readonly usingDevelopmentApp: boolean;
}

export const DEVELOPMENT_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;

export interface SettingsInput {
  env?: NodeJS.ProcessEnv;
  flags?: { host?: string; port?: string; config?: string };
  /** Overrides applied last; used by tests and embedders. */
  overrides?: Partial<Omit<Settings, 'apps'>> & { apps?: Array<z.input<typeof appSchema>> };
}

export class SettingsError extends Error {}

export function loadSettings({ env = process.env, flags = {}, overrides = {} }: SettingsInput = {}): Settings {
  const configPath = flags.config ?? env.HERALD_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};

  const envApp = appFromEnv(env);
  let apps: App[] = [...(file.apps ?? [])].map((a) => appSchema.parse(a));
  if (envApp) apps.push(envApp);
  if (overrides.apps) apps = overrides.apps.map((a) => parse(appSchema, a, 'app'));
  const usingDevelopmentApp = apps.length === 0;
  if (usingDevelopmentApp) {
    apps = [appSchema.parse({ ...DEVELOPMENT_APP, clientEvents: true, userAuthentication: true })];
  }

  const logLevel = overrides.logLevel ?? env.HERALD_LOG_LEVEL ?? file.logLevel ?? 'info';
  return {
    host: overrides.host ?? flags.host ?? env.HERALD_HOST ?? file.host ?? '0.0.0.0',
    port: overrides.port ?? parse(portSchema, flags.port ?? env.HERALD_PORT ?? file.port ?? 6001, 'port'),
    apps,
    activityTimeoutSeconds:
      overrides.activityTimeoutSeconds ??
      parse(z.coerce.number().int().positive(), env.HERALD_ACTIVITY_TIMEOUT ?? file.activityTimeoutSeconds ?? 120, 'activity timeout'),
    pongTimeoutSeconds: overrides.pongTimeoutSeconds ?? 30,
    logLevel: parse(z.enum(logLevels), logLevel, 'log level'),
    maxFrameBytes: overrides.maxFrameBytes ?? 256 * 1024,
    maxRequestBodyBytes: overrides.maxRequestBodyBytes ?? 1024 * 1024,
    usingDevelopmentApp,
  };
}

/** The app given by HERALD_APP_* or, for a Laravel `.env`, PUSHER_APP_*. */
function appFromEnv(env: NodeJS.ProcessEnv): App | undefined {
  const pick = (name: string) => env[`HERALD_APP_${name}`] ?? env[`PUSHER_APP_${name}`];
  const id = pick('ID');
  const key = pick('KEY');
  const secret = pick('SECRET');
  if (!id && !key && !secret) return undefined;
  if (!id || !key || !secret) {
    throw new SettingsError('an app from the environment needs all three of HERALD_APP_ID, HERALD_APP_KEY and HERALD_APP_SECRET (or PUSHER_APP_*)');
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
