// Reads a client's WebSocket opening handshake (RFC 6455 §4.2.1) from the
// first bytes of its connection, without Node's HTTP parser: the connect
// path of a real-time server runs once per client, and a reconnect storm is
// all connect path. Only the plain, well-formed case is read here: a
// `GET /app/…` upgrade with every header a WebSocket needs and nothing this
// reader does not handle. Everything else (another path, a malformed or odd
// request, a subprotocol, compression when it is on) is "elsewhere": the
// bytes go to Node's HTTP server and `ws`, which answer it as before.
import { hash } from 'node:crypto';

/** A well-formed upgrade to `/app/…` that the direct path serves. */
export interface UpgradeHead {
  /** The request target: path and query. */
  readonly target: string;
  /** Sec-WebSocket-Key, checked to be 16 bytes in base64. */
  readonly key: string;
  readonly origin: string | undefined;
  /** Every X-Forwarded-For line, joined as one list. */
  readonly forwardedFor: string | undefined;
  /** Every Forwarded line (RFC 7239), joined as one list. */
  readonly forwarded: string | undefined;
  /** Bytes of the request head, blank line included: what follows is already WebSocket frames. */
  readonly length: number;
}

export type HeadReading = UpgradeHead | 'incomplete' | 'elsewhere';

export interface HeadRules {
  /** Whether permessage-deflate is agreed with clients that offer it: such clients are then `ws`'s. */
  readonly deflate: boolean;
}

/** A head longer than this is not one a WebSocket client sends; Node's parser decides what it is. */
export const MAX_HEAD_BYTES = 8 * 1024;

const PREFIX = Buffer.from('GET /app/');
const HEAD_END = Buffer.from('\r\n\r\n');
const HTTP_VERSION = ' HTTP/1.1';
/** What the request target may hold: visible ASCII, no spaces. */
const TARGET = /^[!-~]*$/;
/** Control characters other than tab, CR and LF (line ends are checked line by line): a head holding one is refused by Node's parser too. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** A header name is a token (RFC 9110 §5.6.2); Node's parser refuses a head with any other name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{21}[AQgw]==$/;
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function readUpgradeHead(bytes: Buffer, rules: HeadRules): HeadReading {
  const prefixLength = Math.min(bytes.length, PREFIX.length);
  if (bytes.compare(PREFIX, 0, prefixLength, 0, prefixLength) !== 0) return 'elsewhere';
  const end = bytes.indexOf(HEAD_END);
  if (end < 0) return bytes.length < MAX_HEAD_BYTES ? 'incomplete' : 'elsewhere';
  if (end > MAX_HEAD_BYTES) return 'elsewhere';
  // Read as latin1: one character per byte, so that no byte is lost or merged before the checks.
  const text = bytes.toString('latin1', 0, end);
  if (CONTROL.test(text)) return 'elsewhere';
  let lineEnd = lineEndAt(text, 0);
  if (lineEnd < 0) return 'elsewhere';
  if (!text.endsWith(HTTP_VERSION, lineEnd)) return 'elsewhere';
  const target = text.slice(4, lineEnd - HTTP_VERSION.length);
  if (!TARGET.test(target)) return 'elsewhere';

  let upgrade: string | undefined;
  let connection = '';
  let key: string | undefined;
  let version: string | undefined;
  let origin: string | undefined;
  let forwardedFor: string | undefined;
  let forwarded: string | undefined;
  let host = false;
  while (lineEnd < text.length) {
    const lineStart = lineEnd + 2;
    lineEnd = lineEndAt(text, lineStart);
    if (lineEnd < 0) return 'elsewhere';
    const colon = text.indexOf(':', lineStart);
    if (colon < 0 || colon > lineEnd) return 'elsewhere';
    // A line folded onto the previous one starts with a space or a tab: obsolete, and not read here.
    const first = text.charCodeAt(lineStart);
    if (first === 0x20 || first === 0x09) return 'elsewhere';
    const name = text.slice(lineStart, colon);
    if (!HEADER_NAME.test(name)) return 'elsewhere';
    const value = withoutOws(text, colon + 1, lineEnd);
    // Names other than those below are not read: nothing of them matters here.
    switch (name.toLowerCase()) {
      case 'host':
        if (host) return 'elsewhere';
        host = true;
        break;
      case 'upgrade':
        if (upgrade !== undefined) return 'elsewhere';
        upgrade = value;
        break;
      case 'connection':
        connection += `,${value}`;
        break;
      case 'sec-websocket-key':
        if (key !== undefined) return 'elsewhere';
        key = value;
        break;
      case 'sec-websocket-version':
        if (version !== undefined) return 'elsewhere';
        version = value;
        break;
      case 'origin':
        if (origin !== undefined) return 'elsewhere';
        origin = value;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      case 'forwarded':
        forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
        break;
      case 'sec-websocket-extensions':
        if (rules.deflate && /permessage-deflate/i.test(value)) return 'elsewhere';
        break;
      // A subprotocol to agree, or a body on a GET: for the complete implementation.
      case 'sec-websocket-protocol':
      case 'content-length':
      case 'transfer-encoding':
        return 'elsewhere';
    }
  }
  if (!host || upgrade?.toLowerCase() !== 'websocket' || version !== '13' || key === undefined || !WEBSOCKET_KEY.test(key)) return 'elsewhere';
  if (!connection.split(',').some((token) => token.trim().toLowerCase() === 'upgrade')) return 'elsewhere';
  return { target, key, origin, forwardedFor, forwarded, length: end + HEAD_END.length };
}

/**
 * The header value between `from` and `to` without the spaces and tabs
 * around it (RFC 9110 §5.5); String.trim() would also take away characters
 * that belong to the value or that must refuse it (NBSP, VT, FF).
 */
function withoutOws(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Where the line starting at `from` ends (its CR LF, or the end of the head); -1 when a lone CR or LF comes first. */
function lineEndAt(text: string, from: number): number {
  const cr = text.indexOf('\r', from);
  const lf = text.indexOf('\n', from);
  if (cr < 0) return lf < 0 ? text.length : -1;
  return lf === cr + 1 ? cr : -1;
}

/** The server's answer that opens the WebSocket (§4.2.2). */
export function switchingProtocols(key: string): string {
  const accept = hash('sha1', key + WEBSOCKET_GUID, 'base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}
