import { randomFillSync } from 'node:crypto';
import type { SocketId } from './types.js';

/**
 * Random bytes drawn from the system's CSPRNG a few kilobytes at a time:
 * one socket id is made per connection, and asking the generator for each
 * of its two numbers would cost more than the rest of the id.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomWords(): number {
  if (used + 12 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += 12;
  return at;
}

/**
 * A new socket id in Pusher's `\d+\.\d+` form: a 31-bit and a 47-bit random
 * number, neither zero. Random rather than sequential: a socket id is sent
 * with `socket_id` exclusions and auth requests, and should not let anyone
 * guess another client's id.
 */
export function newSocketId(): SocketId {
  const at = randomWords();
  const first = (pool.readUInt32BE(at) & 0x7fffffff) || 1;
  const second = (pool.readUInt32BE(at + 4) & 0x7fff) * 2 ** 32 + pool.readUInt32BE(at + 8) || 1;
  return `${first}.${second}`;
}

export const SOCKET_ID_PATTERN = /^\d+\.\d+$/;
