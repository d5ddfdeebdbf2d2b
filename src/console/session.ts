import type { IncomingMessage } from 'node:http';
import { hmacSha256Hex, safeEqual } from '../protocol/signatures.js';

export const SESSION_COOKIE = 'herald_console';
/** How long a console login lasts before the token must be given again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Console sessions are stateless: the cookie carries its expiry and an HMAC
 * of it keyed by the console token. Every node sharing the token accepts it
 * (so a load balancer may send the page's requests anywhere), and changing
 * the token ends every session at once.
 */
export class ConsoleSessions {
  constructor(private readonly token: string) {}

  /** Whether `given` is the console token, compared in constant time. */
  tokenMatches(given: unknown): boolean {
    return typeof given === 'string' && safeEqual(given, this.token);
  }

  issue(now = Date.now()): { value: string; maxAgeSeconds: number } {
    const expiresAt = now + SESSION_TTL_MS;
    return { value: `${expiresAt}.${this.sign(expiresAt)}`, maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000) };
  }

  /** True for a live session cookie, or an `Authorization: Bearer <token>` header (scripts, curl). */
  authenticated(req: IncomingMessage, now = Date.now()): boolean {
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Bearer ')) return this.tokenMatches(authorization.slice('Bearer '.length));
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && this.sessionValid(cookie, now);
  }

  sessionValid(value: string, now = Date.now()): boolean {
    const dot = value.indexOf('.');
    if (dot < 0) return false;
    const expiresAt = Number(value.slice(0, dot));
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now || expiresAt > now + SESSION_TTL_MS) return false;
    return safeEqual(value.slice(dot + 1), this.sign(expiresAt));
  }

  private sign(expiresAt: number): string {
    return hmacSha256Hex(this.token, `herald-console-session:${expiresAt}`);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The cookie is only sent back to the console's own paths and never to scripts or other sites. */
export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}
