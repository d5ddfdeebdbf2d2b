// Composes Herald from its parts; the only module that knows all of them.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { Adapter } from './adapter/adapter.js';
import type { AppId } from './protocol/types.js';
import { LocalAdapter } from './adapter/local-adapter.js';
import { RedisAdapter } from './adapter/redis-adapter.js';
import { registerHttpApi } from './api/http-api.js';
import { TrustedProxies } from './http/client-address.js';
import { sendJson } from './http/json.js';
import { TokenGuard } from './http/token-guard.js';
import type { AppRateLimiter } from './adapter/rate-limit.js';
import type { AppStore } from './apps/app-store.js';
import { fixedApps, servedApps } from './apps/open-app-store.js';
import { ChannelService } from './channels/channel-service.js';
import type { Settings } from './config/settings.js';
import { registerConsole } from './console/console-routes.js';
import { NO_RELAY, RedisConsoleRelay } from './console/relay.js';
import { ConsoleSessions } from './console/session.js';
import { applyAppChange } from './connection/app-changes.js';
import { ConnectionRegistry } from './connection/connection-registry.js';
import { Gateway } from './connection/gateway.js';
import { FrameHandler } from './handlers/frame-handler.js';
import { DomainEvents } from './events/domain-events.js';
import { createLogger, type Logger } from './logging/logger.js';
import { HeraldMetrics } from './observability/metrics.js';
import { registerStats } from './console/stats-routes.js';
import { notFound, registerHealth, registerMetrics } from './observability/operations-routes.js';
import { answerCollections, inWorker, metricsOfAllWorkers } from './observability/worker-metrics.js';
import { HttpFallbackTransportServer } from './transport/http-fallback.js';
import { DirectWebSocketServer } from './transport/websocket/direct.js';
import { FrontDoor } from './transport/websocket/front-door.js';
import { WebSocketTransportServer } from './transport/websocket/ws-library.js';
import { LazyQueue } from './webhooks/lazy-queue.js';
import type { WebhookQueue } from './webhooks/queue.js';
import { RedisWebhookQueue } from './webhooks/redis-queue.js';
import { SqliteWebhookQueue } from './webhooks/sqlite-queue.js';
import { Webhooks } from './webhooks/webhooks.js';

export interface Herald {
  readonly settings: Settings;
  readonly log: Logger;
  readonly activity: DomainEvents;
  readonly adapter: Adapter;
  readonly connections: ConnectionRegistry;
  readonly metrics: HeraldMetrics;
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  /** The bound port of the metrics listener once listening; null without one. */
  readonly metricsPort: number | null;
  /**
   * Stops accepting, tells clients to reconnect elsewhere (4200), lets
   * in-flight HTTP requests finish and flushes webhooks, within the shutdown timeout.
   */
  close(): Promise<void>;
}

export interface HeraldOptions {
  readonly apps?: AppStore;
  /** Per-app HTTP API budgets; per node unless a shared (cluster-wide) limiter is given. */
  readonly rateLimiter?: AppRateLimiter;
  readonly logger?: Logger;
}

