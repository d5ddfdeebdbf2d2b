// Where /metrics is served and who may read it: read like the other settings
// (defaults, config file, environment, overrides) and validated at start.
// The defaults keep a Prometheus on a private network scraping the main port
// with no token; a metrics port lets the main port face the internet.
import { z } from 'zod';

export interface MetricsSettings {
  /** Bearer token `GET /metrics` asks for (constant-time compare); null: anyone who reaches it may read it. */
  readonly metricsToken: string | null;
  /**
   * A second listener for /metrics, /health and /ready; /metrics is then served
   * there only. Null: /metrics is on the main port.
   */
  readonly metricsPort: number | null;
  /** The address of that listener; null: the main listen address. */
  readonly metricsHost: string | null;
}

const portSchema = z.coerce.number().int().min(0).max(65535);
const tokenSchema = z.string().min(16, 'use at least 16 characters');

/** The config-file keys of these settings (merged into the file schema). */
export const metricsFileShape = {
  metricsToken: tokenSchema.optional(),
  metricsPort: portSchema.optional(),
  metricsHost: z.string().min(1).optional(),
};

interface Sources {
  readonly env: NodeJS.ProcessEnv;
  readonly file: { [K in keyof typeof metricsFileShape]?: z.infer<(typeof metricsFileShape)[K]> };
  readonly overrides: Partial<MetricsSettings>;
  /** The main listener's port, which the metrics port must not take. */
  readonly mainPort: number;
}

type Parse = <T extends z.ZodType>(schema: T, value: unknown, what: string) => z.infer<T>;

/** `fail` stops the start with a message naming the setting. */
export function metricsSettings({ env, file, overrides, mainPort }: Sources, parse: Parse, fail: (message: string) => never): MetricsSettings {
  const metricsToken =
    overrides.metricsToken !== undefined
      ? overrides.metricsToken
      : parse(tokenSchema.nullable(), env.HERALD_METRICS_TOKEN ?? file.metricsToken ?? null, 'metrics token (HERALD_METRICS_TOKEN)');
  const metricsPort =
    overrides.metricsPort !== undefined
      ? overrides.metricsPort
      : parse(portSchema.nullable(), env.HERALD_METRICS_PORT ?? file.metricsPort ?? null, 'metrics port (HERALD_METRICS_PORT)');
  const metricsHost = overrides.metricsHost !== undefined ? overrides.metricsHost : (env.HERALD_METRICS_HOST ?? file.metricsHost ?? null);
  if (metricsHost !== null && metricsPort === null) {
    fail('invalid metrics host: HERALD_METRICS_HOST needs HERALD_METRICS_PORT (without it /metrics is served on the main port)');
  }
  // Port 0 asks for any free port, for each listener separately.
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === mainPort) {
    fail(`invalid metrics port: HERALD_METRICS_PORT must differ from the main port (${mainPort})`);
  }
  return { metricsToken, metricsPort, metricsHost };
}
