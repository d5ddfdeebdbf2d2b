// The layering of src/ is enforced by lint (eslint/layers.js); these cases
// show the rule failing on an upward or sideways import and passing a
// downward one, so that the rule cannot silently stop working.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function layerProblems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/src/${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('an import from a higher layer fails lint', async () => {
  const problems = await layerProblems('adapter/example.ts', "import type { ChannelService } from '../channels/channel-service.js';\nexport type X = ChannelService;\n");
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /adapter\/ may import only from the layers below it/);
});

test('an import from a nested file to a higher layer fails lint too', async () => {
  const problems = await layerProblems('adapter/redis/example.ts', "import type { Connection } from '../../connection/connection.js';\nexport type X = Connection;\n");
  assert.equal(problems.length, 1);
});

test('folders of one layer may not import each other', async () => {
  const problems = await layerProblems('webhooks/example.ts', "import { readBody } from '../api/http-api.js';\nexport const x = readBody;\n");
  assert.equal(problems.length, 1);
});

test('nothing below the composer imports server.ts', async () => {
  const problems = await layerProblems('console/example.ts', "import type { Herald } from '../server.js';\nexport type X = Herald;\n");
  assert.equal(problems.length, 1);
});

test('an import from a lower layer, or within the folder, passes', async () => {
  const code = "import type { Adapter } from '../adapter/adapter.js';\nimport { SocketError } from '../protocol/errors.js';\nimport type { X } from './local.js';\nexport type Y = [Adapter, SocketError, X];\n";
  assert.deepEqual(await layerProblems('channels/example.ts', code), []);
});

test('client/ stands alone: it imports nothing of the server, no package and no Node built-in', async () => {
  for (const specifier of ['../protocol/frames.js', 'pusher-js', 'node:events']) {
    const problems = await layerProblems('client/example.ts', `import { x } from '${specifier}';\nexport const y = x;\n`);
    assert.equal(problems.length, 1, specifier);
    assert.match(problems[0]!, /client\/ stands alone/);
  }
  assert.deepEqual(await layerProblems('client/example.ts', "import { x } from './serial.js';\nexport const y = x;\n"), []);
});

test('no part of the server imports client/', async () => {
  assert.equal((await layerProblems('channels/example.ts', "import { x } from '../client/index.js';\nexport const y = x;\n")).length, 1);
  assert.equal((await layerProblems('cli/example.ts', "import { x } from '../client/index.js';\nexport const y = x;\n")).length, 1);
  assert.equal((await layerProblems('server.ts', "import { x } from './client/index.js';\nexport const y = x;\n")).length, 1);
});
