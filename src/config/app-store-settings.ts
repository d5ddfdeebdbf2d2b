// Where apps are kept, beside those of the environment and config file:
// nowhere else (static), an embedded SQLite file, or a PostgreSQL / MySQL
// database the operator already runs.
import { z } from 'zod';
import { APP_STORE_KINDS, DEFAULT_APP_CACHE_TTL_MS, type AppStoreSettings } from '../apps/open-app-store.js';

export { APP_STORE_KINDS, DEFAULT_APP_CACHE_TTL_MS, type AppStoreKind, type AppStoreSettings } from '../apps/open-app-store.js';

/** The config-file keys of these settings (merged into the file schema). */
export const appStoreFileShape = {
  appStore: z.enum(APP_STORE_KINDS).optional(),
  databaseUrl: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  appsTable: z.string().min(1).optional(),
  appCacheTtlMs: z.number().int().positive().optional(),
};

// Interpolated into SQL, so only plain identifiers are accepted.
const tableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'use letters, digits and _ only (at most 63), not starting with a digit');

interface Sources {
  readonly env: NodeJS.ProcessEnv;
  readonly flags: { 'app-store'?: string; 'database-url'?: string };
  readonly file: { [K in keyof typeof appStoreFileShape]?: z.infer<(typeof appStoreFileShape)[K]> };
  readonly overrides: Partial<AppStoreSettings>;
}

type Parse = <T extends z.ZodType>(schema: T, value: unknown, what: string) => z.infer<T>;

export function appStoreSettings({ env, flags, file, overrides }: Sources, parse: Parse): AppStoreSettings {
  const appStore =
    overrides.appStore ?? parse(z.enum(APP_STORE_KINDS), flags['app-store'] ?? env.HERALD_APP_STORE ?? file.appStore ?? 'static', 'app store (HERALD_APP_STORE)');
  const databaseUrl = overrides.databaseUrl !== undefined ? overrides.databaseUrl : (flags['database-url'] ?? env.HERALD_DATABASE_URL ?? file.databaseUrl ?? null);
  if (appStore === 'postgres' || appStore === 'mysql') {
    parse(z.string().min(1, `set HERALD_DATABASE_URL to ${appStore}://user:password@host:port/database`), databaseUrl ?? '', `database URL of the ${appStore} app store`);
  }
  return {
    appStore,
    databaseUrl,
    dataDir: overrides.dataDir ?? env.HERALD_DATA_DIR ?? file.dataDir ?? './.data',
    appsTable: overrides.appsTable ?? parse(tableName, env.HERALD_APPS_TABLE ?? file.appsTable ?? 'herald_apps', 'apps table (HERALD_APPS_TABLE)'),
    appCacheTtlMs:
      overrides.appCacheTtlMs ??
      parse(z.coerce.number().int().positive(), env.HERALD_APP_CACHE_TTL_MS ?? file.appCacheTtlMs ?? DEFAULT_APP_CACHE_TTL_MS, 'app cache TTL (HERALD_APP_CACHE_TTL_MS)'),
  };
}
