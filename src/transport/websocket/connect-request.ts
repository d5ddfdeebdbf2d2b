// What both WebSocket paths tell the gateway about a client that asks to
// connect, read from the upgrade request's target and headers alike.
import type { ConnectRequest } from '../../connection/transport.js';
import { splitTarget } from '../../protocol/request-target.js';

const APP_PATH = /^\/app\/([^/?]+)\/?$/;

export function connectRequest(target: string, origin: string | undefined): ConnectRequest {
  const { pathname, query } = splitTarget(target);
  const encodedKey = APP_PATH.exec(pathname)?.[1];
  let appKey: string | null = null;
  if (encodedKey !== undefined) {
    try {
      appKey = decodeURIComponent(encodedKey);
    } catch {
      appKey = encodedKey;
    }
  }
  return { appKey, query, origin };
}
