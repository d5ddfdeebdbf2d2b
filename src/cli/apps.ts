// `herald apps`: manages the apps of the configured store. Argument parsing
// and printing only; the rules are ManagedApps' (apps/managed-apps.ts) and
// the stores do the work. Secrets are printed once, when they are made
// (create, rotate-secret), and never by list or show.
import { parseArgs } from 'node:util';
import type { AppChanges } from '../apps/app-repository.js';
import { appOptionForm, appOptionsShape, type AppOptionForm, type AppOptionName } from '../apps/app-schema.js';
import { ManagedApps, type ListedApp, type NewApp } from '../apps/managed-apps.js';
import { openAppRepository } from '../apps/open-app-store.js';
import { loadSettings, type Settings } from '../config/settings.js';

/** A flag for every app option that can be written as text, named after it: maxConnections, --max-connections. */
const APP_FLAGS = (Object.keys(appOptionsShape) as AppOptionName[]).flatMap((option) => {
  const form = appOptionForm(option);
  return form === null ? [] : [{ option, form, flag: option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) }];
});

const FORM_VALUES: Record<AppOptionForm, string> = { switch: 'true|false', count: 'N', limit: 'N|none', list: "A,B ('' for any)", json: "'[{...}]'" };

export const APPS_USAGE = `Usage:
  herald apps list [--json]
  herald apps show ID [--json]
  herald apps create [--id ID] [--key KEY] [--secret SECRET] [OPTIONS] [--json]
  herald apps update ID [--key KEY] [OPTIONS] [--json]
  herald apps disable ID | enable ID
  herald apps rotate-secret ID [--json]

Works on the store of HERALD_APP_STORE (sqlite, postgres, mysql) and
HERALD_DATABASE_URL, or --app-store, --database-url, --config FILE.
create makes up the id, key and secret it is not given; the secret is
printed by create and rotate-secret only.

OPTIONS (none means no limit):
${columns(APP_FLAGS.map(({ flag, form }) => `--${flag} ${FORM_VALUES[form]}`))}`;

/** Items two to a line, the second ones aligned. */
function columns(items: string[]): string {
  const width = Math.max(...items.filter((_, i) => i % 2 === 0).map((item) => item.length)) + 3;
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 2) lines.push(`  ${(items[i] ?? '').padEnd(width)}${items[i + 1] ?? ''}`.trimEnd());
  return lines.join('\n');
}

const STORE_OPTIONS = {
  config: { type: 'string' },
  'app-store': { type: 'string' },
  'database-url': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const APP_OPTIONS = {
  key: { type: 'string' },
  ...Object.fromEntries(APP_FLAGS.map(({ flag }) => [flag, { type: 'string' }] as const)),
} as const;

/** A problem with what the user asked for: printed as it is, exit code 1. */
export class AppsCommandError extends Error {}

type Output = { json: boolean; out: (text: string) => void; note: (text: string) => void };

export async function runApps(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(APPS_USAGE);
    return command === undefined ? 1 : 0;
  }
  const withApp = command === 'create' || command === 'update';
  const { values, positionals } = parseArgs({
    args: rest,
    options: withApp ? { ...STORE_OPTIONS, ...APP_OPTIONS, ...(command === 'create' ? { id: { type: 'string' }, secret: { type: 'string' } } : {}) } : STORE_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const flags = values as Record<string, string | boolean | undefined>;
  const settings = loadSettings({
    env,
    flags: { config: str(flags.config), 'app-store': str(flags['app-store']), 'database-url': str(flags['database-url']) },
  });
  const output: Output = { json: flags.json === true, out: (t) => console.log(t), note: (t) => console.error(t) };
  const repository = openAppRepository(settings, (id, problem) => output.note(`warning: stored app ${id} is invalid and not served: ${problem}`));
  try {
    await repository?.init();
    const apps = new ManagedApps(settings.apps, repository);
    const id = () => positionals[0] ?? fail(`apps ${command}: give the app's id`);
    switch (command) {
      case 'list':
        return printList(output, await apps.list());
      case 'show':
        return printApp(output, await apps.get(id()));
      case 'create':
        return printCreated(output, await apps.create(appInput(flags)), settings);
      case 'update':
        return printApp(output, await apps.update(id(), appInput(flags)), settings);
      case 'disable':
      case 'enable':
        return printApp(output, await apps.update(id(), { enabled: command === 'enable' }), settings);
      case 'rotate-secret':
        return printCreated(output, await apps.rotateSecret(id()), settings);
      default:
        throw new AppsCommandError(`unknown command '${command}'\n\n${APPS_USAGE}`);
    }
  } finally {
    await repository?.close();
  }
}

/**
 * The app fields given as flags (update takes no --id or --secret: parseArgs
 * refuses them), each read by its option's form so that a message names the flag.
 */
export function appInput(flags: Record<string, string | boolean | undefined>): NewApp & AppChanges {
  const input: Record<string, unknown> = {};
  for (const field of ['id', 'key', 'secret'] as const) {
    const value = str(flags[field]);
    if (value !== undefined) input[field] = value;
  }
  for (const { option, form, flag } of APP_FLAGS) {
    const value = str(flags[flag]);
    if (value !== undefined) input[option] = parseForm(form, value, flag);
  }
  // Each value has its option's type: the option's form says how it was read.
  return input as NewApp & AppChanges;
}

function parseForm(form: AppOptionForm, value: string, flag: string): unknown {
  switch (form) {
    case 'switch':
      return parseBoolean(value, flag);
    case 'count':
      return parseCount(value, flag);
    case 'limit':
      return value === 'none' ? null : parseCount(value, flag);
    case 'list':
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    case 'json':
      return parseJsonList(value, flag);
  }
}

function parseBoolean(value: string, name: string): boolean {
  if (['true', 'on', 'yes'].includes(value)) return true;
  if (['false', 'off', 'no'].includes(value)) return false;
  return fail(`--${name} takes true or false, not '${value}'`);
}

function parseJsonList(value: string, name: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return fail(`--${name} takes a JSON list ('[{...}]'), not '${value.slice(0, 60)}'`);
  }
  return Array.isArray(parsed) ? parsed : fail(`--${name} takes a JSON list ('[{...}]'), not '${value.slice(0, 60)}'`);
}

function parseCount(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) return fail(`--${name} takes a whole number above 0, not '${value}'`);
  return n;
}

