// Pure rules of the HTTP session protocol pusher-js speaks when WebSockets are
// unavailable (its `xhr_streaming` and `xhr_polling` transports; reference:
// pusher-js src/core/http/http_socket.ts and http_request.ts). The client
// keeps one session per connection under
// `{httpPath}/app/{key}/{server}/{session}/` and
//   - POSTs `xhr_streaming` for one long response of newline-terminated frames,
//   - or POSTs `xhr` once per poll, each answered with some frames then ended,
//   - and POSTs `xhr_send` with its own frames as a JSON array of strings.
// Each request's URL ends in `t={time}&n={counter}`: `n` puts the posts in
// order (see http-send-order.ts).
// The frames it reads, one per line: `o` open, `a[...]` messages (each a
// Pusher frame as a string), `h` heartbeat, `c[code,"reason"]` close.
import { HttpError } from '../protocol/errors.js';

export type HttpTransportKind = 'xhr_streaming' | 'xhr_polling';

export type SessionAction = 'xhr_streaming' | 'xhr' | 'xhr_send';

export interface SessionRoute {
  readonly appKey: string;
  /** `{key}/{server}/{session}`: the session's identity on this node. */
  readonly sessionKey: string;
  readonly action: SessionAction;
}

const ACTIONS: ReadonlySet<string> = new Set<SessionAction>(['xhr_streaming', 'xhr', 'xhr_send']);

/** pusher-js makes `{server}/{session}` from a number and 8 random characters; anything much longer is not a client. */
const MAX_SESSION_PART_LENGTH = 64;

/**
 * pusher-js drops and reopens its streaming request, on the same session,
 * once the response text it holds passes this many characters and ends with
 * a complete line (`MAX_BUFFER_LENGTH` in its http_request.ts).
 */
export const PUSHER_JS_STREAM_LIMIT_CHARS = 256 * 1024;

/**
 * Matches `.../app/{key}/{server}/{session}/{action}` under any `httpPath`
 * prefix (pusher-js defaults it to `/pusher`); null for every other path.
 */
export function parseSessionRoute(pathname: string): SessionRoute | null {
  const parts = pathname.split('/');
  const n = parts.length;
  if (n < 6 || parts[n - 5] !== 'app') return null;
  const [rawKey, server, session, action] = parts.slice(n - 4) as [string, string, string, string];
  if (!ACTIONS.has(action)) return null;
  if (!validPart(rawKey) || !validPart(server) || !validPart(session)) return null;
  let appKey: string;
  try {
    appKey = decodeURIComponent(rawKey);
  } catch {
    return null;
  }
  return { appKey, sessionKey: `${rawKey}/${server}/${session}`, action: action as SessionAction };
}

function validPart(part: string): boolean {
  return part.length > 0 && part.length <= MAX_SESSION_PART_LENGTH && part !== '.' && part !== '..';
}

/**
 * The request number pusher-js appends to every URL of its HTTP sockets
 * (`&n=`, getUniqueURL in its http_socket.ts); null when there is none, or it
 * is not a plain number a client would count to.
 */
export function requestNumber(url: string): number | null {
  const match = /[?&]n=(\d{1,15})(?:&|$)/.exec(url);
  return match ? Number(match[1]) : null;
}

export function transportOf(action: Exclude<SessionAction, 'xhr_send'>): HttpTransportKind {
  return action === 'xhr_streaming' ? 'xhr_streaming' : 'xhr_polling';
}

export const OPEN_FRAME = 'o\n';
export const HEARTBEAT_FRAME = 'h\n';

/** Already encoded Pusher frames, delivered in order in one line. */
export function messagesFrame(frames: readonly string[]): string {
  return `a${JSON.stringify(frames)}\n`;
}

export function closeFrame(code: number, reason: string): string {
  return `c${JSON.stringify([code, reason])}\n`;
}

/**
 * A line pusher-js reads and ignores (no frame starts with `p`), long enough
 * that the stream passes pusher-js's buffer limit, so that the client reopens
 * its stream on the same session. `charsWritten` counts what the stream has
 * carried so far.
 */
export function recyclePadding(charsWritten: number): string {
  const spaces = Math.max(0, PUSHER_JS_STREAM_LIMIT_CHARS - charsWritten - 1);
  return `p${' '.repeat(spaces)}\n`;
}

/** The frames of one `xhr_send` body: a JSON array of strings (`[]` is a heartbeat). */
export function parseSendBody(body: Buffer): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError('badRequest', 'xhr_send body is not valid JSON: send a JSON array of frame strings');
  }
  if (!Array.isArray(value) || !value.every((frame): frame is string => typeof frame === 'string')) {
    throw new HttpError('badRequest', 'xhr_send body must be a JSON array of frame strings');
  }
  return value;
}
