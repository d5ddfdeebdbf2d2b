// The debug console in a real headless Chromium (Debian's, driven by
// playwright-core), against a real Herald, with real pusher-js clients.
// Screenshots of each step are saved in artifacts/ for a person to look at.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test, type TestContext } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { connected, nextEvent, subscribed, withTimeout } from '../helpers/wait.js';

const TOKEN = 'console-test-token-7f3a9c1e';
const OTHER_APP = { id: 'other-app', key: 'other-key', secret: 'other-secret' } as const;
/** Bound on every wait for the page to show something. */
const UI_WAIT_MS = 5000;
const ARTIFACTS = new URL('../../artifacts/', import.meta.url);

let h: RunningHerald;
let browser: Browser;

before(async () => {
  h = await startHerald({
    apps: [
      { ...APP, clientEvents: true, userAuthentication: true },
      { ...OTHER_APP, clientEvents: true },
    ],
    overrides: { consoleToken: TOKEN },
  });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await h?.close();
});

async function openPage(t: TestContext): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  await page.goto(`${h.url}/console`);
  return page;
}

async function logIn(page: Page, token = TOKEN): Promise<void> {
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
}

/** Logs in and waits until the app's live stream is open. */
async function openConsole(t: TestContext, appId: string = APP.id): Promise<Page> {
  const page = await openPage(t);
  await logIn(page);
  await page.locator('#console-view').waitFor({ state: 'visible' });
  if (appId !== APP.id) await page.getByTestId('app-select').selectOption(appId);
  await page.locator(`#live[data-state="live"]`).waitFor({ state: 'attached' });
  return page;
}

function logRow(page: Page, type: string, ...texts: string[]) {
  let rows = page.locator(`#log tr[data-type="${type}"]`);
  for (const text of texts) rows = rows.filter({ hasText: text });
  return rows.first();
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`console-${name}.png`, ARTIFACTS).pathname, fullPage: false });
}

/** A pusher-js client that joins presence channels as `userId`, authorized by the app's secret (as a back end would). */
function presenceClient(t: TestContext, userId: string, name: string) {
  const sdk = h.sdk();
  return h.client(t, {
    channelAuthorization: {
      customHandler: (params, callback) => {
        const member = params.channelName.startsWith('presence-') ? { user_id: userId, user_info: { name } } : undefined;
        callback(null, sdk.authorizeChannel(params.socketId, params.channelName, member));
      },
    },
  });
}

test('a wrong token is refused, by the page and by the API', async (t) => {
  const page = await openPage(t);
  await page.getByTestId('token').waitFor({ state: 'visible' });
  await logIn(page, 'not-the-console-token');
  const error = page.locator('#login-error');
  await error.waitFor({ state: 'visible' });
  assert.equal(await error.textContent(), 'Wrong token.');
  assert.equal(await page.locator('#console-view').isVisible(), false);
  await screenshot(page, '1-wrong-token');

  const wrongBearer = await fetch(`${h.url}/console/api/apps`, { headers: { authorization: 'Bearer not-the-console-token' } });
  assert.equal(wrongBearer.status, 401);
  const noSession = await fetch(`${h.url}/console/api/apps/${APP.id}/stream`);
  assert.equal(noSession.status, 401);
  const forged = await fetch(`${h.url}/console/api/apps`, { headers: { cookie: `herald_console=${Date.now() + 60_000}.${'0'.repeat(64)}` } });
  assert.equal(forged.status, 401);
});

