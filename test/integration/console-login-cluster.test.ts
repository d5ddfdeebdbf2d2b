// With several nodes over Redis, a client address has one budget of wrong
// console tokens for the cluster, not one per node: the nodes tell each other
// their failures. Five wrong tokens on each of two nodes lock the address out
// on both, where either node alone would still let the right token in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'console-cluster-budget-token-51ab';
const WRONG = 'not-the-console-token-either';

const skip = await redisUnavailable();
const prefix = uniquePrefix('console-budget');
let a: InProcessNode;
let b: InProcessNode;

before(async () => {
  if (skip) return;
  [a, b] = await Promise.all([startNode(prefix, { overrides: { consoleToken: TOKEN } }), startNode(prefix, { overrides: { consoleToken: TOKEN } })]);
});
after(async () => {
  if (skip) return;
  await Promise.all([a.close(), b.close()]);
  await dropPrefix(prefix);
});

async function login(node: InProcessNode, token: string): Promise<number> {
  const res = await fetch(`${node.url}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  await res.arrayBuffer();
  return res.status;
}

test('wrong console tokens spread over two nodes spend one budget', { skip: skip ?? false }, async () => {
  for (let i = 0; i < 5; i++) assert.equal(await login(a, WRONG), 401);
  // Half the budget spent on A: the right token still gets in on either node.
  assert.equal(await login(b, TOKEN), 200);
  for (let i = 0; i < 5; i++) assert.equal(await login(b, WRONG), 401);
  // B has seen 10 (its 5 and A's 5): locked out at once.
  assert.equal(await login(b, TOKEN), 429);
  // A hears B's 5 over Redis: locked out too, the right token included.
  await waitFor(async () => (await login(a, TOKEN)) === 429, 'node A to count the failures node B saw', 5000);
});
