#!/usr/bin/env node
// The `herald` command: argument parsing and wiring only.
import { parseArgs } from 'node:util';
import type { SettingFlag } from '../config/setting-table.js';
import { loadSettings, SettingsError } from '../config/settings.js';
import { environmentNames, flaggedSettings, startFlagsUsage } from '../config/settings-doc.js';
import { AppConflictError, InvalidAppError } from '../apps/app-repository.js';
import { AppAdminError } from '../apps/managed-apps.js';
import { AppsCommandError, runApps } from './apps.js';
import { runStart } from './start.js';
import { runTrigger } from './trigger.js';
import { releaseWorker } from './workers.js';

const USAGE = `Usage:
  herald start ${wrap(startFlagsUsage(), '               ')}
      Serve WebSocket and HTTP on one port (default 0.0.0.0:6001); with
      --workers N, N processes share the port (needs the Redis adapter).
  herald trigger --channel C --event E [--data JSON] [--port PORT | --url URL]
      Send a signed event through the HTTP API of a running Herald.
  herald apps list|show|create|update|disable|enable|rotate-secret ...
      Manage the apps of the app store (herald apps --help).

Environment (the README's Configuration lists what each one does):
  ${wrap(environmentNames(), '  ')}`;

/** Words joined by spaces, in lines of at most 80 columns, each after the first indented by `indent`. */
function wrap(words: string[], indent: string): string {
  const lines = [''];
  for (const word of words) {
    const last = lines.length - 1;
    if (lines[last] !== '' && (indent + lines[last] + ' ' + word).length > 80) lines.push(word);
    else lines[last] = lines[last] === '' ? word : `${lines[last]} ${word}`;
  }
  return lines.join(`\n${indent}`);
}

/** `herald start` takes a flag for every setting that has one. */
const START_OPTIONS = Object.fromEntries(flaggedSettings().map((s) => [s.flag, { type: 'string' }])) as Record<SettingFlag, { type: 'string' }>;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: START_OPTIONS, strict: true });
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
    const userError =
      err instanceof SettingsError ||
      err instanceof AppsCommandError ||
      err instanceof AppAdminError ||
      err instanceof AppConflictError ||
      err instanceof InvalidAppError;
    if (userError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`herald: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  },
).finally(releaseWorker);
