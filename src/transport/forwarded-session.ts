// An HTTP fallback session lives on the node (or worker) whose request opened
// it. Its later requests may reach any node: a round-robin balancer, or the
// kernel spreading `--workers` connections. This module carries such a
// request to the session's holder through the adapter and its answer back:
// a post's 204, a poll's frames, or a stream written as it comes, with the
// client leaving told to the holder as if its own client had left.
import type { ServerResponse } from 'node:http';
import type { ForwardedRequest, RequestForwarding } from '../adapter/forwarding.js';
import type { Logger } from '../logging/logger.js';
import { HttpError } from '../protocol/errors.js';
import { parseSessionRoute, type SessionRoute } from './http-session-protocol.js';

/** The name under which a node serves the session requests other nodes forward to it. */
export const HTTP_SESSION_SERVICE = 'http-session';

/** A request of a session wherever it arrived: what the session's checks and its handling need. */
export interface SessionRequest {
  readonly route: SessionRoute;
  /** Path and query, as the client sent them (`n`, the query of the opening request). */
  readonly url: string;
  readonly origin: string | undefined;
  /** The client's address (through trusted proxies), for its per-address limits. */
  readonly address: string | undefined;
  /** An `xhr_send`'s body, bounded; rejects with an HttpError. */
  body(): Promise<Buffer>;
  /** The body will not be read. */
  discard(): void;
  /**
   * Passes it on to the node holding its session, and answers with what
   * that node says; null for a request another node passed on here, which is
   * served here or refused, never passed on again.
   */
  readonly passOn: ((holder: string) => Promise<void>) | null;
}

/** The record of which node holds a session: one per session, whatever its app. */
export const holderKey = (sessionKey: string) => `http:${sessionKey}`;

/** What a forwarded request says of itself, in its `head`. */
interface ForwardedHead {
  readonly url: string;
  readonly origin: string | null;
  readonly address: string | null;
  /** The forwarding node refused the body as too large: the holder tells the session, as for its own clients. */
  readonly tooLarge: boolean;
}

/** The request as the holder sees it; null when it is not one this service forwards. */
export function forwardedSessionRequest(request: ForwardedRequest): SessionRequest | null {
  const head = request.head as Partial<ForwardedHead>;
  if (typeof head.url !== 'string' || typeof head.tooLarge !== 'boolean') return null;
  const query = head.url.indexOf('?');
  const route = parseSessionRoute(query === -1 ? head.url : head.url.slice(0, query));
  if (!route) return null;
  const tooLarge = head.tooLarge;
  return {
    route,
    url: head.url,
    origin: typeof head.origin === 'string' ? head.origin : undefined,
    address: typeof head.address === 'string' ? head.address : undefined,
    passOn: null,
    body: async () => {
      if (tooLarge) throw new HttpError('payloadTooLarge', 'Request body is too large');
      return Buffer.from(request.body, 'utf8');
    },
    discard: () => {},
  };
}

/**
 * Passes `request` to `holder` and writes its answer to `res` as it comes.
 * The body of a post is read here first (within the same bound as the
 * holder's own clients have), so the holder gets it whole.
 */
export async function forwardToHolder(
  forwarding: RequestForwarding,
  holder: string,
  request: SessionRequest,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  let body = '';
  let tooLarge = false;
  if (request.route.action === 'xhr_send') {
    try {
      body = (await request.body()).toString('utf8');
    } catch (err) {
      if (!(err instanceof HttpError) || err.kind !== 'payloadTooLarge') throw err;
      tooLarge = true;
    }
  } else {
    request.discard();
  }
  if (res.destroyed) return;
  const head: ForwardedHead = { url: request.url, origin: request.origin ?? null, address: request.address ?? null, tooLarge };
  const exchange = forwarding.forward(
    holder,
    { service: HTTP_SESSION_SERVICE, head: { ...head }, body },
    {
      head: (status, headers) => {
        if (!res.headersSent) res.writeHead(status, headers);
      },
      data: (text, written) => {
        // The holder's window waits for this client's socket, so a slow client slows its holder, not this node's memory.
        if (res.write(text)) written();
        else res.once('drain', written);
      },
      end: () => res.end(),
      failed: (why) => {
        log.debug({ why, action: request.route.action }, 'could not reach the node holding an HTTP session');
        if (!res.headersSent) {
          // pusher-js takes a failed request as its session lost, and connects again: a new session, on any node.
          const text = JSON.stringify({ error: 'The node holding this session cannot be reached: reconnect to open a new one' });
          res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } else {
          // Cut rather than ended, so that the client sees the request interrupted, not complete.
          res.destroy();
        }
      },
    },
  );
  // Closed before the holder ended it: the client left (it aborted its stream or its waiting poll).
  res.on('close', () => {
    if (!res.writableEnded) exchange.abort();
  });
}
