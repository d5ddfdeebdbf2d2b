// tsc compiles only TypeScript: the console page's static files are copied
// beside the compiled console module, where it serves them from.
import { cpSync } from 'node:fs';

const from = new URL('../src/console/public/', import.meta.url);
const to = new URL('../dist/console/public/', import.meta.url);
cpSync(from, to, { recursive: true });
