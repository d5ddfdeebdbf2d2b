// Flow 3 of examples/: the admin monitor. Two admins see each other on
// presence-admin-presence and the site's online count move as users come and
// go; new orders, payments, stock and system alerts arrive live on the
// private admin channels, which a customer is refused.
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

async function onlineCount(page: Page, expected: number): Promise<void> {
  await page.getByTestId('online-count').filter({ hasText: new RegExp(`^${expected}$`) }).waitFor();
}

test('admins see each other, the online count, and every admin event live', async (t) => {
  const ada = await openAs(stack, t, 'ada', '/admin.html');
  await waitForPill(ada.page, 'Live');
  await onlineCount(ada.page, 1);
  const grace = await openAs(stack, t, 'grace', '/admin.html');
  await waitForPill(grace.page, 'Live');
  await ada.page.getByTestId('admins').getByTestId('member-5').waitFor();
  await grace.page.getByTestId('admins').getByTestId('member-4').waitFor();
  await onlineCount(ada.page, 2);

  const alice = await openAs(stack, t, 'alice', '/shop.html');
  await waitForPill(alice.page, 'Live');
  await onlineCount(ada.page, 3);
  await onlineCount(grace.page, 3);

  await alice.page.getByTestId('order-pizza-margherita').click();
  await ada.page.getByTestId('feed-orders').getByText(/#1 Margherita · Luigi's Pizza · Alice · \$9\.00/).waitFor();

  const payment = await alice.context.request.post('/api/invoices/1001/payments', { data: { amount: 5000 } });
  assert.equal(payment.status(), 200);
  await grace.page.getByTestId('feed-payments').getByText('$50.00 on invoice #1001 from Alice').waitFor();

  for (const [quantity, level] of [
    ['3', 'low'],
    ['0', 'out'],
    ['12', 'restock'],
  ] as const) {
    await ada.page.getByTestId('stock-pizza-margherita').fill(quantity);
    await ada.page.getByTestId('save-pizza-margherita').click();
    await grace.page.getByTestId('feed-inventory').locator('li', { hasText: `Margherita (Luigi's Pizza): ${quantity} left` }).getByText(level).waitFor();
  }

  await grace.page.getByTestId('alert-level').selectOption('critical');
  await grace.page.getByTestId('alert-message').fill('Payment provider is slow');
  await grace.page.getByTestId('raise-alert').click();
  await ada.page.getByTestId('feed-system').getByText('Payment provider is slow').waitFor();
  await ada.page.getByTestId('toast').filter({ hasText: 'Payment provider is slow' }).waitFor();
  await screenshot(ada.page, 'admin-monitor');

  await alice.context.close();
  await onlineCount(ada.page, 2);
  await grace.context.close();
  await ada.page.getByTestId('admins').getByTestId('member-5').waitFor({ state: 'detached' });
  await onlineCount(ada.page, 1);
  assert.deepEqual([...ada.errors, ...grace.errors], []);
});

test('a customer is refused every admin channel and sees no admin page', async (t) => {
  const bob = await openAs(stack, t, 'bob', '/admin.html');
  await bob.page.getByTestId('not-admin').waitFor();
  for (const channel of ['private-admin-orders', 'private-admin-payments', 'private-admin-inventory', 'private-admin-system', 'presence-admin-presence']) {
    assert.equal(await authStatus(bob.page, channel), 403, channel);
  }
  const overview = await bob.context.request.get('/api/admin/overview');
  assert.equal(overview.status(), 403);
});
