import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { environmentNames, settingsTable, withSettingsTable } from './settings-doc.js';

const README = new URL('../../README.md', import.meta.url);

test("the README's configuration table is the one the setting table writes (npm run docs:settings)", () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withSettingsTable(readme), readme, 'README.md says other settings than src/config/setting-table.ts: run `npm run docs:settings`');
});

test('the table has a row for every environment variable, fallbacks included', () => {
  const table = settingsTable();
  for (const name of environmentNames()) assert.match(table, new RegExp(`\`${name}\``), name);
  assert.ok(environmentNames().includes('REVERB_APP_SECRET'));
});

test('a README without the markers is refused rather than left as it is', () => {
  assert.throws(() => withSettingsTable('# Herald\n'), /markers/);
});
