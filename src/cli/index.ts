#!/usr/bin/env node
// The `herald` command: argument parsing and wiring only.
import { parseArgs } from 'node:util';
import { loadSettings, SettingsError } from '../config/settings.js';
import { AppConflictError, InvalidAppError } from '../apps/app-repository.js';
import { AppsCommandError, runApps } from './apps.js';
import { runStart } from './start.js';
import { runTrigger } from './trigger.js';
import { releaseWorker } from './workers.js';

const USAGE = `Usage:
  herald start [--host HOST] [--port PORT] [--config FILE] [--workers N]
               [--adapter local|redis] [--redis-url URL] [--redis-prefix PREFIX]
      Serve WebSocket and HTTP on one port (default 0.0.0.0:6001); with
      --workers N, N processes share the port (needs the Redis adapter).
  herald trigger --channel C --event E [--data JSON] [--port PORT | --url URL]
      Send a signed event through the HTTP API of a running Herald.
  herald apps list|show|create|update|disable|enable|rotate-secret ...
      Manage the apps of the app store (herald apps --help).

Environment: HERALD_HOST, HERALD_PORT, HERALD_CONFIG, HERALD_LOG_LEVEL,
HERALD_APP_ID / HERALD_APP_KEY / HERALD_APP_SECRET (or PUSHER_APP_*, REVERB_APP_*),
HERALD_ADAPTER, HERALD_REDIS_URL, HERALD_REDIS_PREFIX, HERALD_WORKERS,
HERALD_APP_STORE, HERALD_DATABASE_URL, HERALD_DATA_DIR, HERALD_APP_CACHE_TTL_MS,
HERALD_METRICS_TOKEN, HERALD_METRICS_PORT, HERALD_METRICS_HOST.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({
        args: rest,
        options: {
          host: { type: 'string' },
          port: { type: 'string' },
          config: { type: 'string' },
          workers: { type: 'string' },
          adapter: { type: 'string' },
          'redis-url': { type: 'string' },
          'redis-prefix': { type: 'string' },
        },
        strict: true,
      });
      return runStart(loadSettings({ flags: values }));
    }
    case 'trigger': {
      const { values } = parseArgs({
        args: rest,
        options: {
          channel: { type: 'string', multiple: true },
          event: { type: 'string' },
          data: { type: 'string' },
          url: { type: 'string' },
          host: { type: 'string' },
          port: { type: 'string' },
          config: { type: 'string' },
        },
        strict: true,
      });
      return runTrigger(loadSettings({ flags: { config: values.config, host: values.host, port: values.port } }), values);
    }
    case 'apps':
      return runApps(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`herald: unknown command '${command}'\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    const userError = err instanceof SettingsError || err instanceof AppsCommandError || err instanceof AppConflictError || err instanceof InvalidAppError;
    if (userError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`herald: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  },
).finally(releaseWorker);
