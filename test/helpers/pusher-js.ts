// pusher-js ships CommonJS whose typings declare an ES default export; under
// NodeNext the default import is the class itself at runtime. This module
// gives tests the class with its real types.
import PusherJSModule from 'pusher-js';
import type { Options } from 'pusher-js';
import type * as PusherModule from 'pusher-js/types/src/core/pusher.js';

export type PusherJS = PusherModule.default;
export type PusherJSOptions = Options;
export const PusherJS = PusherJSModule as unknown as new (key: string, options: Options) => PusherJS;