const str = (value: string | boolean | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

function fail(message: string): never {
  throw new AppsCommandError(message);
}

/** An app as printed: everything but the secret. */
function publicView({ app, source }: ListedApp): Record<string, unknown> {
  const { secret: _secret, ...rest } = app;
  return { ...rest, source };
}

function printList(output: Output, apps: ListedApp[]): number {
  if (output.json) {
    output.out(JSON.stringify(apps.map(publicView), null, 2));
    return 0;
  }
  const rows = apps.map(({ app, source }) => [
    app.id,
    app.key,
    app.enabled ? 'yes' : 'no',
    app.clientEvents ? 'yes' : 'no',
    app.userAuthentication ? 'yes' : 'no',
    app.maxConnections === null ? '-' : String(app.maxConnections),
    app.backendEventsPerSecond === null ? '-' : String(app.backendEventsPerSecond),
    app.apiRequestsPerSecond === null ? '-' : String(app.apiRequestsPerSecond),
    source,
  ]);
  output.out(table(['ID', 'KEY', 'ENABLED', 'CLIENT EVENTS', 'USER AUTH', 'MAX CONNECTIONS', 'EVENTS/S', 'REQUESTS/S', 'SOURCE'], rows));
  if (apps.length === 0) output.note('no apps');
  return 0;
}

function printApp(output: Output, listed: ListedApp, settings?: Settings): number {
  const view = publicView(listed);
  output.out(output.json ? JSON.stringify(view, null, 2) : describe(view));
  if (settings) reachNote(output, settings);
  return 0;
}

/** After create and rotate-secret: the one time the secret is printed. */
function printCreated(output: Output, listed: ListedApp, settings: Settings): number {
  const view = { ...publicView(listed), secret: listed.app.secret };
  output.out(output.json ? JSON.stringify(view, null, 2) : describe(view));
  output.note('The secret is shown only now: keep it with the app that signs requests.');
  reachNote(output, settings);
  return 0;
}

function reachNote(output: Output, settings: Settings): void {
  output.note(`Running servers apply this within ${settings.appCacheTtlMs / 1000} s (HERALD_APP_CACHE_TTL_MS).`);
}

function describe(view: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(view).map((k) => k.length));
  return Object.entries(view)
    .map(([k, v]) => `${k.padEnd(width)}  ${v === null ? 'none' : Array.isArray(v) ? listText(v) : String(v)}`)
    .join('\n');
}

/** Strings comma-separated, structured items (webhook targets, history rules) as JSON. */
function listText(items: unknown[]): string {
  if (items.length === 0) return '(none)';
  return items.every((i) => typeof i === 'string') ? items.join(', ') : JSON.stringify(items);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
