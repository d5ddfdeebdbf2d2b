import type { AppId, AppKey } from '../protocol/types.js';
import type { App } from './app.js';
import type { AppStore } from './app-store.js';

/** An app that changed in the store: `current` is undefined when it was removed. */
export interface AppChange {
  readonly previous: App;
  readonly current: App | undefined;
}

export interface CachedAppStoreOptions {
  /** How long a copy of the apps is served before the store is read again. */
  readonly ttlMs: number;
  /** An unknown key or id reads the store again at once, at most this often (a new app connects without waiting a TTL). */
  readonly missRefreshIntervalMs?: number;
  /** A refresh failed (the last copy stays in use); called once per outage, not at every attempt. */
  readonly onRefreshError?: (err: unknown) => void;
  readonly onRefreshRecovered?: () => void;
}

interface Snapshot {
  readonly byKey: ReadonlyMap<AppKey, App>;
  readonly byId: ReadonlyMap<AppId, App>;
}

const EMPTY: Snapshot = { byKey: new Map(), byId: new Map() };

/**
 * Keeps every app of a (database) store in memory and reads them all again
 * every TTL, so that connecting and the HTTP API look apps up in a map, and
 * changes made with `herald apps` reach every running node within the TTL.
 * A store that fails leaves the last good copy in service.
 */
export class CachedAppStore implements AppStore {
  private snapshot: Snapshot = EMPTY;
  private refreshing: Promise<void> | null = null;
  private lastRefreshStartedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private readonly listeners = new Set<(change: AppChange) => void>();

  constructor(
    private readonly source: Pick<AppStore, 'list'>,
    private readonly options: CachedAppStoreOptions,
  ) {}

  /** Reads the store once (failing if it cannot) and then every TTL. */
  async start(): Promise<void> {
    this.stopped = false;
    this.replace(await this.source.list());
    this.lastRefreshStartedAt = Date.now();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Called with every app that changed or disappeared at a refresh. */
  onChange(listener: (change: AppChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async findByKey(key: AppKey): Promise<App | undefined> {
    return this.snapshot.byKey.get(key) ?? (await this.refreshOnMiss()).byKey.get(key);
  }

  async findById(id: AppId): Promise<App | undefined> {
    return this.snapshot.byId.get(id) ?? (await this.refreshOnMiss()).byId.get(id);
  }

  async list(): Promise<App[]> {
    return [...this.snapshot.byId.values()];
  }

  /** Reads the store now (coalesced with a refresh already running). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnMiss(): Promise<Snapshot> {
    const interval = this.options.missRefreshIntervalMs ?? 1000;
    // Bounded so that clients with made-up keys cannot turn into a query each.
    if (this.refreshing || Date.now() - this.lastRefreshStartedAt >= interval) await this.refresh();
    return this.snapshot;
  }

  private async load(): Promise<void> {
    this.lastRefreshStartedAt = Date.now();
    try {
      this.replace(await this.source.list());
      if (this.failing) {
        this.failing = false;
        this.options.onRefreshRecovered?.();
      }
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.options.onRefreshError?.(err);
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.ttlMs);
    this.timer.unref();
  }

  private replace(apps: readonly App[]): void {
    const byKey = new Map<AppKey, App>();
    const byId = new Map<AppId, App>();
    for (const app of apps) {
      byKey.set(app.key, app);
      byId.set(app.id, app);
    }
    const previous = this.snapshot;
    this.snapshot = { byKey, byId };
    if (this.listeners.size === 0 || previous === EMPTY) return;
    for (const [id, before] of previous.byId) {
      const after = byId.get(id);
      if (after && sameApp(before, after)) continue;
      for (const listener of this.listeners) listener({ previous: before, current: after });
    }
  }
}

function sameApp(a: App, b: App): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
