// Flow 2 of examples/: a customer orders, the right vendor's inbox (private,
// authorized with a Bearer token) gets it live with a toast, the other vendor
// gets nothing and cannot subscribe to it; status changes reach both the
// vendor and the customer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { APP } from '../helpers/herald.js';
import { authStatus, openAs, screenshot, startExampleStack, tokenFor, waitForPill, type ExampleStack } from '../helpers/examples.js';
import { localClient } from '../helpers/pusher-js.js';
import { withTimeout } from '../helpers/wait.js';

let stack: ExampleStack;

before(async () => {
  stack = await startExampleStack();
});

after(async () => {
  await stack?.close();
});

/** A vendor's inbox page, logged in with a token through the page's own form. */
async function vendorInbox(t: Parameters<typeof openAs>[1], username: string): Promise<Page> {
  const { page, errors } = await openAs(stack, t, null, '/vendor.html');
  t.after(() => assert.deepEqual(errors, []));
  await page.getByTestId('username').fill(username);
  await page.getByTestId('get-token').click();
  await waitForPill(page, 'Live');
  return page;
}

test("an order reaches only its vendor's inbox, and status changes reach the customer", async (t) => {
  const luigi = await vendorInbox(t, 'luigi');
  const yuki = await vendorInbox(t, 'yuki');
  const alice = await openAs(stack, t, 'alice', '/shop.html');
  await waitForPill(alice.page, 'Live');

  await alice.page.getByTestId('order-pizza-margherita').click();
  const luigisOrder = luigi.getByTestId('inbox-1');
  await luigisOrder.waitFor();
  assert.match(await luigisOrder.innerText(), /Margherita\s+Alice\s+\$9\.00\s+placed/);
  await luigi.getByTestId('toast').filter({ hasText: 'New order #1: Margherita for Alice' }).waitFor();

  // Yuki hears about his own order, and by then has still not heard of Luigi's.
  await alice.page.getByTestId('order-sushi-veggie').click();
  await yuki.getByTestId('inbox-2').waitFor();
  assert.equal(await yuki.getByTestId('inbox-1').count(), 0);
  assert.equal(await luigi.getByTestId('inbox-2').count(), 0);

  await luigisOrder.getByTestId('set-accepted').click();
  await alice.page.getByTestId('toast').filter({ hasText: 'Order #1 was accepted' }).waitFor();
  await alice.page.getByTestId('my-order-1').getByText('accepted').waitFor();
  await screenshot(luigi, 'vendor-inbox');
  await luigisOrder.getByTestId('set-ready_for_pickup').click();
  await alice.page.getByTestId('toast').filter({ hasText: 'Order #1 is ready for pickup' }).waitFor();
  await luigisOrder.getByText('ready for pickup').waitFor();
  await screenshot(alice.page, 'shop-status-toasts');

  // Yuki cancels his: Alice hears it; Luigi's inbox is untouched.
  await yuki.getByTestId('inbox-2').getByTestId('set-cancelled').click();
  await alice.page.getByTestId('toast').filter({ hasText: 'Order #2 was cancelled' }).waitFor();
  assert.equal(await luigi.getByTestId('inbox-2').count(), 0);
  assert.deepEqual(alice.errors, []);
});

test("a vendor cannot subscribe to another vendor's inbox: the back end refuses to authorize it", async (t) => {
  const yukisToken = await tokenFor(stack, 'yuki');
  const client = localClient(t, APP.key, stack.heraldPort, {
    channelAuthorization: { endpoint: `${stack.url}/broadcasting/auth`, transport: 'ajax', headers: { Authorization: `Bearer ${yukisToken}` } },
  });
  const outcome = (name: string) =>
    withTimeout(
      new Promise<string>((resolve) => {
        const channel = client.subscribe(name);
        channel.bind('pusher:subscription_succeeded', () => resolve('subscribed'));
        channel.bind('pusher:subscription_error', (e: { status: number }) => resolve(`refused ${e.status}`));
      }),
      `the outcome of subscribing to ${name}`,
    );
  assert.equal(await outcome('private-vendor-orders.2'), 'subscribed');
  assert.equal(await outcome('private-vendor-orders.1'), 'refused 403');

  // The same rules for a page with a session cookie, and none without one.
  const alice = await openAs(stack, t, 'alice', '/shop.html');
  assert.equal(await authStatus(alice.page, 'private-customer-orders.1'), 200);
  assert.equal(await authStatus(alice.page, 'private-customer-orders.2'), 403);
  assert.equal(await authStatus(alice.page, 'private-vendor-orders.1'), 403);
  const stranger = await openAs(stack, t, null, '/orders.html');
  assert.equal(await authStatus(stranger.page, 'private-customer-orders.1'), 401);
});
