// Composes Herald from its parts; the only module that knows all of them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { Adapter } from './adapter/adapter.js';
import { announceClusterChange } from './adapter/cluster-announcer.js';
import { LocalAdapter } from './adapter/local-adapter.js';
import { RedisAdapter } from './adapter/redis-adapter.js';
import { registerHttpApi, sendJson } from './api/http-api.js';
import { StaticAppStore, type AppStore } from './apps/app-store.js';
import { ChannelService } from './channels/channel-service.js';
import { LocalSubscribers } from './channels/local-subscribers.js';
import type { Settings } from './config/settings.js';
import { registerConsole } from './console/console-routes.js';
import { ConnectionRegistry } from './connection/connection-registry.js';
import { Gateway } from './connection/gateway.js';
import { FrameHandler } from './handlers/frame-handler.js';
import { ActivityFeed } from './observability/activity.js';
import { createLogger, type Logger } from './observability/logger.js';
import { HttpFallbackTransportServer } from './transport/http-fallback.js';
import { WebSocketTransportServer } from './transport/websocket.js';
import { LocalUsers } from './users/local-users.js';

export interface Herald {
  readonly settings: Settings;
  readonly log: Logger;
  readonly activity: ActivityFeed;
  readonly adapter: Adapter;
  readonly connections: ConnectionRegistry;
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

export interface HeraldOptions {
  readonly apps?: AppStore;
  readonly logger?: Logger;
}

export function createHerald(settings: Settings, options: HeraldOptions = {}): Herald {
  const log = options.logger ?? createLogger(settings.logLevel);
  const apps = options.apps ?? new StaticAppStore(settings.apps);
  const activity = new ActivityFeed();
  const connections = new ConnectionRegistry(settings.activityTimeoutSeconds * 1000, settings.pongTimeoutSeconds * 1000);
  const subscribers = new LocalSubscribers();
  const localUsers = new LocalUsers();
  const adapter: Adapter =
    settings.adapter === 'redis'
      ? new RedisAdapter(subscribers, connections, localUsers, {
          url: settings.redisUrl,
          prefix: settings.redisPrefix,
          heartbeatMs: settings.nodeHeartbeatMs,
          nodeTimeoutMs: settings.nodeTimeoutMs,
          log,
          onClusterChange: (change) => announceClusterChange(change, adapter, activity),
        })
      : new LocalAdapter(subscribers, connections, localUsers);
  const channels = new ChannelService(adapter, subscribers, activity);
  const frames = new FrameHandler({ adapter, channels, subscribers, localUsers, activity, log });
  const gateway = new Gateway(apps, adapter, connections, frames, activity, log, settings.activityTimeoutSeconds);
  const websockets = new WebSocketTransportServer(gateway, log, { maxFrameBytes: settings.maxFrameBytes });
  const httpFallback = settings.httpFallback.enabled
    ? new HttpFallbackTransportServer(gateway, log, { ...settings.httpFallback, maxPostBytes: settings.maxFrameBytes })
    : null;

  const router = FindMyWay({
    ignoreTrailingSlash: true,
    defaultRoute: (_req, res) => sendJson(res, 404, { error: 'Not found' }),
  });
  registerHttpApi(router, { apps, adapter, channels, activity, log, maxRequestBodyBytes: settings.maxRequestBodyBytes });
  registerConsole(router, { apps, adapter, channels, activity, log, token: settings.consoleToken, maxRequestBodyBytes: settings.maxRequestBodyBytes });
  router.on('GET', '/', (_req, res) => sendJson(res, 200, { name: 'herald', status: 'ok' }));
  router.on('GET', '/health', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  // Not ready while cluster-wide state is unreachable, so a load balancer sends new clients elsewhere.
  router.on('GET', '/ready', (_req, res) => (adapter.ready() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not ready' })));

  const http: Server = createServer((req, res) => {
    if (httpFallback?.handle(req, res)) return;
    router.lookup(req, res);
  });
  http.on('upgrade', (req, socket, head) => websockets.handleUpgrade(req, socket, head));
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    settings,
    log,
    activity,
    adapter,
    connections,
    listen: async () => {
      await adapter.start();
      return new Promise((resolve, reject) => {
        // Nothing will serve: let go of Redis too, so that the process can end.
        const failed = (err: Error) => void adapter.close().finally(() => reject(err));
        http.once('error', failed);
        http.listen(settings.port, settings.host, () => {
          http.off('error', failed);
          connections.startLivenessChecks();
          httpFallback?.startSweeping();
          const port = (http.address() as AddressInfo).port;
          log.info({ host: settings.host, port }, 'herald listening');
          resolve(port);
        });
      });
    },
    close: async () => {
      connections.stopLivenessChecks();
      await websockets.close();
      httpFallback?.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await adapter.close();
    },
  };
}
