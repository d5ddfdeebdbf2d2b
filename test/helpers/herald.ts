// Starts a real Herald in this process on a free port, and real clients
// (pusher-js Node build, the pusher SDK) pointed at it.
import type { TestContext } from 'node:test';
import Pusher from 'pusher';
import { loadSettings, type SettingsInput } from '../../src/config/settings.js';
import { createHerald, type Herald } from '../../src/server.js';
import { PusherJS, type PusherJSOptions } from './pusher-js.js';

export const APP = { id: 'test-app', key: 'test-key', secret: 'test-secret' } as const;

export interface RunningHerald {
  readonly herald: Herald;
  readonly port: number;
  readonly url: string;
  /** A `pusher` SDK client for the app (or another app's credentials). */
  sdk(overrides?: Partial<Pusher.Options>): Pusher;
  /** A pusher-js client over WebSocket, disconnected when the test ends. */
  client(t: TestContext | null, options?: Partial<PusherJSOptions>, key?: string): PusherJS;
  close(): Promise<void>;
}

type AppInput = NonNullable<NonNullable<SettingsInput['overrides']>['apps']>[number];

/**
 * A Herald with one app (client events and user authentication on) unless
 * `apps` says otherwise. Closed after the test (or suite) when `t` is given.
 */
export async function startHerald(
  options: { apps?: AppInput[]; overrides?: SettingsInput['overrides'] } = {},
): Promise<RunningHerald> {
  const settings = loadSettings({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      apps: options.apps ?? [{ ...APP, clientEvents: true, userAuthentication: true }],
      ...options.overrides,
    },
  });
  const herald = createHerald(settings);
  const port = await herald.listen();
  const firstApp = settings.apps[0]!;
  const running: RunningHerald = {
    herald,
    port,
    url: `http://127.0.0.1:${port}`,
    sdk: (overrides = {}) =>
      new Pusher({
        appId: firstApp.id,
        key: firstApp.key,
        secret: firstApp.secret,
        host: '127.0.0.1',
        port: String(port),
        useTLS: false,
        ...overrides,
      }),
    client: (t, clientOptions = {}, key = firstApp.key) => {
      const c = new PusherJS(key, {
        cluster: 'mt1',
        wsHost: '127.0.0.1',
        wsPort: port,
        wssPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        enableStats: false,
        ...clientOptions,
      } as PusherJSOptions);
      t?.after(() => c.disconnect());
      return c;
    },
    close: () => herald.close(),
  };
  return running;
}
