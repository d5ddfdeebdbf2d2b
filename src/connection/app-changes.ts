import type { AppChange } from '../apps/cached-app-store.js';
import { SocketError } from '../protocol/errors.js';
import type { ConnectionRegistry } from './connection-registry.js';

/**
 * An app changed in its store while clients are connected: they follow the
 * new settings (a rotated secret signs their next subscriptions, new limits
 * apply), and when the app was disabled or removed they are closed with the
 * code a new connection would get, which tells pusher-js not to reconnect.
 */
export function applyAppChange(connections: ConnectionRegistry, { previous, current }: AppChange): number {
  const affected = [...connections.all()].filter((conn) => conn.app.id === previous.id);
  for (const conn of affected) {
    if (!current) conn.sendError(new SocketError('appNotFound', `App ${previous.id} was removed`));
    else if (!current.enabled) conn.sendError(new SocketError('appDisabled', 'Application disabled'));
    else conn.appChanged(current);
  }
  return affected.length;
}
