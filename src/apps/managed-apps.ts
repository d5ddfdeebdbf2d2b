// The rules of managing apps (what `herald apps` does): the configured apps
// of the environment and config file are shown beside the stored ones but
// never changed here, and no stored app may take a configured app's id or
// key, since the configured one would win (LayeredAppStore) and the stored
// one would never be served. Credentials not given are made up here.
import { randomBytes, randomInt } from 'node:crypto';
import type { App } from './app.js';
import { InvalidAppError, type AppChanges, type AppRepository } from './app-repository.js';
import { appSchema } from './app-schema.js';

export interface ListedApp {
  readonly app: App;
  /** store: managed here; config: from the environment or config file, read-only here. */
  readonly source: 'store' | 'config';
}

/** An app change the rules refuse (an unknown id, a configured app, a static store): said to the user as it is. */
export class AppAdminError extends Error {}

/** What `create` is given: any field of an app; the id, key and secret are made up when missing. */
export type NewApp = Partial<App>;

/** The stored apps, and the configured ones beside them (which are only shown). */
export class ManagedApps {
  constructor(
    private readonly configured: readonly App[],
    private readonly repository: AppRepository | null,
  ) {}

  async list(): Promise<ListedApp[]> {
    const stored = (await this.repository?.list()) ?? [];
    return [...this.configured.map((app) => ({ app, source: 'config' as const })), ...stored.map((app) => ({ app, source: 'store' as const }))];
  }

  async get(id: string): Promise<ListedApp> {
    const configured = this.configured.find((a) => a.id === id);
    if (configured) return { app: configured, source: 'config' };
    const store = this.writable();
    const stored = await store.findById(id);
    if (!stored) throw new AppAdminError(`no app with the id '${id}' in the ${store.location}`);
    return { app: stored, source: 'store' };
  }

  async create(input: NewApp): Promise<ListedApp> {
    const store = this.writable();
    // The schema's defaults fill in whatever the input leaves out, as for a config-file app.
    const parsed = appSchema.safeParse({
      ...input,
      id: input.id ?? String(randomInt(100_000, 10_000_000)),
      key: input.key ?? randomBytes(10).toString('hex'),
      secret: input.secret ?? newSecret(),
    });
    if (!parsed.success) throw new InvalidAppError(`create: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const app: App = parsed.data;
    const clash = this.configured.find((a) => a.id === app.id || a.key === app.key);
    if (clash) throw new AppAdminError(`the configured app '${clash.id}' already has this ${clash.id === app.id ? 'id' : 'key'}`);
    return { app: await store.create(app), source: 'store' };
  }

  async update(id: string, changes: AppChanges): Promise<ListedApp> {
    if (this.configured.some((a) => a.id === id)) {
      throw new AppAdminError(`the app '${id}' comes from the environment or config file: change it there`);
    }
    if (changes.key !== undefined) {
      const clash = this.configured.find((a) => a.key === changes.key);
      if (clash) throw new AppAdminError(`the configured app '${clash.id}' already has the key '${changes.key}'`);
    }
    const store = this.writable();
    const app = await store.update(id, changes);
    if (!app) throw new AppAdminError(`no app with the id '${id}' in the ${store.location}`);
    return { app, source: 'store' };
  }

  /** A fresh secret replaces the app's; the old one stops signing as soon as servers read the store again. */
  rotateSecret(id: string): Promise<ListedApp> {
    return this.update(id, { secret: newSecret() });
  }

  private writable(): AppRepository {
    if (this.repository) return this.repository;
    throw new AppAdminError(
      'apps come from the environment and config file only (HERALD_APP_STORE=static); set HERALD_APP_STORE=sqlite, postgres or mysql to manage them with this command',
    );
  }
}

function newSecret(): string {
  return randomBytes(20).toString('hex');
}
