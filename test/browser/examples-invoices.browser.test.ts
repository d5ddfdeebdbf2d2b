// Flow 4 of examples/: invoice payments. A new invoice appears in its owner's
// list only; a payment refreshes the open invoice by itself, with a sound and
// a browser notification, and updates the list in another tab; another user
// hears nothing and is refused the channels.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { apiAs, authStatus, openAs, screenshot, startExampleStack, tokenFor, waitForPill, type ExampleStack } from '../helpers/examples.js';

let stack: ExampleStack;

before(async () => {
  stack = await startExampleStack();
});

after(async () => {
  await stack?.close();
});

/**
 * Records, before any page script runs, the notifications shown and the
 * tones played, so the test can see what a person would see and hear. The
 * user has allowed notifications: headless Chromium never displays one (it
 * answers 'denied' whatever the context grants), so the recorder stands in for
 * the browser's permission and display, and records what the page asks to show.
 */
const RECORD_NOTIFICATIONS_AND_SOUND = `
  window.__shown = [];
  function RecordingNotification(title, options) {
    window.__shown.push({ kind: 'notification', title, body: options && options.body });
  }
  Object.defineProperty(RecordingNotification, 'permission', { get: () => 'granted' });
  RecordingNotification.requestPermission = async () => 'granted';
  window.Notification = RecordingNotification;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__shown.push({ kind: 'tone', frequency: this.frequency.value });
    return start.apply(this, args);
  };
`;

interface Shown {
  readonly kind: 'notification' | 'tone';
  readonly title?: string;
  readonly body?: string;
}

const shown = (page: Page) => page.evaluate(() => (globalThis as unknown as { __shown: Shown[] }).__shown);

test("a payment refreshes its owner's invoice live, with sound and notification; nobody else hears of it", async (t) => {
  const recording = { permissions: ['notifications'], initScript: RECORD_NOTIFICATIONS_AND_SOUND };
  const alice = await openAs(stack, t, 'alice', '/invoices.html?id=1001', recording);
  const bob = await openAs(stack, t, 'bob', '/invoices.html?id=1002', recording);
  await waitForPill(alice.page, 'Live');
  await waitForPill(bob.page, 'Live');
  const alicesList = await alice.context.newPage();
  await alicesList.goto('/invoices.html');
  await waitForPill(alicesList, 'Live');

  // An admin issues a new invoice to Alice, then one to Bob.
  const adminToken = await tokenFor(stack, 'ada');
  const forAlice = await apiAs<{ id: number }>(stack, adminToken, 'POST', '/api/invoices', { userId: '1', title: 'April subscription', amount: 4000 });
  assert.equal(forAlice.status, 200);
  await alice.page.getByTestId(`invoice-${forAlice.body.id}`).waitFor();
  await alice.page.getByTestId('toast').filter({ hasText: 'New invoice: April subscription: $40.00' }).waitFor();
  const forBob = await apiAs<{ id: number }>(stack, adminToken, 'POST', '/api/invoices', { userId: '2', title: 'April subscription', amount: 3000 });
  await bob.page.getByTestId(`invoice-${forBob.body.id}`).waitFor();
  assert.equal(await bob.page.getByTestId(`invoice-${forAlice.body.id}`).count(), 0);
  assert.equal(await alice.page.getByTestId(`invoice-${forBob.body.id}`).count(), 0);

  // Alice pays $50 of $120: the open invoice refreshes itself.
  await alice.page.getByTestId('pay').click();
  await alice.page.getByTestId('paid').filter({ hasText: '$50.00' }).waitFor();
  await alice.page.getByTestId('invoice-status').filter({ hasText: 'partially paid' }).waitFor();
  await alicesList.getByTestId('invoice-1001').getByText('partially paid').waitFor();
  // Then the rest, in two more payments, until it is paid.
  await alice.page.getByTestId('pay').filter({ hasText: '$50.00' }).click();
  await alice.page.getByTestId('paid').filter({ hasText: '$100.00' }).waitFor();
  await alice.page.getByTestId('pay').filter({ hasText: '$20.00' }).click();
  await alice.page.getByTestId('invoice-status').filter({ hasText: /^paid$/ }).waitFor();
  await alicesList.getByTestId('invoice-1001').getByText(/^paid$/).waitFor();
  await screenshot(alice.page, 'invoice-paid');

  // Every invoice event reached Alice's list with the documented payload.
  const events = await alicesList.getByTestId('notice').evaluateAll((items) => items.map((li) => li.getAttribute('data-event')));
  for (const event of ['invoice.created', 'payment.received', 'invoice.status.changed', 'invoice.updated']) assert.ok(events.includes(event), `${event} in ${events}`);
  const aliceSaw = await shown(alice.page);
  assert.equal(aliceSaw.filter((s) => s.kind === 'notification' && s.title === 'Payment received').length, 3);
  assert.ok(aliceSaw.some((s) => s.kind === 'tone'), 'a sound was played');

  // Bob heard of his own invoice and of nothing of Alice's.
  const bobsEvents = await bob.page.getByTestId('notice').evaluateAll((items) => items.map((li) => li.textContent ?? ''));
  assert.equal(bobsEvents.length, 1);
  assert.match(bobsEvents[0]!, /\$30\.00/);
  assert.deepEqual(await shown(bob.page), []);
  assert.equal(await authStatus(bob.page, 'private-invoice.1001'), 403);
  assert.equal(await authStatus(bob.page, 'private-user.1.invoices'), 403);
  assert.equal(await authStatus(bob.page, 'private-invoice.1002'), 200);
  assert.deepEqual([...alice.errors, ...bob.errors], []);
});
