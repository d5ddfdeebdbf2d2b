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

/** Keeps a connection pill up to date: green while connected. */
export function showConnection(echo: AppEcho, pill: HTMLElement, labels: { on: string; off: string } = { on: 'Live', off: 'Offline' }): void {
  const render = (status: string) => {
    const on = status === 'connected';
    pill.textContent = on ? labels.on : labels.off;
    pill.dataset.state = on ? 'on' : 'off';
  };
  echo.connector.onConnectionChange(render);
}
