import { ProtocolLimits } from './limits.js';
import type { ChannelName, UserId } from './types.js';

/** What a channel's name says about it; only the prefix decides. */
export interface ChannelKind {
  /** Subscribing needs a signature from the app's auth endpoint. */
  readonly authorized: boolean;
  readonly presence: boolean;
  /** End-to-end encrypted: payloads are relayed untouched, client events refused. */
  readonly encrypted: boolean;
  /** The last event is kept and replayed to new subscribers. */
  readonly cache: boolean;
  /** `#server-to-user-{id}`: only the signed-in user itself may subscribe. */
  readonly serverToUser: boolean;
}

const kind = (k: Partial<ChannelKind>): ChannelKind => ({
  authorized: false,
  presence: false,
  encrypted: false,
  cache: false,
  serverToUser: false,
  ...k,
});

const INTERNAL_PREFIX = '#';
export const SERVER_TO_USER_PREFIX = `${INTERNAL_PREFIX}server-to-user-`;

// Longest prefixes first: the first match wins.
const PREFIXES: ReadonlyArray<readonly [string, ChannelKind]> = [
  ['private-encrypted-cache-', kind({ authorized: true, encrypted: true, cache: true })],
  ['private-encrypted-', kind({ authorized: true, encrypted: true })],
  ['private-cache-', kind({ authorized: true, cache: true })],
  ['private-', kind({ authorized: true })],
  ['presence-cache-', kind({ authorized: true, presence: true, cache: true })],
  ['presence-', kind({ authorized: true, presence: true })],
  ['cache-', kind({ cache: true })],
  [SERVER_TO_USER_PREFIX, kind({ serverToUser: true })],
];

const PUBLIC = kind({});

export function channelKind(name: ChannelName): ChannelKind {
  for (const [prefix, k] of PREFIXES) {
    if (name.startsWith(prefix)) return k;
  }
  return PUBLIC;
}

// Letters, digits and _ - = @ , . ; as the Pusher docs allow.
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]+$/;

/** Why a channel name is invalid, or null when it is fine. */
export function channelNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'channel name must be a non-empty string';
  if (name.length > ProtocolLimits.channelNameMaxLength) {
    return `channel name is longer than ${ProtocolLimits.channelNameMaxLength} characters`;
  }
  if (name.startsWith(SERVER_TO_USER_PREFIX)) {
    const userId = name.slice(SERVER_TO_USER_PREFIX.length);
    return userIdProblem(userId);
  }
  if (!CHANNEL_NAME.test(name)) {
    return `channel name '${truncate(name)}' may only contain letters, digits and _ - = @ , . ;`;
  }
  return null;
}

/** Why an event name is invalid, or null. */
export function eventNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'event name must be a non-empty string';
  if (name.length > ProtocolLimits.eventNameMaxLength) {
    return `event name is longer than ${ProtocolLimits.eventNameMaxLength} characters`;
  }
  return null;
}

/** Why a user id is invalid, or null. */
export function userIdProblem(id: unknown): string | null {
  if (typeof id !== 'string' || id.length === 0) return 'user id must be a non-empty string';
  if (id.length > ProtocolLimits.userIdMaxLength) return `user id is longer than ${ProtocolLimits.userIdMaxLength} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'user id must not contain control characters';
  // A lone surrogate survives JSON.stringify as an escape that Redis's Lua JSON decoder refuses: the
  // membership scripts of every node would fail on it (including a survivor removing a dead node's members).
  if (/\p{Cs}/u.test(id)) return 'user id must be valid Unicode (a lone surrogate is not)';
  return null;
}

export function serverToUserChannel(userId: UserId): ChannelName {
  return `${SERVER_TO_USER_PREFIX}${userId}`;
}

/** Internal topic a watcher of `userId` listens on for its online/offline events. */
export function watchersOf(userId: UserId): ChannelName {
  return `${INTERNAL_PREFIX}watchers-of-${userId}`;
}

/**
 * Herald's own routing topics (a user's sockets, a user's watchers) share the
 * channel index with the app's channels but are never shown as channels:
 * not in the HTTP API's lists, webhooks or subscription counts. No client can
 * name one, because a channel name may not contain '#'.
 */
export function isInternalChannel(channel: ChannelName): boolean {
  return channel.startsWith(INTERNAL_PREFIX);
}

export function isClientEventName(name: string): boolean {
  return name.startsWith('client-');
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
