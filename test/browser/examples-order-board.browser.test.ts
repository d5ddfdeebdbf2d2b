// Flow 1 of examples/: the live order board in Chromium against a real Herald
// and the demo back end. Orders appear without a reload. When the board's
// network drops, the orders published meanwhile come back from Herald's
// history when it reconnects ("recovered 2 events"), including one the back
// end does not know; when Herald itself restarts (its in-memory history gone
// with it) the resume fails and the board reads the back end once instead.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropPrefix, redisUnavailable, uniquePrefix } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { openAs, screenshot, startExampleStack, UI_WAIT_MS, type ExampleStack } from '../helpers/examples.js';

/** pusher-js retries a lost connection with a growing delay; give it room to find Herald again. */
const RECONNECT_WAIT_MS = 40_000;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

let stack: ExampleStack;

before(async () => {
  stack = await startExampleStack();
});

after(async () => {
  await stack?.close();
});

test('orders appear on the board live, from the resume after a network drop, and from a refetch after Herald restarts', async (t) => {
  const board = await openAs(stack, t, null, '/orders.html');
  await board.page.getByTestId('mode').filter({ hasText: 'Real-time' }).waitFor();

  // Alice logs in through the login page, as a person would, and orders from the shop.
  const alice = await openAs(stack, t, null, '/?next=/shop.html');
  await alice.page.getByTestId('login-1').click();
  await alice.page.waitForURL('**/shop.html');
  await alice.page.getByTestId('order-pizza-margherita').click();
  const first = board.page.getByTestId('order-1');
  await first.waitFor();
  assert.match(await first.innerText(), /Luigi's Pizza\s+Margherita\s+\$9\.00\s+placed/);
  await screenshot(board.page, 'order-board-real-time');

  // The test command sends order.updated straight to Herald for any order id.
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/commands/test-pusher-order.ts', '42'], {
    cwd: REPO,
    env: { ...process.env, HERALD_APP_ID: APP.id, HERALD_APP_KEY: APP.key, HERALD_APP_SECRET: APP.secret, HERALD_PORT: String(stack.heraldPort) },
    timeout: 30_000,
  });
  assert.match(await board.page.getByTestId('order-42').innerText(), /Test order.*test/s);

  // The board's network drops; Herald and the back end carry on. Two orders are published meanwhile,
  // one the back end does not even know: only Herald's history can bring it.
  stack.cutNetwork();
  await board.page.getByTestId('mode').filter({ hasText: 'Offline' }).waitFor();
  await alice.page.getByTestId('order-sushi-salmon').click();
  await stack.herald!.sdk().trigger('orders', 'order.created', { id: 77, vendorName: 'Herald', item: 'Only in the history', total: 100, status: 'placed', updatedAt: new Date().toISOString() });
  await screenshot(board.page, 'order-board-offline');
  stack.restoreNetwork();
  await board.page.getByTestId('recovered').filter({ hasText: 'recovered 2 events' }).waitFor({ timeout: RECONNECT_WAIT_MS });
  await board.page.getByTestId('mode').filter({ hasText: 'Real-time' }).waitFor();
  assert.match(await board.page.getByTestId('order-2').innerText(), /Sakura Sushi\s+Salmon nigiri/);
  assert.match(await board.page.getByTestId('order-77').innerText(), /Only in the history/);
  await screenshot(board.page, 'order-board-recovered');

  // Herald stops: the order placed now cannot be broadcast at all. Herald comes back with an empty
  // history (kept in memory here), so the board cannot resume and reads the back end once.
  await stack.stopHerald();
  await board.page.getByTestId('mode').filter({ hasText: 'Offline' }).waitFor();
  await alice.page.getByTestId('order-pizza-diavola').click();
  await stack.restartHerald();
  await board.page.getByTestId('recovered').filter({ hasText: 'reloaded the orders' }).waitFor({ timeout: RECONNECT_WAIT_MS });
  await board.page.getByTestId('mode').filter({ hasText: 'Real-time' }).waitFor();
  assert.match(await board.page.getByTestId('order-3').innerText(), /Luigi's Pizza\s+Diavola/);
  // An order the back end does not know: it can only reach the board through Herald, live again.
  await stack.herald!.sdk().trigger('orders', 'order.created', { id: 99, vendorName: 'Herald', item: 'Back in real time', total: 100, status: 'placed', updatedAt: new Date().toISOString() });
  assert.match(await board.page.getByTestId('order-99').innerText(), /Back in real time/);
  await alice.page.getByTestId('order-pizza-margherita').click();
  await board.page.getByTestId('order-4').waitFor({ timeout: UI_WAIT_MS });
  await screenshot(board.page, 'order-board-back-to-real-time');
  assert.deepEqual(board.errors, []);
  assert.deepEqual(alice.errors, []);
});

test('with its history in Redis, Herald restarts and the board still recovers what was published before it reconnected', async (t) => {
  const unavailable = await redisUnavailable();
  if (unavailable) return t.skip(unavailable);
  const prefix = uniquePrefix('order-board');
  const redisStack = await startExampleStack({ redisPrefix: prefix });
  t.after(async () => {
    await redisStack.close();
    await dropPrefix(prefix);
  });
  const board = await openAs(redisStack, t, null, '/orders.html');
  await board.page.getByTestId('mode').filter({ hasText: 'Real-time' }).waitFor();
  const order = (id: number, item: string) => ({ id, vendorName: 'Herald', item, total: 100, status: 'placed', updatedAt: new Date().toISOString() });
  await redisStack.herald!.sdk().trigger('orders', 'order.created', order(1, 'Before the restart'));
  await board.page.getByTestId('order-1').waitFor();

  // The board is cut off while Herald restarts (a deploy); the back end publishes as soon as Herald is back,
  // before the board has found it again. Only Herald's history can bring those orders.
  redisStack.cutNetwork();
  await board.page.getByTestId('mode').filter({ hasText: 'Offline' }).waitFor();
  await redisStack.stopHerald();
  await redisStack.restartHerald();
  await redisStack.herald!.sdk().trigger('orders', 'order.created', order(2, 'Right after the restart'));
  await redisStack.herald!.sdk().trigger('orders', 'order.updated', { ...order(1, 'Before the restart'), status: 'ready' });
  redisStack.restoreNetwork();
  await board.page.getByTestId('recovered').filter({ hasText: 'recovered 2 events' }).waitFor({ timeout: RECONNECT_WAIT_MS });
  assert.match(await board.page.getByTestId('order-2').innerText(), /Right after the restart/);
  assert.match(await board.page.getByTestId('order-1').innerText(), /ready/);
  await screenshot(board.page, 'order-board-recovered-after-restart');
  assert.deepEqual(board.errors, []);
});
