// The examples/ demo app for browser tests: a real Herald in process, the demo
// back end pointed at it (both on free ports), and headless Chromium (test/helpers/browser.ts) driven by
// playwright-core, one browser context per user.
import { mkdirSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { createDemoBackend, type DemoBackend } from '../../examples/backend/app.js';
import { historyRules } from '../../examples/backend/events.js';
import { REDIS_URL } from './cluster.js';
import { APP, startHerald, type RunningHerald } from './herald.js';
import { TcpRelay } from './tcp-relay.js';

/** Bound on every wait for a page to show something. */
export const UI_WAIT_MS = 10_000;
export const ARTIFACTS = new URL('../../artifacts/examples/', import.meta.url);

export interface ExampleStack {
  /** The running Herald; replaced by restartHerald(). */
  herald: RunningHerald | null;
  readonly heraldPort: number;
  readonly backend: DemoBackend;
  readonly url: string;
  readonly browser: Browser;
  stopHerald(): Promise<void>;
  /** Starts Herald again on the same port, as after a deploy or a crash. */
  restartHerald(): Promise<void>;
  /** Drops the browsers' connections to Herald and refuses new ones (Herald and the back end keep running). */
  cutNetwork(): void;
  restoreNetwork(): void;
  close(): Promise<void>;
}

/** The demo's app as `npm run example` configures it: history for the order board and the print agent. */
const exampleApp = () => ({ ...APP, clientEvents: true, userAuthentication: true, history: [...historyRules] });

/** `redisPrefix`: Herald on the Redis adapter (its history in Redis streams, surviving a restart) under that key prefix. */
export async function startExampleStack(options: { redisPrefix?: string } = {}): Promise<ExampleStack> {
  const adapter = options.redisPrefix === undefined ? {} : { adapter: 'redis' as const, redisUrl: REDIS_URL, redisPrefix: options.redisPrefix };
  const first = await startHerald({ apps: [exampleApp()], overrides: adapter });
  const heraldPort = first.port;
  // Browsers reach Herald through a relay the test can cut, as a Wi-Fi drop would; the back end reaches it directly.
  const relay = new TcpRelay(heraldPort);
  const backend = createDemoBackend({
    herald: { appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: heraldPort },
    publicHeraldPort: await relay.listen(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
  });
  const port = await backend.listen();
  const browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  const stack: ExampleStack = {
    herald: first,
    heraldPort,
    backend,
    url: `http://127.0.0.1:${port}`,
    browser,
    stopHerald: async () => {
      await stack.herald?.close();
      stack.herald = null;
    },
    restartHerald: async () => {
      stack.herald = await startHerald({ apps: [exampleApp()], overrides: { ...adapter, port: heraldPort } });
    },
    cutNetwork: () => relay.cut(),
    restoreNetwork: () => relay.restore(),
    close: async () => {
      await browser.close();
      await relay.close();
      await backend.close();
      await stack.herald?.close();
    },
  };
  return stack;
}

export interface UserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors in the page; a test expects none. */
  readonly errors: string[];
}

/** A fresh browser context (its own cookies) logged in as `username` (none: not logged in), on `path`. */
export async function openAs(
  stack: ExampleStack,
  t: TestContext,
  username: string | null,
  path: string,
  options: { permissions?: string[]; initScript?: string } = {},
): Promise<UserPage> {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 820 }, baseURL: stack.url, permissions: options.permissions ?? [] });
  t.after(() => context.close());
  if (options.initScript !== undefined) await context.addInitScript(options.initScript);
  if (username !== null) {
    const response = await context.request.post('/api/login', { data: { username } });
    if (!response.ok()) throw new Error(`could not log in as ${username}: ${response.status()}`);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(path);
  return { context, page, errors };
}

/** What /broadcasting/auth answers this page's user for a channel (the socket id is only signed, never checked by the back end). */
export async function authStatus(page: Page, channelName: string): Promise<number> {
  return page.evaluate(async (channel) => {
    const response = await fetch('/broadcasting/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ socket_id: '123.456', channel_name: channel }).toString(),
    });
    return response.status;
  }, channelName);
}

/** Waits for the page's connection pill (data-testid `testId`) to read `text`. */
export async function waitForPill(page: Page, text: string, testId = 'live', timeout = UI_WAIT_MS): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: text }).waitFor({ timeout });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

/** A JSON API call as `token`'s user (Bearer), the way the vendor app and the print agent call. */
export async function apiAs<T>(stack: ExampleStack, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export async function tokenFor(stack: ExampleStack, username: string): Promise<string> {
  const response = await fetch(`${stack.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) });
  if (!response.ok) throw new Error(`no token for ${username}: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
