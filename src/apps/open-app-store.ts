// Picks the app store the settings name. The server reads it through a
// cache; `herald apps` writes to it directly.
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import type { App } from './app.js';
import type { AppRepository, InvalidAppListener } from './app-repository.js';
import { LayeredAppStore, StaticAppStore, type AppStore } from './app-store.js';
import { CachedAppStore, type AppChange } from './cached-app-store.js';
import { MysqlAppStore } from './mysql-app-store.js';
import { PostgresAppStore } from './postgres-app-store.js';
import { SqliteAppStore } from './sqlite-app-store.js';

export const APP_STORE_KINDS = ['static', 'sqlite', 'postgres', 'mysql'] as const;
export type AppStoreKind = (typeof APP_STORE_KINDS)[number];

/** Stored apps are re-read this often, so changes reach running nodes without a restart. */
export const DEFAULT_APP_CACHE_TTL_MS = 5000;

export interface AppStoreSettings {
  readonly appStore: AppStoreKind;
  /**
   * postgres://… or mysql://… for those stores; for SQLite a file path (or
   * sqlite:PATH / file:PATH), `{dataDir}/apps.sqlite` when not given. May hold
   * a password: never log it.
   */
  readonly databaseUrl: string | null;
  /** Directory of Herald's own files (the SQLite app store, queues). */
  readonly dataDir: string;
  /** Table holding the stored apps, created when missing. */
  readonly appsTable: string;
  /** How long a node serves its copy of the stored apps before reading them again (milliseconds). */
  readonly appCacheTtlMs: number;
}

type StoreSettings = Pick<AppStoreSettings, 'appStore' | 'databaseUrl' | 'dataDir' | 'appsTable'>;

/** What serving apps needs of the settings: the configured apps and where the stored ones are. */
export interface ServedAppsSettings extends AppStoreSettings {
  readonly apps: readonly App[];
}

/** The database store the settings name; null for `static` (apps from the environment and config file only). */
export function openAppRepository(settings: StoreSettings, onInvalid?: InvalidAppListener): AppRepository | null {
  switch (settings.appStore) {
    case 'static':
      return null;
    case 'sqlite':
      return new SqliteAppStore(sqliteFile(settings), settings.appsTable, onInvalid);
    case 'postgres':
      return new PostgresAppStore(requireUrl(settings), settings.appsTable, onInvalid);
    case 'mysql':
      return new MysqlAppStore(requireUrl(settings), settings.appsTable, onInvalid);
  }
}

function sqliteFile({ databaseUrl, dataDir }: StoreSettings): string {
  if (!databaseUrl) return join(dataDir, 'apps.sqlite');
  return databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '');
}

function requireUrl({ databaseUrl, appStore }: StoreSettings): string {
  if (!databaseUrl) throw new Error(`the ${appStore} app store needs HERALD_DATABASE_URL`);
  return databaseUrl;
}

/** The apps a running server serves, with their lifecycle. */
export interface ServedApps {
  readonly store: AppStore;
  /** Where stored apps come from, for the start log; null when there is no database store. */
  readonly location: string | null;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Stored apps that changed or disappeared while running. */
  onChange(listener: (change: AppChange) => void): () => void;
}

/** Apps given to createHerald as they are (embedders, tests). */
export function fixedApps(store: AppStore): ServedApps {
  return { store, location: null, start: async () => {}, close: async () => {}, onChange: () => () => {} };
}

/**
 * The configured apps and, with a database store, the stored ones behind a
 * cache of `appCacheTtlMs`. Env and config-file apps keep being served when a
 * database store is selected.
 */
export function servedApps(settings: ServedAppsSettings, log: Logger): ServedApps {
  const configured = new StaticAppStore(settings.apps);
  const repository = openAppRepository(settings, (id, problem) => log.error({ appId: id, problem }, 'stored app is invalid and is not served'));
  if (!repository) return fixedApps(configured);
  const cache = new CachedAppStore(repository, {
    ttlMs: settings.appCacheTtlMs,
    onRefreshError: (err) => log.error({ err, store: repository.location }, 'cannot read the app store: serving the apps read last'),
    onRefreshRecovered: () => log.info({ store: repository.location }, 'app store readable again'),
  });
  let closed = false;
  return {
    store: new LayeredAppStore(configured, cache),
    location: repository.location,
    start: async () => {
      try {
        await repository.init();
        await cache.start();
        log.info({ store: repository.location, apps: (await cache.list()).length, cacheTtlMs: settings.appCacheTtlMs }, 'serving apps from the app store');
      } catch (err) {
        closed = true;
        await repository.close().catch(() => {});
        throw new Error(`cannot open the app store (${repository.location}): ${(err as Error).message}`, { cause: err });
      }
    },
    close: async () => {
      cache.stop();
      if (closed) return;
      closed = true;
      await repository.close();
    },
    onChange: (listener) => cache.onChange(listener),
  };
}
