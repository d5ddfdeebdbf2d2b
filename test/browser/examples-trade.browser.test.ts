// Flow 5 of examples/: trade matches. Alice offers shares, Bob buys them:
// both dashboards update balances, open orders and history without a reload,
// from order.matched on their own private-user channel. Carol, trading at
// the same time, sees none of their trades and is refused their channels.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { authStatus, openAs, screenshot, startExampleStack, waitForPill, type ExampleStack } from '../helpers/examples.js';

let stack: ExampleStack;

before(async () => {
  stack = await startExampleStack();
});

after(async () => {
  await stack?.close();
});

async function placeOrder(page: Page, side: 'buy' | 'sell', quantity: number, price: number): Promise<void> {
  await page.getByTestId('side').selectOption(side);
  await page.getByTestId('quantity').fill(String(quantity));
  await page.getByTestId('price').fill(String(price));
  await page.getByTestId('place').click();
}

async function balances(page: Page): Promise<{ usd: string; acme: string }> {
  return { usd: await page.getByTestId('usd').innerText(), acme: await page.getByTestId('acme').innerText() };
}

test('a match updates both traders live, and only them', async (t) => {
  const alice = await openAs(stack, t, 'alice', '/trade.html');
  const bob = await openAs(stack, t, 'bob', '/trade.html');
  const carol = await openAs(stack, t, 'carol', '/trade.html');
  for (const user of [alice, bob, carol]) await waitForPill(user.page, 'Live');
  assert.deepEqual(await balances(alice.page), { usd: '$10,000', acme: '100' });

  // Alice offers 10 at $120; the shares are set aside while the order waits.
  await placeOrder(alice.page, 'sell', 10, 120);
  await alice.page.getByTestId('open-orders').getByText('Sell 10/10 ACME at $120').waitFor();
  await alice.page.getByTestId('acme').filter({ hasText: /^90$/ }).waitFor();

  // Bob bids for 4 at up to $125: he pays Alice's $120, and both pages update by themselves.
  await placeOrder(bob.page, 'buy', 4, 125);
  await alice.page.getByTestId('history').getByText('Sold 4 ACME at $120').waitFor();
  await alice.page.getByTestId('open-orders').getByText('Sell 6/10 ACME at $120').waitFor();
  assert.deepEqual(await balances(alice.page), { usd: '$10,480', acme: '90' });
  await alice.page.getByTestId('toast').filter({ hasText: 'Sold 4 ACME at $120' }).waitFor();
  await bob.page.getByTestId('history').getByText('Bought 4 ACME at $120').waitFor();
  assert.deepEqual(await balances(bob.page), { usd: '$9,520', acme: '104' });
  await screenshot(alice.page, 'trade-seller');

  // Carol undercuts Alice and trades with Bob: Alice hears nothing of it; Carol never heard of Alice's trade.
  await placeOrder(carol.page, 'sell', 1, 110);
  await placeOrder(bob.page, 'buy', 1, 110);
  await carol.page.getByTestId('toast').filter({ hasText: 'Sold 1 ACME at $110' }).waitFor();
  await bob.page.getByTestId('history').getByText('Bought 1 ACME at $110').waitFor();
  assert.equal(await carol.page.getByTestId('history').locator('tr').count(), 1);
  assert.equal(await alice.page.getByTestId('history').locator('tr').count(), 1);
  assert.equal(await alice.page.getByTestId('toast').filter({ hasText: '$110' }).count(), 0);

  assert.equal(await authStatus(carol.page, 'private-user.1'), 403);
  assert.equal(await authStatus(carol.page, 'private-user.2'), 403);
  assert.equal(await authStatus(carol.page, 'private-user.3'), 200);
  assert.deepEqual([...alice.errors, ...bob.errors, ...carol.errors], []);
});
