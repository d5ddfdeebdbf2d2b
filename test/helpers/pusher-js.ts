// pusher-js ships CommonJS whose typings declare an ES default export; under
// NodeNext the default import is the class itself at runtime. This module
// gives tests the class with its real types.
import type { TestContext } from 'node:test';
import PusherJSModule from 'pusher-js';
import type { Options } from 'pusher-js';
import type * as PusherModule from 'pusher-js/types/src/core/pusher.js';

export type PusherJS = PusherModule.default;
export type PusherJSOptions = Options;
export const PusherJS = PusherJSModule as unknown as new (key: string, options: Options) => PusherJS;

/** pusher-js options that point the Node build at a Herald on this machine, WebSocket only. */
export function localOptions(port: number): Options {
  return {
    cluster: 'mt1', // required by pusher-js; unused once wsHost is set
    wsHost: '127.0.0.1',
    wsPort: port,
    wssPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    enableStats: false,
  };
}

/** A pusher-js client of the Herald on `port` (as `localOptions`, then `options`), disconnected when the test ends. */
export function localClient(t: TestContext | null, key: string, port: number, options: Partial<Options> = {}): PusherJS {
  const client = new PusherJS(key, { ...localOptions(port), ...options });
  t?.after(() => client.disconnect());
  return client;
}
