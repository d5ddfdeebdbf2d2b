// `herald apps`: manages the apps of the configured store. Argument parsing
// and printing only; the stores do the work. Secrets are printed once, when
// they are made (create, rotate-secret), and never by list or show.
import { randomBytes, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { App } from '../apps/app.js';
import type { AppChanges, AppRepository } from '../apps/app-repository.js';
import { appSchema } from '../apps/app-schema.js';
import { openAppRepository } from '../apps/open-app-store.js';
import { loadSettings, type Settings } from '../config/settings.js';

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
  --enabled true|false               --client-events true|false
  --user-authentication true|false   --allowed-origins A,B ('' for any)
  --max-connections N|none           --max-presence-members N
  --max-event-payload-bytes N        --client-events-per-second N
  --max-channels-per-event N         --backend-events-per-second N|none
  --api-requests-per-second N|none   --subscription-count-events true|false
  --max-channels-per-connection N    --max-connections-per-address N|none`;

const STORE_OPTIONS = {
  config: { type: 'string' },
  'app-store': { type: 'string' },
  'database-url': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const APP_OPTIONS = {
  key: { type: 'string' },
  enabled: { type: 'string' },
  'client-events': { type: 'string' },
  'user-authentication': { type: 'string' },
  'allowed-origins': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-presence-members': { type: 'string' },
  'max-event-payload-bytes': { type: 'string' },
  'client-events-per-second': { type: 'string' },
  'max-channels-per-event': { type: 'string' },
  'backend-events-per-second': { type: 'string' },
  'api-requests-per-second': { type: 'string' },
  'subscription-count-events': { type: 'string' },
  'max-channels-per-connection': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
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
    const apps = new ManagedApps(settings, repository);
    const id = () => positionals[0] ?? fail(`apps ${command}: give the app's id`);
    switch (command) {
      case 'list':
        return printList(output, await apps.list());
      case 'show':
        return printApp(output, await apps.get(id()));
      case 'create':
        return printCreated(output, await apps.create(flags), settings);
      case 'update':
        return printApp(output, await apps.update(id(), appChanges(flags)), settings);
      case 'disable':
      case 'enable':
        return printApp(output, await apps.update(id(), { enabled: command === 'enable' }), settings);
      case 'rotate-secret':
        return printCreated(output, await apps.update(id(), { secret: newSecret() }), settings);
      default:
        throw new AppsCommandError(`unknown command '${command}'\n\n${APPS_USAGE}`);
    }
  } finally {
    await repository?.close();
  }
}

interface ListedApp {
  readonly app: App;
  /** store: managed here; config: from the environment or config file, read-only here. */
  readonly source: 'store' | 'config';
}

/** The stored apps, and the configured ones beside them (which this command only shows). */
class ManagedApps {
  constructor(
    private readonly settings: Settings,
    private readonly repository: AppRepository | null,
  ) {}

  async list(): Promise<ListedApp[]> {
    const stored = (await this.repository?.list()) ?? [];
    return [...this.settings.apps.map((app) => ({ app, source: 'config' as const })), ...stored.map((app) => ({ app, source: 'store' as const }))];
  }

  async get(id: string): Promise<ListedApp> {
    const configured = this.settings.apps.find((a) => a.id === id);
    if (configured) return { app: configured, source: 'config' };
    const stored = await this.writable().findById(id);
    if (!stored) throw new AppsCommandError(`no app with the id '${id}' in the ${this.writable().location}`);
    return { app: stored, source: 'store' };
  }

