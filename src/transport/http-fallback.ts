import type { IncomingMessage, ServerResponse } from 'node:http';
import { SINGLE_NODE, type ForwardedReply, type ForwardedRequest, type RequestForwarding } from '../adapter/forwarding.js';
import { readBody } from '../http/body.js';
import type { TrustedProxies } from '../http/client-address.js';
import { sendJson, type JsonAnswerTarget } from '../http/json.js';
import type { Gateway } from '../connection/gateway.js';
import { MAX_FRAMES_BEFORE_ADMISSION } from '../connection/transport.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import { CloseCodes, HttpError, SocketError, SocketErrors } from '../protocol/errors.js';
import { forwardedSessionRequest, forwardToHolder, holderKey, HTTP_SESSION_SERVICE, type SessionRequest } from './forwarded-session.js';
import { CLIENT_GONE_AFTER_MS, HttpSession, type HttpSessionLimits, type SessionEnd, type SessionResponse } from './http-session.js';
import { parseSendBody, parseSessionRoute, requestNumber, transportOf, type SessionRoute } from './http-session-protocol.js';

export interface HttpFallbackOptions extends HttpSessionLimits {
  /** Largest `xhr_send` body accepted (413 beyond). */
  readonly maxPostBytes: number;
  /** Whose X-Forwarded-For names a session's client (for its per-address limits); none when not given. */
  readonly trustedProxies?: TrustedProxies;
  /** How a request for a session held by another node (or worker) reaches it; none: every session is here. */
  readonly forwarding?: RequestForwarding;
}

/** What a session's answer is written to: this node's response, or the reply to a node that forwarded the request. */
type SessionAnswer = SessionResponse & JsonAnswerTarget & Pick<ForwardedReply, 'headersSent'>;

/** How long an ended session's close frame is kept for a client that comes back, and for how many sessions. */
const ENDED_SESSION_MEMORY_MS = 60_000;
const ENDED_SESSIONS_REMEMBERED = 10_000;

const RECEIVE_HEADERS = {
  'content-type': 'application/javascript; charset=UTF-8',
  'cache-control': 'no-store, no-cache, no-transform, must-revalidate, max-age=0',
  // Reverse proxies that buffer responses (nginx) would hold a stream back.
  'x-accel-buffering': 'no',
} as const;

/**
 * Serves pusher-js's HTTP fallback transports (`xhr_streaming`,
 * `xhr_polling`) under `{httpPath}/app/{key}/{server}/{session}/`. Each
 * session becomes a normal Connection through the gateway, so everything the
 * protocol does works the same as over a WebSocket; this module only moves
 * frames between HTTP requests and that connection.
 *
 * A session lives on the node whose request opened it. A request for a
 * session held by another node is forwarded there (forwarded-session.ts),
 * and this node serves the requests other nodes forward for its own.
 */
export class HttpFallbackTransportServer {
  private readonly sessions = new Map<string, HttpSession>();
  /** Sessions that ended: what a client still asking for one should read (its close frame). */
  private readonly endedSessions = new Map<string, { readonly lastWords: string; readonly at: number }>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly forwarding: RequestForwarding;

