// Internal counts of what this node holds, to see that nothing is left
// behind after clients come and go: connections, channels, presence members,
// signed-in users, HTTP sessions, cached events and the process's timers and
// handles. Counts only: no channel name, user id or secret is ever shown.
import type { IncomingMessage } from 'node:http';
import type FindMyWay from 'find-my-way';
import type { Adapter } from '../adapter/adapter.js';
import { authenticate, type SignedRequestDeps } from '../api/signed-request.js';
import { answer } from '../http/answer.js';
import { MemoryCacheStore } from '../adapter/cache-store.js';
import type { HistoryUsage } from '../adapter/history-store.js';
import type { LocalSubscribers } from '../adapter/local-subscribers.js';
import { MemoryPresenceStore } from '../adapter/presence-store.js';
import type { ConnectionRegistry } from '../connection/connection-registry.js';
import type { Connection } from '../connection/connection.js';
import type { ConsoleSessions } from './session.js';
import { HttpError } from '../protocol/errors.js';
import type { AppId } from '../protocol/types.js';
import type { LocalUsers } from '../adapter/local-users.js';
import { MemoryUserDirectory } from '../adapter/user-directory.js';
import type { Logger } from '../logging/logger.js';

export interface StatsDeps {
  /** How a tenant's signed `GET /apps/{id}/stats` is checked: as any signed API request. */
  readonly signed: SignedRequestDeps;
  readonly adapter: Adapter;
  readonly connections: ConnectionRegistry;
  readonly subscribers: LocalSubscribers;
  readonly localUsers: LocalUsers;
  /** HTTP fallback sessions open, and ended ones still remembered; null when the fallback is off. */
  readonly httpSessions: (() => { open: number; ended: number }) | null;
  /** The console's logins: with its token as a bearer token, `GET /stats` shows the whole node; null when the console is off. */
  readonly consoleSessions: ConsoleSessions | null;
  readonly log: Logger;
}

/** What the connections of one app (or of all) on this node hold, counted from the connections themselves. */
export interface ConnectionCensus {
  readonly connections: number;
  readonly byTransport: Record<string, number>;
  readonly subscriptions: number;
  readonly presenceMemberships: number;
  readonly signedIn: number;
}

export interface NodeStats {
  readonly connections: ConnectionCensus;
  /** The indexes that route and remember; after churn they must come back to what the open connections explain. */
  readonly indexes: {
    readonly channels: number;
    readonly subscriptions: number;
    readonly signedInUsers: number;
    /** Kept in this process by the local adapter; null when a cluster adapter keeps them elsewhere (Redis). */
    readonly presence: { channels: number; members: number; sockets: number } | null;
    readonly userDirectory: number | null;
    readonly cachedEvents: number | null;
  };
  readonly httpSessions: { open: number; ended: number } | null;
  /** Kept events of channels with history: in this process, or cluster-wide in Redis (bytes: Redis's memory use of the streams). */
  readonly history: HistoryUsage;
  /** Active libuv resources by type (Timeout, TCPSocketWrap, …): a growing count is a leaked timer or socket. */
  readonly resources: Record<string, number>;
  readonly memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
  readonly uptimeSeconds: number;
}

export function connectionCensus(connections: Iterable<Connection>, appId?: AppId): ConnectionCensus {
  let count = 0;
  let subscriptions = 0;
  let presenceMemberships = 0;
  let signedIn = 0;
  const byTransport: Record<string, number> = {};
  for (const conn of connections) {
    if (appId !== undefined && conn.app.id !== appId) continue;
    count++;
    byTransport[conn.transportKind] = (byTransport[conn.transportKind] ?? 0) + 1;
    subscriptions += conn.channels.size;
    for (const member of conn.channels.values()) if (member !== null) presenceMemberships++;
    if (conn.user) signedIn++;
  }
  return { connections: count, byTransport, subscriptions, presenceMemberships, signedIn };
}

export async function nodeStats(deps: Omit<StatsDeps, 'signed' | 'consoleSessions' | 'log'>): Promise<NodeStats> {
  const { adapter } = deps;
  const routed = deps.subscribers.size();
  const memory = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  return {
    connections: connectionCensus(deps.connections.all()),
    indexes: {
      channels: routed.channels,
      subscriptions: routed.subscriptions,
      signedInUsers: deps.localUsers.size,
      presence: adapter.presence instanceof MemoryPresenceStore ? adapter.presence.size() : null,
      userDirectory: adapter.users instanceof MemoryUserDirectory ? adapter.users.size : null,
      cachedEvents: adapter.cache instanceof MemoryCacheStore ? adapter.cache.size : null,
    },
    httpSessions: deps.httpSessions?.() ?? null,
    history: await adapter.history.usage(),
    resources,
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external },
    uptimeSeconds: Math.round(process.uptime()),
  };
}

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;

/**
 * `GET /stats`: the whole node, for its operator (bearer console token).
 * `GET /apps/{id}/stats`: one app's connections on this node, signed like
 * the HTTP API (`pusher.get({ path: '/stats' })`), so a tenant sees its own
 * counts and nothing of the others.
 */
export function registerStats(router: Router, deps: StatsDeps): void {
  const sessions = deps.consoleSessions;
  const how = { log: deps.log, what: 'stats request' };

  router.on('GET', '/stats', (req, res) =>
    answer(req, res, how, async () => {
      req.resume();
      if (!sessions) throw new HttpError('notFound', 'Node stats need the console token: start Herald with HERALD_CONSOLE_TOKEN set');
      if (!sessions.authenticated(req)) throw new HttpError('unauthorized', 'Send the console token as Authorization: Bearer <token>');
      return nodeStats(deps);
    }),
  );

  router.on('GET', '/apps/:appId/stats', (req: IncomingMessage, res, params) =>
    answer(req, res, how, async () => {
      // The same checks as every signed request of the HTTP API (signature, enabled app, request budget).
      const { app } = await authenticate(deps.signed, req, (params as Record<string, string | undefined>).appId ?? '');
      const channels = await deps.adapter.channels(app.id);
      return { connections: connectionCensus(deps.connections.all(), app.id), channels: channels.size };
    }),
  );
}
