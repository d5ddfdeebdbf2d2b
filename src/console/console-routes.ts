import type { IncomingMessage, ServerResponse } from 'node:http';
import type FindMyWay from 'find-my-way';
import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { answer } from '../http/answer.js';
import { parseJsonObject, readBody } from '../http/body.js';
import { parseTriggerRequest } from '../api/events.js';
import { publishTriggers } from '../api/http-api.js';
import type { ChannelService } from '../channels/channel-service.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import { HttpError } from '../protocol/errors.js';
import { loadAsset } from './assets.js';
import { ConsoleLiveFeed, type ConsoleMessage } from './live-feed.js';
import type { ConsoleRelay } from './relay.js';
import { type ConsoleSessions, sessionCookie } from './session.js';
import { takeSnapshot } from './snapshot.js';

export interface ConsoleDeps {
  readonly apps: AppStore;
  readonly adapter: Adapter;
  readonly channels: ChannelService;
  readonly activity: DomainEvents;
  readonly log: Logger;
  /** Logins with the admin token (shared with /stats, so both spend one budget); null turns the console off (its paths then say how to turn it on). */
  readonly sessions: ConsoleSessions | null;
  readonly maxRequestBodyBytes: number;
  /** Other nodes' activity, on a cluster; NO_RELAY on a single node. */
  readonly relay: ConsoleRelay;
}

/** SSE comments keep idle proxies from closing the stream. */
const KEEPALIVE_MS = 15_000;

// The page loads only its own files and talks only to its own origin.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const JSON_HEADERS = { 'cache-control': 'no-store', ...PAGE_HEADERS } as const;

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
type Params = Record<string, string | undefined>;

/**
 * The debug console under /console: the page, a login that trades the token
 * for a session cookie, and per-app JSON and Server-Sent Events endpoints.
 * Nothing it serves carries an app secret.
 */
export function registerConsole(router: Router, deps: ConsoleDeps): DebugConsole {
  const sessions = deps.sessions;
  const how = { log: deps.log, what: 'console request', headers: JSON_HEADERS };
  const openStreams = new Set<() => void>();

  const page = (name: string) => (_req: IncomingMessage, res: ServerResponse) => {
    if (!sessions) {
      sendText(res, 404, 'The debug console is off: start Herald with HERALD_CONSOLE_TOKEN set to turn it on.\n');
      return;
    }
    void serveAsset(res, name, deps.log);
  };
  router.on('GET', '/console', page('index.html'));
  router.on('GET', '/console/:asset', (req, res, params) => page((params as Params).asset ?? '')(req, res));

  /** A console API route: the console must be on, and the caller logged in unless `open`. */
  const api = (
    method: 'GET' | 'POST',
    path: string,
    handler: (req: IncomingMessage, res: ServerResponse, params: Params, sessions: ConsoleSessions) => Promise<unknown>,
    open = false,
  ) => {
    router.on(method, path, (req, res, params) =>
      answer(req, res, how, async () => {
        if (!sessions) throw new HttpError('notFound', 'The debug console is off: set HERALD_CONSOLE_TOKEN');
        if (!open && !sessions.authenticated(req)) throw new HttpError('unauthorized', 'Log in to the console with its token');
        if (method === 'POST' && !isJson(req)) throw new HttpError('badRequest', 'Send a JSON body (content-type: application/json)');
        return handler(req, res, params as Params, sessions);
      }),
    );
  };

  const appOf = async (params: Params): Promise<App> => {
    const app = await deps.apps.findById(params.appId ?? '');
    if (!app) throw new HttpError('notFound', `No app with id '${(params.appId ?? '').slice(0, 60)}'`);
    return app;
  };

  api(
    'POST',
    '/console/api/login',
    async (req, res, _params, s) => {
      const body = parseJsonObject(await readBody(req, 4096));
      if (!s.checkToken(body.token, req)) {
        deps.log.warn({ remoteAddress: s.clientAddress(req) }, 'console login refused: wrong token');
        throw new HttpError('unauthorized', 'Wrong console token');
      }
      const session = s.issue();
      res.setHeader('set-cookie', sessionCookie(session.value, session.maxAgeSeconds));
      return {};
    },
    true,
  );

  api(
    'POST',
    '/console/api/logout',
    async (_req, res) => {
      res.setHeader('set-cookie', sessionCookie('', 0));
      return {};
    },
    true,
  );

  // Public facts about each app only: the key is what clients connect with; the secret never leaves.
  api('GET', '/console/api/apps', async () => ({
    apps: (await deps.apps.list()).map((app) => ({
      id: app.id,
      key: app.key,
      enabled: app.enabled,
      clientEvents: app.clientEvents,
      userAuthentication: app.userAuthentication,
    })),
  }));

  api('GET', '/console/api/apps/:appId/snapshot', async (_req, _res, params) => takeSnapshot(deps.adapter, (await appOf(params)).id));

  api('GET', '/console/api/apps/:appId/stream', async (req, res, params) => {
    const app = await appOf(params);
    const end = openStream(req, res, app, deps);
    openStreams.add(end);
    res.once('close', () => openStreams.delete(end));
    return undefined;
  });

  // The event creator: the same validation and publishing as POST /apps/{id}/events.
  api('POST', '/console/api/apps/:appId/events', async (req, _res, params) => {
    const app = await appOf(params);
    if (!app.enabled) throw new HttpError('forbidden', 'Application disabled');
    const body = parseJsonObject(await readBody(req, deps.maxRequestBodyBytes));
    const trigger = parseTriggerRequest(app, { name: body.name, channel: body.channel, data: body.data });
    await publishTriggers(deps, app, [trigger]);
    deps.log.info({ appId: app.id, channel: body.channel, event: trigger.name }, 'console sent an event');
    return {};
  });

  return {
    close: async () => {
      for (const end of [...openStreams]) end();
      await deps.relay.close();
    },
  };
}

export interface DebugConsole {
  /** Ends the open live streams (they would otherwise hold a closing server open) and the relay. */
  close(): Promise<void>;
}

/** A Server-Sent Events stream of one app's live feed, until the page goes away; returns how to end it. */
function openStream(req: IncomingMessage, res: ServerResponse, app: App, deps: ConsoleDeps): () => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    ...PAGE_HEADERS,
  });
  res.write('retry: 2000\n\n');
  // JSON escapes line breaks, so each message is exactly one `data:` line.
  const send = (message: ConsoleMessage) => res.write(`event: ${message.kind}\ndata: ${JSON.stringify(message.data)}\n\n`);
  const feed = new ConsoleLiveFeed(app.id, deps.activity, deps.adapter, deps.log, deps.relay, send);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  feed.start();
  const stop = () => {
    clearInterval(keepalive);
    feed.stop();
  };
  req.once('close', stop);
  res.once('close', stop);
  return () => {
    stop();
    res.end();
  };
}

async function serveAsset(res: ServerResponse, name: string, log: Logger): Promise<void> {
  const asset = loadAsset(name);
  if (!asset) {
    sendText(res, 404, 'Not found\n');
    return;
  }
  try {
    const { body, contentType } = await asset;
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length, 'cache-control': 'no-cache', ...PAGE_HEADERS });
    res.end(body);
  } catch (err) {
    log.error({ err, asset: name }, 'console asset missing: was the build step that copies src/console/public run?');
    sendText(res, 500, 'Console files missing\n');
  }
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...PAGE_HEADERS });
  res.end(text);
}
