// The parts of pusher-js (and of a laravel-echo Echo around it) this module
// touches, described by their shape so that it needs neither package at run
// time nor at type-check time: any pusher-js 7 or 8 fits.

/** pusher-js's EventsDispatcher: what the connection manager and a transport are. */
export interface Dispatcher {
  bind(event: string, callback: (payload: never) => void): unknown;
  unbind(event?: string, callback?: (payload: never) => void): unknown;
}

/** pusher.connection: the ConnectionManager; `connection` is the live Connection, null between connections. */
export interface ConnectionManagerShape extends Dispatcher {
  readonly state: string;
  readonly connection: { readonly transport: Dispatcher | null } | null;
}

export interface PusherShape {
  readonly connection: ConnectionManagerShape;
  send_event(event: string, data: unknown, channel?: string): boolean;
  allChannels(): ReadonlyArray<{ readonly name: string }>;
}

/** A laravel-echo Echo using the pusher broadcaster. */
export interface EchoShape {
  readonly connector: { readonly pusher: PusherShape };
}

export function pusherOf(client: PusherShape | EchoShape): PusherShape {
  if ('connector' in client && client.connector && typeof client.connector === 'object' && 'pusher' in client.connector) return client.connector.pusher;
  if ('connection' in client && 'send_event' in client) return client;
  throw new TypeError('attachRecovery needs a pusher-js Pusher or a laravel-echo Echo using the pusher broadcaster');
}
