// Laravel Echo over pusher-js, pointed at Herald: the same setup as a Laravel
// app's resources/js/echo.js, with the host and port from the back end.
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { api } from './api.js';

export type AppEcho = Echo<'pusher'>;

interface ClientConfig {
  readonly key: string;
  readonly wsHost: string | null;
  readonly wsPort: number;
}

export async function connectEcho(options: { bearerToken?: string } = {}): Promise<AppEcho> {
  const config = await api<ClientConfig>('/api/config');
  return new Echo({
    broadcaster: 'pusher',
    Pusher,
    key: config.key,
    cluster: 'mt1', // required by pusher-js, unused once wsHost is set
    wsHost: config.wsHost ?? location.hostname,
    wsPort: config.wsPort,
    wssPort: config.wsPort,
    forceTLS: location.protocol === 'https:',
    enabledTransports: ['ws', 'wss'],
    enableStats: false,
    authEndpoint: '/broadcasting/auth',
    ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
  });
}

/** Joins the site-wide presence channel the admin monitor counts "online now" from. */
export function joinOnline(echo: AppEcho): void {
  echo.join('online');
}

/**
 * Keeps a connection pill up to date: green once connected and every channel
 * the page subscribed to has had its answer, so that what is published from
 * then on shows. Connected alone is not enough: pusher-js subscribes only
 * after it is connected, and an event published before Herald confirmed a
 * subscription does not reach it.
 */
export function showConnection(echo: AppEcho, pill: HTMLElement, labels: { on: string; off: string } = { on: 'Live', off: 'Offline' }): void {
  const pusher = echo.connector.pusher;
  const watched = new WeakSet<object>();
  const render = () => {
    const channels = pusher.allChannels();
    // A subscription refused by the app's auth endpoint sends no frame: its error is heard on the channel.
    for (const channel of channels) {
      if (watched.has(channel)) continue;
      watched.add(channel);
      channel.bind('pusher:subscription_error', render);
    }
    const on = pusher.connection.state === 'connected' && channels.every((channel) => !channel.subscriptionPending);
    pill.textContent = on ? labels.on : labels.off;
    pill.dataset.state = on ? 'on' : 'off';
  };
  // pusher-js subscribes in the same turn as it reports the new state, after it: look once it has.
  echo.connector.onConnectionChange(() => setTimeout(render));
  // Every answer to a subscription arrives as a message, handled by pusher-js before this listener.
  pusher.connection.bind('message', render);
}