export function createHerald(settings: Settings, options: HeraldOptions = {}): Herald {
  const log = options.logger ?? createLogger(settings.logLevel);
  const served = options.apps ? fixedApps(options.apps) : servedApps(settings, log);
  const apps = served.store;
  const activity = new DomainEvents();
  const metrics = new HeraldMetrics();
  metrics.watch(activity);
  const connections = new ConnectionRegistry(settings.activityTimeoutSeconds * 1000, settings.pongTimeoutSeconds * 1000);
  served.onChange((change) => {
    const connectionsOfApp = applyAppChange(connections, change);
    log.info({ appId: change.previous.id, enabled: change.current?.enabled ?? null, connections: connectionsOfApp }, 'app changed in the store');
  });
  const countConnections = (appId: AppId) => connections.count(appId);
  const adapter: LocalAdapter =
    settings.adapter === 'redis'
      ? new RedisAdapter(countConnections, {
          url: settings.redisUrl,
          prefix: settings.redisPrefix,
          heartbeatMs: settings.nodeHeartbeatMs,
          nodeTimeoutMs: settings.nodeTimeoutMs,
          routing: settings.redisRouting,
          log,
          onClusterChange: (change) => channels.announce.clusterChange(change),
        })
      : new LocalAdapter(countConnections);
  metrics.countPubSub(adapter.pubsub);
  const { subscribers, localUsers } = adapter;
  const channels = new ChannelService(adapter, subscribers, activity);
  metrics.setHistoryUsageProbe(() => adapter.history.usage());
  const frames = new FrameHandler({ adapter, channels, localUsers, activity, log });
  // Read once: the transports, the console and /metrics all take the client's address by the same rule.
  const trustedProxies = new TrustedProxies(settings.trustedProxies);
  const gateway = new Gateway(apps, adapter, connections, frames, activity, log, settings.activityTimeoutSeconds, { maxConnectionsPerAddress: settings.maxConnectionsPerAddress }, metrics.traffic);
  const websockets = new WebSocketTransportServer(
    gateway,
    log,
    { maxFrameBytes: settings.maxFrameBytes, maxBufferedBytes: settings.maxBufferedBytes, perMessageDeflate: settings.perMessageDeflate, trustedProxies },
    activity,
  );
  const httpFallback = settings.httpFallback.enabled
    ? new HttpFallbackTransportServer(gateway, log, { ...settings.httpFallback, maxPostBytes: settings.maxFrameBytes, trustedProxies, forwarding: adapter.forwarding }, activity)
    : null;

  const router = newRouter();
  // Every signed request, of the HTTP API or the tenants' stats, passes the same checks and budget.
  const signed = { apps, activity, log, maxRequestBodyBytes: settings.maxRequestBodyBytes, rateLimits: options.rateLimiter ?? adapter.rateLimits };
  registerHttpApi(router, { ...signed, adapter, channels });
  // On a cluster the console relays activity between nodes so that any node's console shows them all.
  const consoleRelay =
    settings.adapter === 'redis' && settings.consoleToken !== null
      ? new RedisConsoleRelay(settings.redisUrl, settings.redisPrefix, activity, log)
      : NO_RELAY;
  // One instance for the console and /stats: a wrong token spends the same budget on either.
  const consoleSessions = settings.consoleToken === null ? null : new ConsoleSessions(settings.consoleToken, trustedProxies, undefined, adapter);
  const debugConsole = registerConsole(router, {
    apps,
    adapter,
    channels,
    activity,
    log,
    sessions: consoleSessions,
    maxRequestBodyBytes: settings.maxRequestBodyBytes,
    relay: consoleRelay,
  });
  registerStats(router, {
    signed,
    adapter,
    connections,
    subscribers,
    localUsers,
    httpSessions: httpFallback ? () => ({ open: httpFallback.sessionCount, ended: httpFallback.endedSessionCount }) : null,
    consoleSessions,
    log,
  });
  router.on('GET', '/', (_req, res) => sendJson(res, 200, { name: 'herald', status: 'ok' }));
  registerHealth(router, adapter);
  // With --workers, a scrape is answered for every worker, whichever one it reached.
  const stopAnsweringCollections = inWorker() ? answerCollections(metrics.registry) : null;
  const metricsRoute = {
    read: inWorker() ? metricsOfAllWorkers : () => metrics.registry.metrics(),
    contentType: metrics.registry.contentType,
    // Its own budget: wrong metrics tokens do not lock an address out of the console, nor the other way round.
    token: settings.metricsToken === null ? null : new TokenGuard(settings.metricsToken, 'metrics', trustedProxies, undefined, adapter),
    log,
  };
  // With a metrics port, /metrics is there only: the main port may then face the internet.
  const metricsRouter = settings.metricsPort === null ? null : newRouter();
  if (metricsRouter) {
    registerHealth(metricsRouter, adapter);
    registerMetrics(metricsRouter, metricsRoute);
  } else {
    registerMetrics(router, metricsRoute);
  }

  const webhooks = new Webhooks({ apps, adapter, activity, metrics, log, queue: webhookQueue(settings, log) }, settings.webhooks);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (httpFallback?.handle(req, res)) return;
    if (req.url?.startsWith('/apps/')) metrics.timeHttpApi(req, res, req.url.split('?')[0] ?? '');
    router.lookup(req, res);
  };
  const http = httpServer(settings, handle);
  http.on('upgrade', (req, socket, head) => websockets.handleUpgrade(req, socket, head));
  // Herald's own WebSocket path takes the plain upgrades before Node's HTTP parser sees them; ws keeps the rest.
  const directWebsockets =
    settings.websocketEngine === 'herald'
      ? new DirectWebSocketServer(gateway, log, { maxFrameBytes: settings.maxFrameBytes, maxBufferedBytes: settings.maxBufferedBytes, trustedProxies }, activity)
      : null;
  const frontDoor = directWebsockets
    ? new FrontDoor(http, directWebsockets, { deflate: settings.perMessageDeflate }, settings.tls ? 'secureConnection' : 'connection')
    : null;
  const metricsHttp = metricsRouter ? httpServer(settings, (req, res) => metricsRouter.lookup(req, res)) : null;
  let metricsPort: number | null = null;

  return {
    settings,
    log,
    activity,
    adapter,
    connections,
    metrics,
    get metricsPort() {
      return metricsPort;
    },
    listen: async () => {
      await served.start();
      await adapter.start();
      let port: number;
      try {
        if (metricsHttp) {
          const host = settings.metricsHost ?? settings.host;
          metricsPort = await listenOn(metricsHttp, settings.metricsPort ?? 0, host);
          log.info({ host, port: metricsPort }, 'metrics listening');
        }
        port = await listenOn(http, settings.port, settings.host);
      } catch (err) {
        // Nothing will serve: let go of the metrics port and Redis too, so that the process can end.
        if (metricsHttp?.listening) metricsHttp.close();
        await adapter.close().catch((closeErr: unknown) => log.warn({ err: closeErr }, 'closing the adapter after a failed start failed'));
        throw err;
      }
      connections.startLivenessChecks();
      webhooks.start();
      httpFallback?.startSweeping();
      log.info({ host: settings.host, port }, 'herald listening');
      return port;
    },
    close: async () => {
      const deadline = Date.now() + settings.shutdownTimeoutMs;
      connections.stopLivenessChecks();
      // Stop accepting first; connections already open are let go below.
      const stoppedListening = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      // Scrapes and health checks end with the process; nothing there needs to finish.
      const metricsStopped = metricsHttp?.listening ? new Promise<void>((resolve) => metricsHttp.close(() => resolve())) : null;
      metricsHttp?.closeAllConnections();
      stopAnsweringCollections?.();
      await debugConsole.close();
      frontDoor?.close();
      directWebsockets?.close();
      const websocketsClosed = websockets.close();
      httpFallback?.close();
      // Their departures (vacated channels, members leaving) belong in the last webhooks.
      await until(() => connections.count() === 0, deadline);
      // In-flight HTTP requests finish; keep-alive connections close as their requests end.
      const idleTimer = setInterval(() => http.closeIdleConnections(), 50);
      await settledOrDeadline(stoppedListening, deadline);
      clearInterval(idleTimer);
      // Past the deadline, clients that have not answered their close frame are cut.
      directWebsockets?.destroyAll();
      websockets.terminateAll();
      http.closeAllConnections();
      await websocketsClosed;
      await stoppedListening;
      await metricsStopped;
      await webhooks.close(deadline);
      await adapter.close();
      await served.close();
    },
  };
}

function newRouter() {
  return FindMyWay({
    ignoreTrailingSlash: true,
    // Handlers that need the query parse it themselves; parsing it for every request as well is wasted work.
    querystringParser: () => ({}),
    defaultRoute: notFound,
  });
}

/** Plain HTTP, or HTTPS when TLS is configured: the metrics port is served like the main one. */
function httpServer(settings: Settings, handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server: Server = settings.tls
    ? createTlsServer({ cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) }, handle)
    : createServer(handle);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Resolves with the bound port (useful with port 0), or rejects with why it could not listen. */
function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Where webhooks wait until delivered: shared by the cluster in Redis, or a SQLite file of this node. */
function webhookQueue(settings: Settings, log: Logger): WebhookQueue {
  if (settings.adapter === 'redis') return new RedisWebhookQueue(settings.redisUrl, settings.redisPrefix, log);
  return new LazyQueue(join(settings.dataDir, 'webhooks.sqlite'), (path) => new SqliteWebhookQueue(path));
}

async function until(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await sleep(20);
}

/** Waits for `promise` until `deadline`, leaving no timer behind to hold the process open. */
async function settledOrDeadline(promise: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
