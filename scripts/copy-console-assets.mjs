// tsc compiles only TypeScript: the console page's static files are copied
// beside the compiled console module, where it serves them from.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The page's tsconfig only type-checks its scripts (npm run typecheck); it is not served.
cpSync(join(root, 'src/console/public'), join(root, 'dist/console/public'), {
  recursive: true,
  filter: (source) => !source.endsWith('tsconfig.json'),
});
