// `npm run docs:settings`: writes the README's configuration table from the
// setting table (src/config/setting-table.ts), between its markers.
// `--print` prints the table instead. settings-doc.test.ts fails while the
// README says something else than this would write.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsTable, withSettingsTable } from '../src/config/settings-doc.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

if (process.argv.includes('--print')) {
  console.log(settingsTable());
} else {
  const before = readFileSync(README, 'utf8');
  const after = withSettingsTable(before);
  if (after === before) {
    console.log('README.md: the settings table is up to date');
  } else {
    writeFileSync(README, after);
    console.log('README.md: settings table written');
  }
}
