import type { App } from '../apps/app.js';
import { HttpError } from '../protocol/errors.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { hmacSha256Hex, md5Hex, safeEqual } from '../protocol/signatures.js';

/**
 * Verifies a signed HTTP API request as the Pusher SDKs sign it:
 * HMAC-SHA256 with the app secret over `METHOD\nPATH\nQUERY`, where QUERY is
 * every parameter but auth_signature, keys lower-cased and sorted, values
 * unescaped; plus a fresh auth_timestamp and the body's MD5.
 * Throws a 401 naming the first thing that is wrong.
 */
export function verifySignature(app: App, method: string, path: string, query: URLSearchParams, body: Buffer, now = Date.now()): void {
  const authKey = query.get('auth_key');
  const timestamp = query.get('auth_timestamp');
  const version = query.get('auth_version');
  const signature = query.get('auth_signature');
  if (!authKey || !timestamp || !signature) {
    throw new HttpError('unauthorized', 'Missing auth_key, auth_timestamp or auth_signature: the request must be signed');
  }
  if (version !== null && version !== '1.0') throw new HttpError('unauthorized', `Unsupported auth_version ${version}: use 1.0`);
  if (!safeEqual(authKey, app.key)) throw new HttpError('unauthorized', 'auth_key does not belong to this app');
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(now / 1000 - seconds) > ProtocolLimits.authTimestampWindowSeconds) {
    throw new HttpError(
      'unauthorized',
      `Timestamp expired: auth_timestamp must be within ${ProtocolLimits.authTimestampWindowSeconds} s of the server time (${Math.floor(now / 1000)})`,
    );
  }
  if (body.length > 0) {
    const bodyMd5 = query.get('body_md5');
    if (!bodyMd5 || !safeEqual(bodyMd5, md5Hex(body))) {
      throw new HttpError('unauthorized', 'body_md5 does not match the request body');
    }
  }
  const params: Array<[string, string]> = [];
  for (const [k, v] of query) if (k !== 'auth_signature') params.push([k.toLowerCase(), v]);
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedQuery = params.map(([k, v]) => `${k}=${v}`).join('&');
  // Clients sign the path as they wrote it; accept it percent-encoded or not.
  const decodedPath = safeDecode(path);
  const valid =
    safeEqual(signature, hmacSha256Hex(app.secret, `${method.toUpperCase()}\n${path}\n${signedQuery}`)) ||
    (decodedPath !== path && safeEqual(signature, hmacSha256Hex(app.secret, `${method.toUpperCase()}\n${decodedPath}\n${signedQuery}`)));
  if (!valid) {
    throw new HttpError('unauthorized', 'Invalid signature: the request was not signed with this app\'s secret, or was altered after signing');
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
