// Settings of webhook delivery, TLS and shutdown: read like the others
// (defaults, config file, environment, overrides) and validated at start.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { WebhookSettings } from '../webhooks/webhooks.js';

export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface OperationsSettings {
  readonly webhooks: WebhookSettings;
  /** wss:// and https:// on the port when set; plain otherwise. */
  readonly tls: TlsSettings | null;
  /** How long a shutdown may take: in-flight HTTP requests and webhook deliveries get this long (milliseconds). */
  readonly shutdownTimeoutMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  batchMs: 250,
  timeoutMs: 5000,
  retry: { baseMs: 1000, maxMs: 5 * 60_000 },
  maxAgeMs: 24 * 60 * 60_000,
  concurrency: 16,
  pollMs: 1000,
};

const ms = z.coerce.number().int().positive();

/** The config-file keys of these settings (merged into the file schema). */
export const operationsFileShape = {
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  shutdownTimeoutMs: ms.optional(),
  webhookBatchMs: ms.optional(),
  webhookTimeoutMs: ms.optional(),
  webhookRetryBaseMs: ms.optional(),
  webhookRetryMaxMs: ms.optional(),
  webhookMaxAgeMs: ms.optional(),
};

export type OperationsOverrides = Partial<Omit<OperationsSettings, 'webhooks'>> & { webhooks?: Partial<WebhookSettings> };

interface Sources {
  readonly env: NodeJS.ProcessEnv;
  readonly file: { [K in keyof typeof operationsFileShape]?: z.infer<(typeof operationsFileShape)[K]> };
  readonly overrides: OperationsOverrides;
}

type Parse = <T extends z.ZodType>(schema: T, value: unknown, what: string) => z.infer<T>;

/** `fail` stops the start with a message naming the setting. */
export function operationsSettings({ env, file, overrides }: Sources, parse: Parse, fail: (message: string) => never): OperationsSettings {
  const d = DEFAULT_WEBHOOK_SETTINGS;
  const webhooks: WebhookSettings = {
    ...d,
    batchMs: parse(ms, env.HERALD_WEBHOOK_BATCH_MS ?? file.webhookBatchMs ?? d.batchMs, 'webhook batch window (HERALD_WEBHOOK_BATCH_MS)'),
    timeoutMs: parse(ms, env.HERALD_WEBHOOK_TIMEOUT_MS ?? file.webhookTimeoutMs ?? d.timeoutMs, 'webhook timeout (HERALD_WEBHOOK_TIMEOUT_MS)'),
    retry: {
      baseMs: parse(ms, env.HERALD_WEBHOOK_RETRY_BASE_MS ?? file.webhookRetryBaseMs ?? d.retry.baseMs, 'webhook retry delay (HERALD_WEBHOOK_RETRY_BASE_MS)'),
      maxMs: parse(ms, env.HERALD_WEBHOOK_RETRY_MAX_MS ?? file.webhookRetryMaxMs ?? d.retry.maxMs, 'webhook retry maximum (HERALD_WEBHOOK_RETRY_MAX_MS)'),
    },
    maxAgeMs: parse(ms, env.HERALD_WEBHOOK_MAX_AGE_MS ?? file.webhookMaxAgeMs ?? d.maxAgeMs, 'webhook maximum age (HERALD_WEBHOOK_MAX_AGE_MS)'),
    ...overrides.webhooks,
  };
  const certFile = env.HERALD_TLS_CERT ?? file.tlsCert;
  const keyFile = env.HERALD_TLS_KEY ?? file.tlsKey;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    fail('invalid TLS: set both HERALD_TLS_CERT and HERALD_TLS_KEY (certificate and private key files, PEM)');
  }
  const tls = overrides.tls !== undefined ? overrides.tls : certFile && keyFile ? { certFile, keyFile } : null;
  if (tls) {
    for (const [what, path] of [['certificate', tls.certFile], ['private key', tls.keyFile]] as const) {
      try {
        readFileSync(path);
      } catch (err) {
        fail(`invalid TLS: cannot read the ${what} ${path}: ${(err as Error).message}`);
      }
    }
  }
  return {
    webhooks,
    tls,
    shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? parse(ms, env.HERALD_SHUTDOWN_TIMEOUT_MS ?? file.shutdownTimeoutMs ?? 10_000, 'shutdown timeout (HERALD_SHUTDOWN_TIMEOUT_MS)'),
  };
}
