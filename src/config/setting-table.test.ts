import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSetting, settingsOf, type Setting } from './setting.js';
import { CONFIG_FILE, ENV_APP, SETTINGS } from './setting-table.js';

const all: Array<Setting<unknown>> = [CONFIG_FILE, ...settingsOf(ENV_APP.shape), ...settingsOf(SETTINGS)];

test('every default passes its own schema', () => {
  for (const s of all) assert.ok(s.kind.schema.safeParse(s.default).success, `the default of ${s.label} is refused by its schema`);
});

test('no two settings share a label, an environment variable, a flag or a config-file key', () => {
  const distinct = (what: string, names: string[]) => {
    const repeated = names.filter((name, i) => names.indexOf(name) !== i);
    assert.deepEqual(repeated, [], `${what} given twice`);
  };
  distinct('labels', all.map((s) => s.label));
  distinct('environment variables', all.flatMap((s) => s.env));
  distinct('flags', all.flatMap((s) => (s.flag === null ? [] : [s.flag])));
  distinct('config-file keys', [...all.flatMap((s) => (s.file === null ? [] : [s.file])), 'apps']);
});

test('environment variables are named HERALD_*, the app credentials also by their Laravel names', () => {
  for (const s of all) {
    assert.match(s.env[0] ?? 'HERALD_', /^HERALD_/, s.label);
    for (const fallback of s.env.slice(1)) assert.match(fallback, /^(PUSHER|REVERB)_APP_/, s.label);
  }
});

test('each setting reads its default back from its flag, its variables and its config-file key', () => {
  const fail = (message: string): never => assert.fail(message);
  const none = { env: {}, flags: {}, file: {}, filePath: 'config.json' };
  for (const s of all.filter((s) => s.default !== null)) {
    const text = String(s.default);
    const given = [
      ...s.env.map((name) => ({ ...none, env: { [name]: text } })),
      ...(s.flag === null ? [] : [{ ...none, flags: { [s.flag]: text } }]),
      ...(s.file === null ? [] : [{ ...none, file: { [s.file]: s.default } }]),
    ];
    for (const sources of given) assert.deepEqual(resolveSetting(s, sources, undefined, fail), s.default, `${s.label} from ${JSON.stringify(sources)}`);
  }
});
