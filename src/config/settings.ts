// Settings are read once at start, each from (last wins) its default, the
// JSON config file, the environment, its command-line flag and the overrides
// of embedders and tests, and validated here so that a bad value stops the
// start with a clear message. What the settings are is setting-table.ts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { App } from '../apps/app.js';
import { appSchema } from '../apps/app-schema.js';
import { describeIssues, resolveSetting, resolveSettings, settingsOf, type Overrides, type Sources } from './setting.js';
import { SETTING_RULES } from './setting-rules.js';
import { CONFIG_FILE, ENV_APP, SETTINGS, type SettingFlag, type SettingValues } from './setting-table.js';

export interface Settings extends SettingValues {
  readonly apps: readonly App[];
  /** True when no app was configured and the development app is in use. */
  readonly usingDevelopmentApp: boolean;
}

export const DEVELOPMENT_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;

export interface SettingsInput {
  env?: NodeJS.ProcessEnv;
  flags?: { readonly [F in SettingFlag]?: string };
  /** Applied last and not validated; used by tests and embedders. */
  overrides?: Overrides<typeof SETTINGS> & {
    apps?: Array<z.input<typeof appSchema>>;
  };
}

export class SettingsError extends Error {}

const fail = (message: string): never => {
  throw new SettingsError(message);
};

export function loadSettings({ env: rawEnv = process.env, flags = {}, overrides = {} }: SettingsInput = {}): Settings {
  // `HERALD_PORT=` in a .env file means "not set", not "port 0".
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== ''));
  const configPath = resolveSetting(CONFIG_FILE, { env, flags, file: {}, filePath: null }, undefined, fail);
  const { apps: fileApps = [], ...file } = configPath === null ? {} : readConfigFile(configPath);
  const sources: Sources = { env, flags, file, filePath: configPath };

  const { apps: appOverrides, ...settingOverrides } = overrides;
  const values = resolveSettings(SETTINGS, sources, settingOverrides, fail);

  const envApp = resolveSettings({ app: ENV_APP }, sources, {}, fail).app;
  let apps: App[] = [...fileApps];
  if (envApp) apps.push(appSchema.parse({ ...envApp, clientEvents: true, userAuthentication: true }));
  if (appOverrides) apps = appOverrides.map((a) => check(appSchema, a, 'app'));
  assertDistinctApps(apps);
  // With a database store the apps live there: the well-known development app is never served next to them.
  const usingDevelopmentApp = apps.length === 0 && values.appStore === 'static';
  if (usingDevelopmentApp) {
    apps = [appSchema.parse({ ...DEVELOPMENT_APP, clientEvents: true, userAuthentication: true })];
  }

  for (const rule of SETTING_RULES) {
    const problem = rule(values);
    if (problem !== null) fail(problem);
  }
  return { ...values, apps, usingDevelopmentApp };
}

/** Two apps with one id or key would make lookups ambiguous: refuse them at start, naming the value. */
function assertDistinctApps(apps: readonly App[]): void {
  for (const field of ['id', 'key'] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[field])) fail(`invalid apps: two apps share the ${field} '${app[field]}'`);
      seen.add(app[field]);
    }
  }
}

/** The config file: a key for each setting that has one, and the apps. */
const configFileSchema = z
  .object({
    apps: z.array(appSchema).optional(),
    // Each value is checked by its setting, which names it in the message.
    ...Object.fromEntries(settingsOf(SETTINGS).flatMap((s) => (s.file === null ? [] : [[s.file, z.unknown().optional()]]))),
  })
  .strict();

function readConfigFile(path: string): z.infer<typeof configFileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return check(configFileSchema, json, `config file ${path}`);
}

function check<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  return result.success ? result.data : fail(`invalid ${what}: ${describeIssues(result.error)}`);
}