test('shows a pusher-js client connect and subscribe, and sends it an event from the event creator', async (t) => {
  const page = await openConsole(t);

  const client = h.client(t);
  const socketId = await connected(client);
  const orders = await subscribed(client, 'orders');

  await logRow(page, 'connection_opened', socketId, 'transport: ws').waitFor();
  await logRow(page, 'subscribed', socketId, 'orders').waitFor();
  await page.locator('#channels li[data-channel="orders"]', { hasText: '1 subscription' }).waitFor();
  await page.locator('[data-testid="stat-connections"]', { hasText: /^1$/ }).waitFor();

  // Invalid JSON is caught before anything is sent.
  await page.getByTestId('creator-channel').fill('orders');
  await page.getByTestId('creator-event').fill('order.created');
  await page.getByTestId('creator-data').fill('{"id": 7,');
  await page.getByTestId('creator-error').waitFor({ state: 'visible' });
  assert.match((await page.getByTestId('creator-error').textContent()) ?? '', /not valid JSON/);
  assert.equal(await page.getByTestId('creator-send').isDisabled(), true);
  await screenshot(page, '2-invalid-json');

  await page.getByTestId('creator-data').fill('{"id": 7, "total": "9.90"}');
  assert.equal(await page.getByTestId('creator-send').isEnabled(), true);
  const received = nextEvent<{ id: number; total: string }>(orders, 'order.created', 'the event sent from the console');
  await page.getByTestId('creator-send').click();
  assert.deepEqual(await received, { id: 7, total: '9.90' });

  await logRow(page, 'api_event', 'orders', 'order.created', '{"id":7,"total":"9.90"}').waitFor();
  await page.getByTestId('creator-result').filter({ hasText: 'Sent order.created to orders' }).waitFor();
  await page.locator('[data-testid="stat-messages"]', { hasText: /^[1-9]/ }).waitFor();
  await screenshot(page, '3-event-sent');

  client.disconnect();
  await logRow(page, 'connection_closed', socketId).waitFor();
  await page.locator('#channels li[data-channel="orders"]').waitFor({ state: 'detached' });
});

test('a presence member appears and disappears', async (t) => {
  const page = await openConsole(t);

  const alice = presenceClient(t, 'alice', 'Alice');
  const bob = presenceClient(t, 'bob', 'Bob');
  await subscribed(alice, 'presence-room');
  await subscribed(bob, 'presence-room');

  const room = page.locator('#channels li[data-channel="presence-room"]');
  await room.locator('[data-user-id="alice"]').waitFor();
  await room.locator('[data-user-id="bob"]').waitFor();
  await room.filter({ hasText: '2 members' }).waitFor();
  await logRow(page, 'member_added', 'presence-room', 'user: alice').waitFor();
  await screenshot(page, '4-presence-members');

  alice.disconnect();
  await room.locator('[data-user-id="alice"]').waitFor({ state: 'detached' });
  await logRow(page, 'member_removed', 'presence-room', 'user: alice').waitFor();
  assert.equal(await room.locator('[data-user-id="bob"]').count(), 1);
  await room.filter({ hasText: '1 member ·' }).waitFor();
});

test('shows client events and errors sent to clients, filters and pauses the log', async (t) => {
  const page = await openConsole(t);
  const sender = presenceClient(t, 'carol', 'Carol');
  const receiver = presenceClient(t, 'dave', 'Dave');
  const senderSocket = await connected(sender);
  const channel = await subscribed(sender, 'private-chat');
  const receiverChannel = await subscribed(receiver, 'private-chat');

  const got = nextEvent(receiverChannel, 'client-typing');
  channel.trigger('client-typing', { typing: true });
  await got;
  await logRow(page, 'client_event', 'private-chat', 'client-typing', senderSocket).waitFor();

  // A subscription the app did not authorize is refused, and the console shows the error sent.
  const stranger = h.client(t, {
    channelAuthorization: { customHandler: (params, callback) => callback(null, { auth: `${APP.key}:${'0'.repeat(64)}` }) },
  });
  const strangerSocket = await connected(stranger);
  stranger.subscribe('private-chat');
  await logRow(page, 'error_sent', strangerSocket, 'private-chat', '401').waitFor();

  // Filter by event name: only matching rows remain.
  await page.getByTestId('filter-event').fill('client-typing');
  await page.locator('#log tr').first().waitFor();
  const events = await page.locator('#log tr td:nth-child(4)').allTextContents();
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => e.includes('client-typing')), `rows other than client-typing shown: ${events.join(', ')}`);
  await page.getByTestId('filter-event').fill('');
  await page.getByTestId('filter-socket').fill(strangerSocket);
  await logRow(page, 'error_sent', strangerSocket).waitFor();
  assert.equal(await page.locator('#log tr').filter({ hasNotText: strangerSocket }).count(), 0);
  await page.getByTestId('filter-socket').fill('');

  // Paused, new entries wait and are counted; resumed, they appear.
  await page.getByTestId('pause').click();
  await withTimeout(h.sdk().trigger('private-chat', 'while-paused', { n: 1 }), 'trigger while paused');
  await page.getByTestId('pause').filter({ hasText: 'Resume (1 new)' }).waitFor();
  assert.equal(await page.locator('#log tr', { hasText: 'while-paused' }).count(), 0);
  await screenshot(page, '5-paused');
  await page.getByTestId('pause').click();
  await logRow(page, 'api_event', 'while-paused').waitFor();
});

