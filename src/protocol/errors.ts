// One catalog of every error Herald reports, on the socket and over HTTP.
// Handlers throw or send these by name; no bare numbers elsewhere.
//
// Socket error codes follow the Pusher protocol: 4000-4099 tell the client not
// to reconnect, 4100-4199 to back off, 4200-4299 to reconnect at once, 4300+
// anything else. `code: null` is what Pusher itself sends for errors that
// have no code of their own ("code is optional, message is not").

export type CloseBehaviour = 'close' | 'keep-open';

export interface SocketErrorSpec {
  readonly code: number | null;
  readonly behaviour: CloseBehaviour;
}

export const SocketErrors = {
  appNotFound: { code: 4001, behaviour: 'close' },
  appDisabled: { code: 4003, behaviour: 'close' },
  overConnectionQuota: { code: 4004, behaviour: 'close' },
  pathNotFound: { code: 4005, behaviour: 'close' },
  invalidVersionFormat: { code: 4006, behaviour: 'close' },
  unsupportedProtocol: { code: 4007, behaviour: 'close' },
  noProtocolVersion: { code: 4008, behaviour: 'close' },
  unauthorized: { code: 4009, behaviour: 'close' },
  overCapacity: { code: 4100, behaviour: 'close' },
  /** Sent as a close code only: the client should reconnect at once (to another node, or this one restarted). */
  serverShuttingDown: { code: 4200, behaviour: 'close' },
  pongNotReceived: { code: 4201, behaviour: 'close' },
  inactivity: { code: 4202, behaviour: 'close' },
  clientEventRateLimited: { code: 4301, behaviour: 'keep-open' },
  // Errors Pusher reports without a code; the connection stays usable.
  invalidFrame: { code: null, behaviour: 'keep-open' },
  invalidChannel: { code: null, behaviour: 'keep-open' },
  clientEventRejected: { code: null, behaviour: 'keep-open' },
  payloadTooLarge: { code: null, behaviour: 'keep-open' },
  signinFailed: { code: 4009, behaviour: 'close' },
  terminatedByApp: { code: 4009, behaviour: 'close' },
} as const satisfies Record<string, SocketErrorSpec>;

export type SocketErrorName = keyof typeof SocketErrors;

/** An error to be sent to one client as `pusher:error`. */
export class SocketError extends Error {
  readonly code: number | null;
  readonly behaviour: CloseBehaviour;

  constructor(
    readonly kind: SocketErrorName,
    message: string,
  ) {
    super(message);
    this.code = SocketErrors[kind].code;
    this.behaviour = SocketErrors[kind].behaviour;
  }
}

/**
 * Client input quoted in an error message, shortened to `maxChars` (never
 * inside a character): enough to recognise it, and a refusal's answer stays
 * small whatever the client sent (an Origin header can be kilobytes).
 */
export function quoted(input: string, maxChars = 60): string {
  if (input.length <= maxChars) return input;
  let end = maxChars;
  // Do not keep half of a surrogate pair.
  if (/[\ud800-\udbff]/.test(input[end - 1] ?? '')) end--;
  return `${input.slice(0, end)}…`;
}

/** Close codes the server uses for WebSocket-level reasons (not Pusher errors). */
export const CloseCodes = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  serverError: 1011,
} as const;

/**
 * A refused subscription is reported on the channel itself as
 * `pusher:subscription_error`, which pusher-js and laravel-echo surface to the
 * app (`channel.bind('pusher:subscription_error')`, Echo's `.error()`).
 */
export const SubscriptionErrors = {
  authFailed: { type: 'AuthError', status: 401 },
  forbidden: { type: 'AuthError', status: 403 },
  invalidChannel: { type: 'InvalidChannel', status: 400 },
  memberLimit: { type: 'LimitReached', status: 4100 },
  // 429, not 4100 (retry later): waiting does not help, the client must unsubscribe from another channel first.
  channelLimit: { type: 'LimitReached', status: 429 },
  presenceDataInvalid: { type: 'InvalidPresenceData', status: 400 },
} as const satisfies Record<string, { type: string; status: number }>;

export type SubscriptionErrorName = keyof typeof SubscriptionErrors;

export class SubscriptionError extends Error {
  constructor(
    readonly kind: SubscriptionErrorName,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP API failures, with the statuses the Pusher HTTP API documents. */
export const HttpErrors = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  methodNotAllowed: 405,
  /** What was asked for is no longer kept (channel history after an expired serial). */
  gone: 410,
  payloadTooLarge: 413,
  tooManyRequests: 429,
  internal: 500,
  /** Herald cannot answer for now (the workers' metrics could not be collected). */
  unavailable: 503,
} as const;

export type HttpErrorName = keyof typeof HttpErrors;

export class HttpError extends Error {
  readonly status: number;

  constructor(
    readonly kind: HttpErrorName,
    message: string,
    /** Sent as `Retry-After` (429): when trying again can succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = HttpErrors[kind];
  }
}
