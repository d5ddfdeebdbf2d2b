import type { AppId, AppKey } from '../protocol/types.js';
import type { App } from './app.js';

/**
 * Where apps come from. Lookups are async so that stores backed by a
 * database can sit behind the same contract as the in-memory one.
 */
export interface AppStore {
  findByKey(key: AppKey): Promise<App | undefined>;
  findById(id: AppId): Promise<App | undefined>;
  list(): Promise<App[]>;
}

/** Apps fixed at start, from the environment or a config file. */
export class StaticAppStore implements AppStore {
  private readonly byKey = new Map<AppKey, App>();
  private readonly byId = new Map<AppId, App>();

  constructor(apps: readonly App[]) {
    for (const app of apps) {
      if (this.byKey.has(app.key)) throw new Error(`two apps share the key '${app.key}'`);
      if (this.byId.has(app.id)) throw new Error(`two apps share the id '${app.id}'`);
      this.byKey.set(app.key, app);
      this.byId.set(app.id, app);
    }
  }

  async findByKey(key: AppKey): Promise<App | undefined> {
    return this.byKey.get(key);
  }

  async findById(id: AppId): Promise<App | undefined> {
    return this.byId.get(id);
  }

  async list(): Promise<App[]> {
    return [...this.byId.values()];
  }
}

/**
 * The apps of the environment and config file in front of those of a
 * database store: a configured app wins over a stored one with the same id
 * or key (it is what the operator pinned at start; `herald apps create`
 * refuses such clashes).
 */
export class LayeredAppStore implements AppStore {
  constructor(
    private readonly configured: AppStore,
    private readonly stored: AppStore,
  ) {}

  async findByKey(key: AppKey): Promise<App | undefined> {
    return (await this.configured.findByKey(key)) ?? this.stored.findByKey(key);
  }

  async findById(id: AppId): Promise<App | undefined> {
    return (await this.configured.findById(id)) ?? this.stored.findById(id);
  }

  async list(): Promise<App[]> {
    const configured = await this.configured.list();
    const ids = new Set(configured.map((a) => a.id));
    const keys = new Set(configured.map((a) => a.key));
    return [...configured, ...(await this.stored.list()).filter((a) => !ids.has(a.id) && !keys.has(a.key))];
  }
}