  async create(flags: Record<string, string | boolean | undefined>): Promise<ListedApp> {
    const store = this.writable();
    // The schema's defaults fill in whatever the flags leave out, as for a config-file app.
    const parsed = appSchema.safeParse({
      id: str(flags.id) ?? String(randomInt(100_000, 10_000_000)),
      key: str(flags.key) ?? randomBytes(10).toString('hex'),
      secret: str(flags.secret) ?? newSecret(),
      ...appChanges(flags),
    });
    if (!parsed.success) fail(`create: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const app: App = parsed.data;
    const clash = this.settings.apps.find((a) => a.id === app.id || a.key === app.key);
    if (clash) throw new AppsCommandError(`the configured app '${clash.id}' already has this ${clash.id === app.id ? 'id' : 'key'}`);
    return { app: await store.create(app), source: 'store' };
  }

  async update(id: string, changes: AppChanges): Promise<ListedApp> {
    if (this.settings.apps.some((a) => a.id === id)) {
      throw new AppsCommandError(`the app '${id}' comes from the environment or config file: change it there`);
    }
    if (changes.key !== undefined) {
      const clash = this.settings.apps.find((a) => a.key === changes.key);
      if (clash) throw new AppsCommandError(`the configured app '${clash.id}' already has the key '${changes.key}'`);
    }
    const store = this.writable();
    const app = await store.update(id, changes);
    if (!app) throw new AppsCommandError(`no app with the id '${id}' in the ${store.location}`);
    return { app, source: 'store' };
  }

  private writable(): AppRepository {
    if (this.repository) return this.repository;
    throw new AppsCommandError(
      'apps come from the environment and config file only (HERALD_APP_STORE=static); set HERALD_APP_STORE=sqlite, postgres or mysql to manage them with this command',
    );
  }
}

/** The app options given as flags, checked one by one so that a message names the flag. */
function appChanges(flags: Record<string, string | boolean | undefined>): AppChanges {
  const changes: { -readonly [K in keyof AppChanges]: AppChanges[K] } = {};
  const key = str(flags.key);
  if (key !== undefined) changes.key = key;
  const bool = (name: string) => optional(name, flags, parseBoolean);
  const count = (name: string) => optional(name, flags, parseCount);
  const limit = (name: string) => optional(name, flags, (v, n) => (v === 'none' ? null : parseCount(v, n)));
  assign(changes, 'enabled', bool('enabled'));
  assign(changes, 'clientEvents', bool('client-events'));
  assign(changes, 'userAuthentication', bool('user-authentication'));
  assign(changes, 'maxConnections', limit('max-connections'));
  assign(changes, 'maxPresenceMembers', count('max-presence-members'));
  assign(changes, 'maxEventPayloadBytes', count('max-event-payload-bytes'));
  assign(changes, 'clientEventsPerSecond', count('client-events-per-second'));
  assign(changes, 'maxChannelsPerEvent', count('max-channels-per-event'));
  assign(changes, 'backendEventsPerSecond', limit('backend-events-per-second'));
  assign(changes, 'apiRequestsPerSecond', limit('api-requests-per-second'));
  assign(changes, 'subscriptionCountEvents', bool('subscription-count-events'));
  assign(changes, 'maxChannelsPerConnection', count('max-channels-per-connection'));
  assign(changes, 'maxConnectionsPerAddress', limit('max-connections-per-address'));
  const origins = str(flags['allowed-origins']);
  if (origins !== undefined) changes.allowedOrigins = origins.split(',').map((o) => o.trim()).filter((o) => o !== '');
  return changes;
}

function assign<K extends keyof AppChanges>(changes: AppChanges, field: K, value: AppChanges[K] | undefined): void {
  if (value !== undefined) (changes as Record<K, AppChanges[K]>)[field] = value;
}

function optional<T>(name: string, flags: Record<string, string | boolean | undefined>, parse: (value: string, name: string) => T): T | undefined {
  const value = str(flags[name]);
  return value === undefined ? undefined : parse(value, name);
}

function parseBoolean(value: string, name: string): boolean {
  if (['true', 'on', 'yes'].includes(value)) return true;
  if (['false', 'off', 'no'].includes(value)) return false;
  return fail(`--${name} takes true or false, not '${value}'`);
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

function newSecret(): string {
  return randomBytes(20).toString('hex');
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
    .map(([k, v]) => `${k.padEnd(width)}  ${v === null ? 'none' : Array.isArray(v) ? v.join(', ') || '(any)' : String(v)}`)
    .join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
