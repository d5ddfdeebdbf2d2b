// Rules that tie several settings together, checked once every setting has
// its value (overrides included): a Redis adapter for several workers, a
// node timeout that outlasts two heartbeats, readable TLS files.
import { readFileSync } from 'node:fs';
import { isClusterUrl, parseClusterUrl } from '../adapter/redis/connection.js';
import type { Setting } from './setting.js';
import { SETTINGS, type SettingValues } from './setting-table.js';

const envName = (s: Setting<unknown>): string => s.env[0] ?? s.label;

/** Each answers the problem, or null. */
export const SETTING_RULES: ReadonlyArray<(settings: SettingValues) => string | null> = [
  ({ nodeTimeoutMs, nodeHeartbeatMs }) =>
    nodeTimeoutMs < 2 * nodeHeartbeatMs
      ? `invalid node timeout: ${envName(SETTINGS.nodeTimeoutMs)} must be at least twice ${envName(SETTINGS.nodeHeartbeatMs)}`
      : null,
  ({ workers, adapter }) =>
    workers > 1 && adapter !== 'redis'
      ? `--workers above 1 needs the Redis adapter so that the workers act as one server: set ${envName(SETTINGS.adapter)}=redis (and ${envName(SETTINGS.redisUrl)})`
      : null,
  ({ redisUrl }) => {
    if (!isClusterUrl(redisUrl)) return null;
    try {
      parseClusterUrl(redisUrl);
      return null;
    } catch (err) {
      return `invalid Redis URL: ${(err as Error).message}`;
    }
  },
  ({ appStore, databaseUrl }) =>
    (appStore === 'postgres' || appStore === 'mysql') && databaseUrl === null
      ? `invalid database URL of the ${appStore} app store: set ${envName(SETTINGS.databaseUrl)} to ${appStore}://user:password@host:port/database`
      : null,
  ({ metricsHost, metricsPort }) =>
    metricsHost !== null && metricsPort === null
      ? `invalid metrics host: ${envName(SETTINGS.metricsHost)} needs ${envName(SETTINGS.metricsPort)} (without it /metrics is served on the main port)`
      : null,
  // Port 0 asks for any free port, for each listener separately.
  ({ metricsPort, port }) =>
    metricsPort !== null && metricsPort !== 0 && metricsPort === port
      ? `invalid metrics port: ${envName(SETTINGS.metricsPort)} must differ from the main port (${port})`
      : null,
  ({ tls }) => {
    for (const [what, path] of tls ? ([['certificate', tls.certFile], ['private key', tls.keyFile]] as const) : []) {
      try {
        readFileSync(path);
      } catch (err) {
        return `invalid TLS: cannot read the ${what} ${path}: ${(err as Error).message}`;
      }
    }
    return null;
  },
];
