import type { IncomingMessage } from 'node:http';
import { TrustedProxies } from '../http/client-address.js';
import { FailedLogins } from '../http/failed-logins.js';
import { TokenGuard, type SharedFailures } from '../http/token-guard.js';
import { hmacSha256Hex, safeEqual } from '../protocol/signatures.js';

export const SESSION_COOKIE = 'herald_console';
/** How long a console login lasts before the token must be given again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Console sessions are stateless: the cookie carries its expiry and an HMAC
 * of it keyed by the console token. Every node sharing the token accepts it
 * (so a load balancer may send the page's requests anywhere), and changing
 * the token ends every session at once.
 *
 * Every token a client presents (the login, a bearer header on the console
 * or /stats) spends the budget of its address when wrong (`TokenGuard`; the
 * address is the forwarded one when the request came through a trusted
 * proxy). Sessions already issued keep working while an address is locked out.
 */
export class ConsoleSessions {
  private readonly guard: TokenGuard;

  constructor(
    private readonly token: string,
    private readonly addresses = new TrustedProxies(),
    failures = new FailedLogins(),
    /** The other nodes, which share each address's budget; none on one node. */
    cluster?: SharedFailures,
  ) {
    this.guard = new TokenGuard(token, 'console', addresses, failures, cluster);
  }

  /** The address of the request's client: the forwarded one behind a trusted proxy. */
  clientAddress(req: IncomingMessage): string | undefined {
    return this.addresses.of(req);
  }

  /** Whether `given` is the console token, compared in constant time. */
  tokenMatches(given: unknown): boolean {
    return this.guard.matches(given);
  }

  /**
   * Whether `given`, presented by this request's client, is the console token;
   * throws 429 (with when to retry) while the client's address is over its budget.
   */
  checkToken(given: unknown, req: IncomingMessage, now = Date.now()): boolean {
    return this.guard.check(given, req, now);
  }

  issue(now = Date.now()): { value: string; maxAgeSeconds: number } {
    const expiresAt = now + SESSION_TTL_MS;
    return { value: `${expiresAt}.${this.sign(expiresAt)}`, maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000) };
  }

  /**
   * True for a live session cookie, or an `Authorization: Bearer <token>`
   * header (scripts, curl), which is checked like a login (see `checkToken`).
   */
  authenticated(req: IncomingMessage, now = Date.now()): boolean {
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Bearer ')) return this.checkToken(authorization.slice('Bearer '.length), req, now);
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
