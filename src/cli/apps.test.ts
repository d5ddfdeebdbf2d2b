import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appOptionForm, appOptionsShape, appSchema, type AppOptionForm, type AppOptionName } from '../apps/app-schema.js';
import { APPS_USAGE, AppsCommandError, appInput } from './apps.js';

// Options that cannot be written as a flag (none today: structured lists are JSON).
const WITHOUT_FLAG = new Set<AppOptionName>([]);

/** For each form, a value as typed and what it sets. */
const SAMPLES: Record<AppOptionForm, readonly [string, unknown]> = {
  switch: ['false', false],
  count: ['7', 7],
  limit: ['none', null],
  list: ['https://a.example, *.b.example', ['https://a.example', '*.b.example']],
  json: ['[]', []],
};

const options = Object.keys(appOptionsShape) as AppOptionName[];
const flagOf = (option: string) => option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

test('every app option has a `herald apps` flag, listed in the usage, that sets it to what the app schema takes', () => {
  for (const option of options) {
    const form = appOptionForm(option);
    if (WITHOUT_FLAG.has(option)) {
      assert.equal(form, null, `${option} is written as a flag after all: take it out of WITHOUT_FLAG`);
      continue;
    }
    assert.ok(form, `${option} cannot be written as a flag: give it a form in appOptionForm or list it in WITHOUT_FLAG`);
    const flag = flagOf(option);
    assert.match(APPS_USAGE, new RegExp(`--${flag} `), `${option} has no --${flag} in the usage`);
    const [text, value] = SAMPLES[form];
    assert.deepEqual(appInput({ [flag]: text }), { [option]: value }, `--${flag} ${text}`);
    assert.ok(appSchema.safeParse({ id: 'a', key: 'k', secret: 's', [option]: value }).success, `${option}: ${JSON.stringify(value)} is refused by the app schema`);
  }
});

test('counts and limits: the app schema refuses 0 as the flags do ("a whole number above 0")', () => {
  for (const option of options.filter((o) => appOptionForm(o) === 'count' || appOptionForm(o) === 'limit')) {
    assert.equal(appSchema.safeParse({ id: 'a', key: 'k', secret: 's', [option]: 0 }).success, false, option);
    assert.throws(() => appInput({ [flagOf(option)]: '0' }), AppsCommandError);
  }
});

test('a wrong value is refused, naming the flag', () => {
  assert.throws(() => appInput({ 'max-connections': 'lots' }), /--max-connections takes a whole number above 0, not 'lots'/);
  assert.throws(() => appInput({ 'client-events': 'maybe' }), /--client-events takes true or false, not 'maybe'/);
  assert.deepEqual(appInput({ 'client-events': 'on', 'max-connections': '5', key: 'k' }), { key: 'k', clientEvents: true, maxConnections: 5 });
});

test('history rules are written as JSON, and a wrong one names the flag', () => {
  const rules = [{ channels: 'private-vendor-orders.*', maxEvents: 100, maxAgeSeconds: 300 }];
  assert.deepEqual(appInput({ history: JSON.stringify(rules) }), { history: rules });
  assert.ok(appSchema.safeParse({ id: 'a', key: 'k', secret: 's', history: rules }).success);
  assert.throws(() => appInput({ history: 'orders-*' }), /--history takes a JSON list/);
  assert.throws(() => appInput({ history: '{"channels":"x"}' }), /--history takes a JSON list/);
});
