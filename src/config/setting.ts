// What a setting is, and how one is read: the mechanism behind the table in
// setting-table.ts. A setting says once where it can be given (flag,
// environment variables, config-file key), how its value is checked and what
// it is by default; `resolveSettings` reads every one of them the same way,
// so precedence, validation and the messages naming a setting cannot differ
// from one setting to the next.
import { z } from 'zod';

/** How a value is checked, and read from text (an environment variable, a flag). */
export interface ValueKind<T> {
  readonly schema: z.ZodType<T>;
  /** Text turned into what `schema` checks; text that cannot be is passed on for `schema` to refuse. */
  fromText(text: string): unknown;
  /** What the value looks like, in usage lines: `N`, `URL`, `local|redis`. */
  readonly placeholder: string;
}

export interface Setting<T, F extends string = string> {
  readonly type: 'setting';
  /** Names the setting in messages: `invalid {label} (HERALD_PORT): …`. */
  readonly label: string;
  /** One line of Markdown: the README's description of it. */
  readonly doc: string;
  readonly kind: ValueKind<T>;
  readonly default: T;
  /** The default as the README says it, when the value alone says too little (`24 h`, `SQLite: …`). */
  readonly defaultDoc: string | null;
  /** Read in this order, the first that is set winning (HERALD_APP_ID, then PUSHER_APP_ID…). */
  readonly env: readonly string[];
  /** `--{flag}` of `herald start`; null when there is none. */
  readonly flag: F | null;
  /** Its key in the JSON config file; null when the file cannot set it. */
  readonly file: string | null;
}

/** Settings kept together in one object of `Settings` (`webhooks`, `httpFallback`); overridden setting by setting. */
export interface Group<S extends Shape> {
  readonly type: 'group';
  readonly shape: S;
}

/**
 * Settings that make one value together (a TLS certificate and its key, or
 * none): `combine` checks them as a whole. An override replaces the value.
 */
export interface Combined<S extends Shape, R> {
  readonly type: 'combined';
  readonly shape: S;
  combine(values: Values<S>, fail: Fail): R;
}

export type Entry = Setting<unknown> | Group<Shape> | Combined<Shape, unknown>;
export type Shape = { readonly [key: string]: Entry };

export type ValueOf<E> =
  E extends Setting<infer T> ? T : E extends Combined<Shape, infer R> ? R : E extends Group<infer S> ? Values<S> : never;
export type Values<S extends Shape> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Values given by embedders and tests, set last and not checked (a test may go below what an operator may set). */
export type Overrides<S extends Shape> = {
  [K in keyof S]?: S[K] extends Group<infer G> ? Overrides<G> : ValueOf<S[K]>;
};

/** The `--flag` names a shape's settings take. */
export type FlagOf<E> = E extends Setting<unknown, infer F> ? F : E extends Group<infer S> | Combined<infer S, unknown> ? FlagOf<S[keyof S]> : never;

/** Stops the start with a message naming the setting. */
export type Fail = (message: string) => never;

interface SettingSpec<T, F extends string> {
  readonly label: string;
  readonly doc: string;
  readonly kind: ValueKind<T>;
  readonly default: NoInfer<T>;
  readonly defaultDoc?: string;
  readonly env?: string | readonly string[];
  readonly flag?: F;
  readonly file?: string;
}

export function setting<T, const F extends string = never>(spec: SettingSpec<T, F>): Setting<T, F> {
  return {
    type: 'setting',
    label: spec.label,
    doc: spec.doc,
    kind: spec.kind,
    default: spec.default,
    defaultDoc: spec.defaultDoc ?? null,
    env: typeof spec.env === 'string' ? [spec.env] : (spec.env ?? []),
    flag: spec.flag ?? null,
    file: spec.file ?? null,
  };
}

export function group<S extends Shape>(shape: S): Group<S> {
  return { type: 'group', shape };
}

export function combined<S extends Shape, R>(shape: S, combine: (values: Values<S>, fail: Fail) => R): Combined<S, R> {
  return { type: 'combined', shape, combine };
}

// The kinds of value settings take. Text from a flag or the environment is
// read the way zod's coercion would, so `HERALD_PORT=6001` and `"port": 6001`
// mean the same; the schema then checks the value wherever it came from.

export function text(placeholder = 'TEXT'): ValueKind<string> {
  return { schema: z.string().min(1), fromText: (t) => t, placeholder };
}

/** Text kept as it is, when it satisfies `schema` (a table name, a token). */
export function textMatching(schema: z.ZodType<string>, placeholder = 'TEXT'): ValueKind<string> {
  return { schema, fromText: (t) => t, placeholder };
}

