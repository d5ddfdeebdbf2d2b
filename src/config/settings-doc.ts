// The settings as people read them: the README's configuration table and
// the lists of `herald --help`, written from the setting table so that they
// say what loadSettings does.
import { settingsOf, type Setting } from './setting.js';
import { CONFIG_FILE, ENV_APP, SETTINGS, type SettingFlag } from './setting-table.js';

/** The settings an operator can give, in the table's order: those with a flag, a variable or a config-file key. */
export function documentedSettings(): Array<Setting<unknown>> {
  return [CONFIG_FILE, ...settingsOf(ENV_APP.shape), ...settingsOf(SETTINGS)].filter((s) => s.flag !== null || s.env.length > 0 || s.file !== null);
}

/** Every setting with a flag of `herald start`, `--config` first. */
export function flaggedSettings(): Array<Setting<unknown, SettingFlag>> {
  return documentedSettings().filter((s): s is Setting<unknown, SettingFlag> => s.flag !== null);
}

export const README_TABLE_START = '<!-- settings table: written by `npm run docs:settings` from src/config/setting-table.ts; edit it there -->';
export const README_TABLE_END = '<!-- end of settings table -->';

/** The README's configuration table, in Markdown. */
export function settingsTable(): string {
  const code = (text: string) => `\`${text}\``;
  const rows = documentedSettings().map((s) => [
    s.doc,
    s.env.length === 0 ? '' : code(s.env[0] ?? '') + (s.env.length > 1 ? ` (or ${s.env.slice(1).map(code).join(', then ')})` : ''),
    s.flag === null ? '' : code(`--${s.flag}`),
    s.file === null ? '' : code(s.file),
    s.defaultDoc ?? describeDefault(s.default),
  ]);
  const line = (cells: string[]) => `|${cells.map((c) => (c === '' ? ' ' : ` ${c.replaceAll('|', '\\|')} `)).join('|')}|`;
  return [line(['setting', 'environment', 'flag', 'config file', 'default']), '| --- | --- | --- | --- | --- |', ...rows.map(line)].join('\n');
}

function describeDefault(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return `\`${String(value)}\``;
}

/** `readme` with the text between the markers replaced by the table; an Error when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error(`the README has no settings table markers (${README_TABLE_START} … ${README_TABLE_END})`);
  return `${readme.slice(0, start + README_TABLE_START.length)}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}

/** The flags of `herald start`, as its usage line shows them: `[--port PORT]`. */
export function startFlagsUsage(): string[] {
  return flaggedSettings().map((s) => `[--${s.flag} ${s.kind.placeholder}]`);
}

/** Every environment variable Herald reads, fallbacks included. */
export function environmentNames(): string[] {
  return documentedSettings().flatMap((s) => s.env);
}