test('shows one app at a time and never a secret', async (t) => {
  const page = await openConsole(t);
  const options = await page.getByTestId('app-select').locator('option').allTextContents();
  assert.deepEqual(options.sort(), [APP.id, OTHER_APP.id].sort());

  // The other app's event is published first; once this app's later one shows, the other would have too.
  await h.sdk({ appId: OTHER_APP.id, key: OTHER_APP.key, secret: OTHER_APP.secret }).trigger('news', 'other-app-event', {});
  await h.sdk().trigger('news', 'this-app-event', {});
  await logRow(page, 'api_event', 'this-app-event').waitFor();
  assert.equal(await page.locator('#log tr', { hasText: 'other-app-event' }).count(), 0);

  await page.getByTestId('app-select').selectOption(OTHER_APP.id);
  await page.locator('#app-key', { hasText: OTHER_APP.key }).waitFor();
  await page.locator('#live[data-state="live"]').waitFor({ state: 'attached' });
  await h.sdk({ appId: OTHER_APP.id, key: OTHER_APP.key, secret: OTHER_APP.secret }).trigger('news', 'other-app-event-2', {});
  await logRow(page, 'api_event', 'other-app-event-2').waitFor();
  assert.equal(await page.locator('#log tr', { hasText: 'this-app-event' }).count(), 0);

  const html = await page.content();
  for (const secret of [APP.secret, OTHER_APP.secret, TOKEN]) assert.ok(!html.includes(secret), `the page shows ${secret}`);
  const apps = await page.evaluate(async () => (await fetch('/console/api/apps')).text());
  for (const secret of [APP.secret, OTHER_APP.secret]) assert.ok(!apps.includes(secret), `the apps API shows ${secret}`);
});

test('a populated console, for the README', async (t) => {
  const page = await openConsole(t);
  const clients = [presenceClient(t, 'alice', 'Alice'), presenceClient(t, 'bob', 'Bob'), presenceClient(t, 'carol', 'Carol')];
  for (const c of clients) {
    await subscribed(c, 'orders');
    await subscribed(c, 'presence-support');
  }
  await subscribed(clients[0]!, 'private-user-alice');
  const sdk = h.sdk();
  for (let i = 1; i <= 3; i++) await sdk.trigger('orders', 'order.created', { id: 40 + i, total: `${i * 10}.00` });
  await page.getByTestId('creator-channel').fill('orders');
  await page.getByTestId('creator-event').fill('order.shipped');
  await page.getByTestId('creator-data').fill('{"id": 41, "carrier": "DHL"}');
  await page.getByTestId('creator-send').click();
  await logRow(page, 'api_event', 'order.shipped').waitFor();
  await page.locator('#channels li[data-channel="presence-support"]', { hasText: '3 members' }).waitFor();
  await page.locator('[data-testid="stat-connections"]', { hasText: /^3$/ }).waitFor();
  await page.locator('[data-testid="stat-messages"]', { hasText: /^[1-9]/ }).waitFor();
  await screenshot(page, '6-overview');
});
