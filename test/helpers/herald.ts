// Starts a real Herald in this process on a free port, and real clients
// (pusher-js Node build, the pusher SDK) pointed at it.
import type { TestContext } from 'node:test';
import type Pusher from 'pusher';
import { loadSettings, type SettingsInput } from '../../src/config/settings.js';
import { createHerald, type Herald, type HeraldOptions } from '../../src/server.js';
import { localClient, type PusherJS, type PusherJSOptions } from './pusher-js.js';
import { frameData, rawSocket, type RawSocket } from './raw-socket.js';
import { sdkClient } from './sdk.js';
import { withTimeout } from './wait.js';

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
  options: { apps?: AppInput[]; overrides?: SettingsInput['overrides']; logger?: HeraldOptions['logger'] } = {},
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
  const herald = createHerald(settings, options.logger ? { logger: options.logger } : {});
  const port = await herald.listen();
  const firstApp = settings.apps[0]!;
  const running: RunningHerald = {
    herald,
    port,
    url: `http://127.0.0.1:${port}`,
    sdk: (overrides = {}) => sdkClient(port, firstApp, overrides),
    client: (t, clientOptions = {}, key = firstApp.key) => localClient(t, key, port, clientOptions),
    close: () => herald.close(),
  };
  return running;
}

/** A raw socket (see raw-socket.ts) to this Herald, once the server has given it its socket id. */
export async function establishedRawSocket(
  h: RunningHerald,
  t: TestContext | null,
  key: string = APP.key,
): Promise<RawSocket & { readonly socketId: string }> {
  const socket = rawSocket(h.port, t, { key });
  const established = await socket.nextEvent('pusher:connection_established');
  return Object.assign(socket, { socketId: frameData<{ socket_id: string }>(established).socket_id });
}

/**
 * Resolves once the server has finished cleaning up after a connection
 * (channels left, members removed, user signed out). Call it before the
 * connection goes away.
 */
export function serverClosed(h: RunningHerald, socketId: string): Promise<void> {
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    stop = h.herald.activity.on('connection_closed', (e) => {
      if (e.socketId === socketId) resolve();
    });
  });
  return withTimeout(done, `the server to clean up after ${socketId}`).finally(() => stop());
}

export interface SignedClientOptions {
  /** Signs channel authorizations and sign-ins; the app's own SDK client by default. */
  readonly sdk?: Pusher;
  /** channel_data for presence channels. */
  readonly presence?: Pusher.PresenceChannelData;
  /** user_data for `signin()`. */
  readonly user?: Pusher.UserChannelData;
  readonly key?: string;
}

/**
 * A pusher-js client whose channel authorization and user authentication are
 * answered in process by the `pusher` SDK, as an app's auth endpoint would.
 */
export function signedClient(h: RunningHerald, t: TestContext | null, opts: SignedClientOptions = {}): PusherJS {
  return h.client(t, sdkAuthOptions(opts.sdk ?? h.sdk(), opts), opts.key);
}

/**
 * pusher-js options whose channel authorization and user authentication are
 * answered in process by the `pusher` SDK, as an app's auth endpoint would:
 * `presence` is the channel_data for presence channels, `user` the user_data
 * for `signin()`.
 */
export function sdkAuthOptions(
  sdk: Pusher,
  auth: { readonly presence?: Pusher.PresenceChannelData; readonly user?: Pusher.UserChannelData },
): Pick<PusherJSOptions, 'channelAuthorization' | 'userAuthentication'> {
  return {
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          const presence = channelName.startsWith('presence-') ? auth.presence : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, presence));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
    userAuthentication: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId }, callback) => {
        try {
          if (!auth.user) throw new Error('this client has no user to sign in as');
          callback(null, sdk.authenticateUser(socketId, auth.user));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
  };
}