export function wholeNumber({ min = 1, max }: { min?: number; max?: number } = {}): ValueKind<number> {
  const wrong = 'use a whole number';
  // The schema's own error would replace every message, "too big" included: only the wrong type gets it.
  const atLeast = z.number({ error: (issue) => (issue.code === 'invalid_type' ? wrong : undefined) }).int({ error: wrong }).min(min);
  return { schema: max === undefined ? atLeast : atLeast.max(max), fromText: Number, placeholder: 'N' };
}

export function port(): ValueKind<number> {
  return { ...wholeNumber({ min: 0, max: 65535 }), placeholder: 'PORT' };
}

export function onOff(): ValueKind<boolean> {
  return { schema: z.boolean({ error: 'use true or false' }), fromText: (t) => (t === 'true' ? true : t === 'false' ? false : t), placeholder: 'true|false' };
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V): ValueKind<V[number]> {
  return { schema: z.enum(values), fromText: (t) => t, placeholder: values.join('|') };
}

/** Nothing when not set: the value of the kind, or null. */
export function nullable<T>(kind: ValueKind<T>): ValueKind<T | null> {
  return { schema: kind.schema.nullable(), fromText: kind.fromText, placeholder: kind.placeholder };
}

/** A limit that `none` (or nothing) lifts. */
export function orNone<T>(kind: ValueKind<T>): ValueKind<T | null> {
  return { schema: kind.schema.nullable(), fromText: (t) => (t === 'none' ? null : kind.fromText(t)), placeholder: `${kind.placeholder}|none` };
}

/** Several values, comma-separated in text (`a,b`, spaces around commas allowed), an array in the config file. */
export function listOf<T>(item: ValueKind<T>): ValueKind<readonly T[]> {
  return {
    schema: z.array(item.schema).readonly(),
    fromText: (t) =>
      t
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => item.fromText(part)),
    placeholder: `${item.placeholder},…`,
  };
}

/** Where values come from, besides the defaults and the overrides. */
export interface Sources {
  /** The environment, unset variables and empty ones alike absent (`HERALD_PORT=` in a .env file means "not set"). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, string | undefined>>;
  /** The config file's values by key; every value there is checked, even one that a flag or the environment overrides. */
  readonly file: Readonly<Record<string, unknown>>;
  readonly filePath: string | null;
}

/**
 * Every setting of `shape`: its override, else its flag, else its
 * environment variables in order, else its config-file key, else its default.
 */
export function resolveSettings<S extends Shape>(shape: S, sources: Sources, overrides: Overrides<S>, fail: Fail): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(shape)) {
    const override = (overrides as Record<string, unknown>)[key];
    out[key] = resolveEntry(entry, sources, override, fail);
  }
  return out as Values<S>;
}

function resolveEntry(entry: Entry, sources: Sources, override: unknown, fail: Fail): unknown {
  switch (entry.type) {
    case 'setting':
      return resolveSetting(entry, sources, override, fail);
    case 'group':
      return resolveSettings(entry.shape, sources, (override ?? {}) as Overrides<Shape>, fail);
    case 'combined': {
      // Read even when overridden, so that a wrong value in the file is refused all the same.
      const values = resolveSettings(entry.shape, sources, {}, fail);
      return override !== undefined ? override : entry.combine(values, fail);
    }
  }
}

export function resolveSetting<T>(entry: Setting<T>, { env, flags, file, filePath }: Sources, override: unknown, fail: Fail): T {
  const check = (value: unknown, where: string): T => {
    const result = entry.kind.schema.safeParse(typeof value === 'string' ? entry.kind.fromText(value) : value);
    return result.success ? result.data : fail(`invalid ${entry.label} (${where}): ${describeIssues(result.error)}`);
  };
  const fromFile = entry.file !== null && file[entry.file] !== undefined ? check(file[entry.file], `${entry.file} in config file ${filePath}`) : undefined;
  if (override !== undefined) return override as T;
  const flag = entry.flag === null ? undefined : flags[entry.flag];
  if (flag !== undefined) return check(flag, `--${entry.flag}`);
  for (const name of entry.env) {
    const value = env[name];
    if (value !== undefined) return check(value, name);
  }
  return fromFile !== undefined ? fromFile : entry.default;
}

/** Every leaf of a shape, depth first, in the table's order. */
export function settingsOf(shape: Shape): Array<Setting<unknown>> {
  return Object.values(shape).flatMap((entry) => (entry.type === 'setting' ? [entry] : settingsOf(entry.shape)));
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}