  constructor(
    private readonly gateway: Gateway,
    private readonly log: Logger,
    private readonly options: HttpFallbackOptions,
    private readonly activity?: DomainEvents,
  ) {
    this.forwarding = options.forwarding ?? SINGLE_NODE;
    this.forwarding.serve(HTTP_SESSION_SERVICE, (request, reply) => this.serveForwarded(request, reply));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Ended sessions whose close frame is still kept for a returning client (bounded in number and age). */
  get endedSessionCount(): number {
    return this.endedSessions.size;
  }

  /** Serves the request when it belongs to an HTTP session; false leaves it to the other routes. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    // Every session path ends in /xhr, /xhr_send or /xhr_streaming: other requests pass with one substring test.
    if (!url.includes('/xhr')) return false;
    const query = url.indexOf('?');
    const route = parseSessionRoute(query === -1 ? url : url.slice(0, query));
    if (!route) return false;
    allowCrossOrigin(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'OPTIONS, POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
        'access-control-max-age': '86400',
      });
      res.end();
      return true;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('allow', 'OPTIONS, POST');
      fail(res, new HttpError('methodNotAllowed', `${route.action} takes POST requests, not ${req.method ?? 'none'}`));
      return true;
    }
    const request: SessionRequest = {
      route,
      url,
      origin: req.headers.origin,
      address: this.options.trustedProxies?.of(req) ?? req.socket.remoteAddress,
      body: () => readBody(req, this.options.maxPostBytes),
      discard: () => req.resume(),
      passOn: (holder) => forwardToHolder(this.forwarding, holder, request, res, this.log),
    };
    const known = this.sessions.has(route.sessionKey) || this.endedSessions.has(route.sessionKey);
    const served = known || !this.forwarding.clustered ? this.serve(request, res) : this.serveWherever(request, res);
    served.catch((err: unknown) => {
      this.log.error({ err, action: route.action }, 'serving an HTTP session request failed');
      fail(res, new HttpError('internal', 'Internal server error'));
    });
    return true;
  }

  /** A request for a session this node does not know: served by the node holding it, or here when none does. */
  private async serveWherever(request: SessionRequest, res: ServerResponse): Promise<void> {
    const holder = await this.forwarding.holder(holderKey(request.route.sessionKey));
    if (holder === null || this.sessions.has(request.route.sessionKey) || !request.passOn) return this.serve(request, res);
    await request.passOn(holder);
  }

  /** Another node's request for a session this node holds (or held, or is to open). */
  private serveForwarded(forwarded: ForwardedRequest, reply: ForwardedReply): void {
    const request = forwardedSessionRequest(forwarded);
    if (!request) {
      fail(reply, new HttpError('badRequest', 'Not an HTTP session request'));
      return;
    }
    this.serve(request, reply).catch((err: unknown) => {
      this.log.error({ err, action: request.route.action }, 'serving a forwarded HTTP session request failed');
      fail(reply, new HttpError('internal', 'Internal server error'));
    });
  }

  private async serve(request: SessionRequest, res: SessionAnswer): Promise<void> {
    if (request.route.action === 'xhr_send') await this.receiveFrames(request, res);
    else await this.serveReceive(request, res);
  }

  startSweeping(): void {
    const { sessionTimeoutMs, heartbeatIntervalMs, maxStreamAgeMs } = this.options;
    const shortest = Math.min(sessionTimeoutMs, heartbeatIntervalMs, maxStreamAgeMs, CLIENT_GONE_AFTER_MS);
    const every = Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  /** Closes every session (telling clients to reconnect) and stops the timers. */
  close(): void {
    clearInterval(this.sweeper);
    const code = SocketErrors.serverShuttingDown.code;
    for (const session of [...this.sessions.values()]) {
      if (session.conn) session.conn.close(code, 'Server shutting down');
      else session.close(code, 'Server shutting down');
    }
  }

  /** One pass over every session's timers, then forgets ended sessions old enough. */
  sweep(now: number): void {
    for (const session of this.sessions.values()) session.tick(now);
    for (const [key, ended] of this.endedSessions) {
      if (now - ended.at < ENDED_SESSION_MEMORY_MS) break;
      this.endedSessions.delete(key);
    }
  }

  /** `xhr_streaming` or `xhr`: opens a session, or carries the frames of one that is open. */
  private async serveReceive(request: SessionRequest, res: SessionAnswer): Promise<void> {
    const { route, url } = request;
    request.discard();
    if (this.resumeHeld(request, res)) return;
    if (this.forwarding.clustered) {
      // The record comes first: the client learns of the session (the open frame) only once any node can find it.
      const holder = await this.forwarding.claim(holderKey(route.sessionKey));
      if (holder !== null) {
        if (request.passOn) await request.passOn(holder);
        else fail(res, new HttpError('unavailable', 'This session is held by another node: reconnect'));
        return;
      }
      // Opened here by another request of the same session while the record was written.
      if (this.resumeHeld(request, res)) return;
    }
    // An unknown session is a new one. A client that believed it open reads the open frame as
    // "server lost session" and reconnects.
    const kind = transportOf(route.action as 'xhr' | 'xhr_streaming');
    const fresh = new HttpSession(
      kind,
      request.address,
      request.origin,
      this.options,
      {
        received: (s, frames) => this.framesReceived(s, frames),
        ended: (s, why, lastWords) => this.sessionEnded(route.sessionKey, s, why, lastWords),
      },
      requestNumber(url),
    );
    this.sessions.set(route.sessionKey, fresh);
    res.writeHead(200, RECEIVE_HEADERS);
    fresh.open(res);
    void this.admit(fresh, route, url, request.origin);
  }

  /** Serves a receive request of a session this node holds, or held (its close frame); false when it knows none. */
  private resumeHeld(request: SessionRequest, res: SessionAnswer): boolean {
    const { route, url } = request;
    const session = this.sessions.get(route.sessionKey);
    if (session) {
      const kind = transportOf(route.action as 'xhr' | 'xhr_streaming');
      if (session.kind !== kind) {
        fail(res, new HttpError('badRequest', `This session uses ${session.kind}; open a new session for ${kind}`));
      } else if (session.origin !== request.origin) {
        fail(res, new HttpError('forbidden', 'This session was opened from another origin'));
      } else {
        res.writeHead(200, RECEIVE_HEADERS);
        session.resume(res, requestNumber(url));
      }
      return true;
    }
    const ended = this.endedSessions.get(route.sessionKey);
    if (ended) {
      // pusher-js reads the close frame (and any last messages) and reconnects as the code says.
      this.endedSessions.delete(route.sessionKey);
      res.writeHead(200, RECEIVE_HEADERS);
      res.end(ended.lastWords);
      return true;
    }
    return false;
  }

  private async admit(session: HttpSession, route: SessionRoute, url: string, origin: string | undefined): Promise<void> {
    const query = new URL(url, 'http://localhost').searchParams;
    const conn = await this.gateway.open(session, { appKey: route.appKey, query, origin }).catch((err: unknown) => {
      this.log.error({ err }, 'accepting an HTTP session failed');
      session.close(CloseCodes.serverError, 'internal error');
      return null;
    });
    // Refused: the gateway has already sent the error and closed the session.
    if (!conn) return;
    if (session.ended) {
      // The client went away while it was being admitted.
      this.gateway.closed(conn);
      return;
    }
    session.conn = conn;
    this.log.debug({ appId: conn.app.id, socketId: conn.socketId, transport: session.kind }, 'http session opened');
    for (const text of session.early.splice(0)) this.gateway.receive(conn, text);
  }

  /** `xhr_send`: the client's frames, a JSON array of strings, handled in the order the client sent them. */
  private async receiveFrames(request: SessionRequest, res: SessionAnswer): Promise<void> {
    const session = this.sessions.get(request.route.sessionKey);
    if (!session) {
      request.discard();
      fail(res, new HttpError('notFound', 'Unknown or expired session: reconnect to open a new one'));
      return;
    }
    if (session.origin !== request.origin) {
      request.discard();
      fail(res, new HttpError('forbidden', 'This session was opened from another origin'));
      return;
    }
    // Its place in line is taken on arrival: a post made later but read sooner waits for it.
    const post = session.post(requestNumber(request.url));
    let frames: string[];
    try {
      frames = parseSendBody(await request.body());
    } catch (err) {
      post.refused();
      const refusal = err instanceof HttpError ? err : new HttpError('badRequest', 'The request body could not be read');
      this.log.info({ socketId: session.conn?.socketId, status: refusal.status, reason: refusal.message }, 'xhr_send refused');
      if (refusal.kind === 'payloadTooLarge') {
        // The client's app cannot see the HTTP status (pusher-js ignores it); the error frame it can.
        session.conn?.sendError(new SocketError('payloadTooLarge', `Message too large: posts are limited to ${this.options.maxPostBytes} bytes`));
      }
      fail(res, refusal);
      return;
    }
    if (session.ended) {
      fail(res, new HttpError('notFound', 'Unknown or expired session: reconnect to open a new one'));
      return;
    }
    if (!session.conn && session.early.length + frames.length > MAX_FRAMES_BEFORE_ADMISSION) {
      post.refused();
      fail(res, new HttpError('tooManyRequests', 'Too many messages before the connection was established'));
      return;
    }
    // An empty array is pusher-js's heartbeat: it proves the client is there all the same.
    session.conn?.touch();
    post.read(frames);
    res.writeHead(204);
    res.end();
  }

  /** A session's posted frames, in the client's order: to its connection, or kept until it is admitted. */
  private framesReceived(session: HttpSession, frames: readonly string[]): void {
    const conn = session.conn;
    if (conn) {
      for (const text of frames) this.gateway.receive(conn, text);
    } else {
      session.early.push(...frames);
    }
  }

  private sessionEnded(key: string, session: HttpSession, why: SessionEnd, lastWords: string): void {
    if (this.sessions.get(key) === session) this.sessions.delete(key);
    // Other nodes still find it here while its close frame is kept.
    this.forwarding.release(holderKey(key), ENDED_SESSION_MEMORY_MS);
    this.endedSessions.delete(key);
    this.endedSessions.set(key, { lastWords, at: Date.now() });
    if (this.endedSessions.size > ENDED_SESSIONS_REMEMBERED) {
      const oldest = this.endedSessions.keys().next();
      if (!oldest.done) this.endedSessions.delete(oldest.value);
    }
    const conn = session.conn;
    // A client that closed its requests has left, as a WebSocket client that closes; the others say why.
    if (why === 'expired' || why === 'over-capacity') {
      this.log.info({ appId: conn?.app.id, socketId: conn?.socketId, transport: session.kind, why }, 'http session ended');
    }
    if (why === 'over-capacity' && conn) {
      this.activity?.emit('slow_consumer_cut', {
        appId: conn.app.id,
        socketId: conn.socketId,
        transport: session.kind,
        bufferedBytes: session.bytesWhenCut,
        limit: this.options.maxBufferedBytes,
      });
    }
    if (conn) this.gateway.closed(conn);
  }
}

function allowCrossOrigin(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  } else {
    res.setHeader('access-control-allow-origin', '*');
  }
}

function fail(res: SessionAnswer | ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  // The rest of a refused body is not worth reading.
  sendJson(res, error.status, { error: error.message }, error.kind === 'payloadTooLarge' ? { connection: 'close' } : {});
}
