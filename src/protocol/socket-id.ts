import { randomInt } from 'node:crypto';
import type { SocketId } from './types.js';

/**
 * A new socket id in Pusher's `\d+\.\d+` form. Random rather than sequential:
 * a socket id is sent with `socket_id` exclusions and auth requests, and
 * should not let anyone guess another client's id.
 */
export function newSocketId(): SocketId {
  return `${randomInt(1, 2 ** 31 - 1)}.${randomInt(1, 2 ** 47)}`;
}

export const SOCKET_ID_PATTERN = /^\d+\.\d+$/;
