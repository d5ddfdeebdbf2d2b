// What an app imports from this package: `herald` (the server) and
// `herald/client` (the resume module), resolved through package.json
// `exports` to the built files, as a bundler or Node would. `npm test` builds
// before it runs the tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));

test('herald/client resolves to the built ES module and its types, and loads in plain Node', async () => {
  assert.ok(existsSync(`${root}dist/client/index.js`), 'dist/client/index.js is missing: run `npm run build` first');
  assert.ok(existsSync(`${root}dist/client/index.d.ts`), 'the client types are not emitted');
  const script = "const m = await import('herald/client'); console.log(import.meta.resolve('herald/client'), import.meta.resolve('herald'), typeof m.attachRecovery);";
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  const [client, server, kind] = stdout.trim().split(' ');
  assert.equal(client, new URL('dist/client/index.js', `file://${root}`).href);
  assert.equal(server, new URL('dist/server.js', `file://${root}`).href);
  assert.equal(kind, 'function');
});
