// pusher-js's browser build in a real headless Chromium (Debian's, driven by
// playwright-core) reaching Herald over its HTTP fallback transports. The
// page is served from another origin than Herald, as an app's page would be,
// so the cross-origin requests (and their preflights) are real too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { after, before, test, type TestContext } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { uniq } from '../helpers/ids.js';
// page.evaluate waits as long as the page's promise does; every wait on the page is bounded with this.
import { sleep, waitFor, withTimeout } from '../helpers/wait.js';

/** Bound on every wait for the page. */
const PAGE_WAIT_MS = 10_000;
/** pusher-js waits 5 s on a WebSocket that cannot work before it tries HTTP; give the fallback room. */
const FALLBACK_WAIT_MS = 20_000;

const PUSHER_JS_BROWSER_BUILD = readFileSync(createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.js'), 'utf8');

/** The app's page: pusher-js from its browser build, and a hook to start a client. */
function pageHtml(withoutWebSocket: boolean): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>fallback</title>
${withoutWebSocket ? '<script>delete window.WebSocket; window.WebSocket = undefined;</script>' : ''}
<script src="/pusher.js"></script>
<script>
  window.received = [];
  window.startClient = function (options, channelName) {
    return new Promise(function (resolve, reject) {
      var pusher = new Pusher(options.key, options.settings);
      window.pusher = pusher;
      var channel = pusher.subscribe(channelName);
      channel.bind('pusher:subscription_succeeded', function () {
        resolve(pusher.connection.socket_id);
      });
      channel.bind('pusher:subscription_error', function (e) { reject(new Error(JSON.stringify(e))); });
      channel.bind('news', function (data) { window.received.push(data); });
    });
  };
</script></head><body>fallback test page</body></html>`;
}

/** What the page's script puts on its window (the functions run in the page, where globalThis is the window). */
interface PageGlobals {
  startClient(options: { key: string; settings: unknown }, channelName: string): Promise<string>;
  received: unknown[];
  pusher: { disconnect(): void };
}

let h: RunningHerald;
let site: Server;
let siteUrl: string;
let browser: Browser;

before(async () => {
  h = await startHerald();
  site = createServer((req, res) => {
    if (req.url === '/pusher.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end(PUSHER_JS_BROWSER_BUILD);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pageHtml(req.url === '/no-websocket'));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  site?.closeAllConnections();
  await h?.close();
});

async function openPage(t: TestContext, path: string): Promise<Page> {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  await page.goto(`${siteUrl}${path}`);
  return page;
}

function clientSettings(enabledTransports?: string[]): Record<string, unknown> {
  return {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: h.port,
    httpHost: '127.0.0.1',
    httpPort: h.port,
    forceTLS: false,
    enableStats: false,
    ...(enabledTransports ? { enabledTransports } : {}),
  };
}

/** Starts the page's client, triggers an event with the SDK and waits for the page to receive it. */
async function receivesTriggeredEvent(page: Page, settings: Record<string, unknown>, connectWaitMs: number): Promise<string> {
  const channel = uniq('news');
  const socketId = await page.evaluate(
    ([key, options, name]) => (globalThis as unknown as PageGlobals).startClient({ key, settings: options }, name),
    [APP.key, settings, channel] as const,
  );
  assert.match(socketId, /^\d+\.\d+$/);
  await h.sdk().trigger(channel, 'news', { headline: 'fallback works' });
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).received.length > 0, undefined, { timeout: connectWaitMs });
  const received = await page.evaluate(() => (globalThis as unknown as PageGlobals).received);
  assert.deepEqual(received, [{ headline: 'fallback works' }]);
  return socketId;
}

for (const transport of ['xhr_streaming', 'xhr_polling']) {
  test(`a page limited to ${transport} receives a triggered event`, async (t) => {
    const page = await openPage(t, '/');
    const socketId = await withTimeout(receivesTriggeredEvent(page, clientSettings([transport]), PAGE_WAIT_MS), `the page's ${transport} client`, PAGE_WAIT_MS);
    assert.equal(h.herald.connections.get(socketId)?.transportKind, transport);
  });
}

test('a page whose browser has no WebSocket falls back by itself and receives a triggered event', async (t) => {
  const page = await openPage(t, '/no-websocket');
  const socketId = await withTimeout(receivesTriggeredEvent(page, clientSettings(), FALLBACK_WAIT_MS), 'the page to fall back to HTTP', FALLBACK_WAIT_MS);
  const carrier = h.herald.connections.get(socketId)?.transportKind;
  assert.ok(carrier === 'xhr_streaming' || carrier === 'xhr_polling', `carried by ${carrier}`);
});

for (const transport of ['xhr_streaming', 'xhr_polling']) {
  for (const leaving of ['disconnect()', 'the tab closing'] as const) {
    test(`a page's ${transport} client is gone within 5 s of ${leaving}, not after the 10 s session timeout`, async (t) => {
      const page = await openPage(t, '/');
      const socketId = await withTimeout(receivesTriggeredEvent(page, clientSettings([transport]), PAGE_WAIT_MS), `the page's ${transport} client`, PAGE_WAIT_MS);
      // Not at the very moment the server answers a poll, which the client then never reads (see the README).
      await sleep(300);
      const leftAt = Date.now();
      if (leaving === 'disconnect()') await page.evaluate(() => (globalThis as unknown as PageGlobals).pusher.disconnect());
      else await page.close();
      await waitFor(() => h.herald.connections.get(socketId) === undefined, `the server to see the ${transport} client gone`, 5000);
      assert.ok(Date.now() - leftAt < 5000);
    });
  }
}
