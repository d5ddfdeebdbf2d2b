import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { ChannelName, SocketId } from './types.js';

export function hmacSha256Hex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export function md5Hex(body: string | Buffer): string {
  // One-shot: no Hash object per request on the HTTP API's hot path.
  return hash('md5', body, 'hex');
}

/** Constant-time string comparison; unequal lengths are unequal without leaking where. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    // Compare anyway so the time taken does not depend on where they differ.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** The string an app signs to authorize a private or presence subscription. */
export function channelAuthMessage(socketId: SocketId, channel: ChannelName, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** The string an app signs to authenticate a user (`pusher:signin`). */
export function userAuthMessage(socketId: SocketId, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/**
 * Checks an `auth` token of the form `key:hex-signature` against the message
 * the app should have signed. Returns why it fails, or null.
 */
export function authTokenProblem(
  token: unknown,
  app: { key: string; secret: string },
  message: string,
): string | null {
  if (typeof token !== 'string' || token.length === 0) return 'no auth token was given';
  const colon = token.indexOf(':');
  if (colon < 0) return "auth token must have the form 'key:signature'";
  const key = token.slice(0, colon);
  const signature = token.slice(colon + 1);
  if (!safeEqual(key, app.key)) return 'auth token was signed for another app key';
  if (!safeEqual(signature, hmacSha256Hex(app.secret, message))) {
    return 'invalid signature: the token was not signed with this app secret for this socket id and channel';
  }
  return null;
}
