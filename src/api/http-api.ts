import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import type { ChannelService } from '../channels/channel-service.js';
import type { ActivityFeed } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import { channelKind, channelNameProblem, isInternalChannel, userIdProblem } from '../protocol/channel-names.js';
import { HttpError } from '../protocol/errors.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { splitTarget } from '../protocol/request-target.js';
import { parseJsonObject, readBody } from '../http/body.js';
import { channelAttributes, checkUserCountAllowed, parseInfo } from './channel-info.js';
import { parseTriggerRequest, type TriggerRequest } from './events.js';
import type { AppRateLimiter, RateLimitedAction } from '../adapter/rate-limit.js';
import { verifySignature } from './signature.js';
import { sendJson } from '../http/json.js';

export interface HttpApiDeps {
  readonly apps: AppStore;
  readonly adapter: Adapter;
  readonly channels: ChannelService;
  readonly activity: ActivityFeed;
  readonly log: Logger;
  readonly maxRequestBodyBytes: number;
  /** Per-app budgets: API requests and published events per second. */
  readonly rateLimits: AppRateLimiter;
}

/** A signed request that passed verification. */
interface ApiRequest {
  readonly app: App;
  readonly params: Record<string, string | undefined>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

type ApiHandler = (req: ApiRequest) => Promise<unknown>;

/**
 * The signed HTTP API of the Pusher Channels protocol, under /apps/{app_id}.
 * Every request is authenticated before its body is looked at, and every
 * failure is answered with its status and a JSON `{error}` saying what is wrong.
 */
export function registerHttpApi(router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, deps: HttpApiDeps): void {
  const route = (method: 'GET' | 'POST', path: string, handler: ApiHandler) => {
    router.on(method, path, (req, res, params) => {
      void serve(deps, req, res, params as Record<string, string | undefined>, handler);
    });
  };

  route('POST', '/apps/:appId/events', async ({ app, body }) => {
    const trigger = parseTriggerRequest(app, parseJsonObject(body));
    return triggerResponse(deps, app, [trigger], false);
  });

  route('POST', '/apps/:appId/batch_events', async ({ app, body }) => {
    const batch = parseJsonObject(body).batch;
    if (!Array.isArray(batch)) throw new HttpError('badRequest', "Request body must be {batch: [...events]}");
    if (batch.length > ProtocolLimits.eventsPerBatch) {
      throw new HttpError('badRequest', `At most ${ProtocolLimits.eventsPerBatch} events per batch, got ${batch.length}`);
    }
    const triggers = batch.map((e: unknown, i) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new HttpError('badRequest', `batch[${i}] must be an object`);
      const t = parseTriggerRequest(app, e as Record<string, unknown>, `batch[${i}]`);
      if (t.channels.length !== 1) throw new HttpError('badRequest', `batch[${i}]: a batch event targets exactly one 'channel'`);
      return t;
    });
    return triggerResponse(deps, app, triggers, true);
  });

  route('GET', '/apps/:appId/channels', async ({ app, query }) => {
    const prefix = query.get('filter_by_prefix') ?? '';
    const attrs = parseInfo(query.get('info') ?? undefined);
    if (attrs.has('user_count') && !prefix.startsWith('presence-')) {
      throw new HttpError('badRequest', 'info=user_count is only allowed with filter_by_prefix=presence-');
    }
    const channels: Record<string, Record<string, number>> = {};
    for (const name of (await deps.adapter.channels(app.id)).keys()) {
      if (isInternalChannel(name) || !name.startsWith(prefix)) continue;
      channels[name] = await channelAttributes(deps.adapter, app, name, attrs);
    }
    return { channels };
  });

  route('GET', '/apps/:appId/channels/:channelName', async ({ app, params, query }) => {
    const name = channelParam(params);
    const attrs = parseInfo(query.get('info') ?? undefined);
    checkUserCountAllowed(attrs, name);
    const count = await deps.adapter.subscriptionCount(app.id, name);
    return { occupied: count > 0, ...(await channelAttributes(deps.adapter, app, name, attrs)) };
  });

  route('GET', '/apps/:appId/channels/:channelName/users', async ({ app, params }) => {
    const name = channelParam(params);
    if (!channelKind(name).presence) throw new HttpError('badRequest', `Users can only be listed for presence channels, not ${name}`);
    const members = await deps.adapter.presence.members(app.id, name);
    return { users: [...members.keys()].map((id) => ({ id })) };
  });

  route('POST', '/apps/:appId/users/:userId/terminate_connections', async ({ app, params }) => {
    const userId = params.userId ?? '';
    const problem = userIdProblem(userId);
    if (problem) throw new HttpError('badRequest', problem);
    await deps.adapter.terminateUserConnections(app.id, userId);
    return {};
  });
}

/** Publishes validated events; the debug console's event creator goes through here too. */
export async function publishTriggers(
  deps: Pick<HttpApiDeps, 'channels' | 'activity'>,
  app: App,
  triggers: readonly TriggerRequest[],
): Promise<void> {
  for (const t of triggers) {
    for (const channel of t.channels) {
      await deps.channels.publish(app, { channel, event: t.name, data: t.data, except: t.socketId });
      deps.activity.emit('api_event', { appId: app.id, channel, event: t.name, data: t.data });
    }
  }
}

async function triggerResponse(deps: HttpApiDeps, app: App, triggers: TriggerRequest[], batch: boolean): Promise<unknown> {
  // Counted as Pusher counts messages: one per channel an event is published to.
  const events = triggers.reduce((n, t) => n + t.channels.length, 0);
  await enforceRate(deps, app, 'backend_event', app.backendEventsPerSecond, events);
  await publishTriggers(deps, app, triggers);
  if (!triggers.some((t) => t.info.size > 0)) return {};
  if (batch) {
    return { batch: await Promise.all(triggers.map((t) => channelAttributes(deps.adapter, app, t.channels[0] as string, t.info))) };
  }
  const [t] = triggers as [TriggerRequest];
  const channels: Record<string, Record<string, number>> = {};
  for (const channel of t.channels) channels[channel] = await channelAttributes(deps.adapter, app, channel, t.info);
  return { channels };
}

const RATE_LIMITED_WHAT: Record<RateLimitedAction, string> = {
  api_request: 'HTTP API requests',
  backend_event: 'events (one per channel an event is sent to)',
};

/** Takes `cost` from the app's budget for `action`; a 429 saying which limit when it does not fit. */
async function enforceRate(deps: HttpApiDeps, app: App, action: RateLimitedAction, limit: number | null, cost: number): Promise<void> {
  if (limit === null) return;
  const decision = await deps.rateLimits.take(app.id, action, limit, cost);
  if (decision.allowed) return;
  // The 429 tells the caller; the activity feed lets metrics count rejections without a log line per request.
  deps.activity.emit('rate_limited', { appId: app.id, action, limit });
  deps.log.debug({ appId: app.id, action, limit, cost }, 'HTTP API request rate-limited');
  const asked = cost > 1 ? ` (this request carries ${cost})` : '';
  throw new HttpError(
    'tooManyRequests',
    `Rate limit exceeded: this app may send at most ${limit} ${RATE_LIMITED_WHAT[action]} per second${asked}; try again shortly`,
    Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
  );
}

function channelParam(params: Record<string, string | undefined>): string {
  const name = params.channelName ?? '';
  const problem = channelNameProblem(name);
  if (problem) throw new HttpError('badRequest', problem);
  return name;
}

async function serve(
  deps: HttpApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
  handler: ApiHandler,
): Promise<void> {
  try {
    const { pathname, query } = splitTarget(req.url ?? '/');
    const app = await deps.apps.findById(params.appId ?? '');
    if (!app) throw new HttpError('notFound', `No app with id '${(params.appId ?? '').slice(0, 60)}'`);
    const body = await readBody(req, deps.maxRequestBodyBytes);
    verifySignature(app, req.method ?? 'GET', pathname, query, body);
    if (!app.enabled) throw new HttpError('forbidden', 'Application disabled');
    // Only signed requests count, so nobody but the app itself can spend its budget.
    await enforceRate(deps, app, 'api_request', app.apiRequestsPerSecond, 1);
    const result = await handler({ app, params, query, body });
    sendJson(res, 200, result);
  } catch (err) {
    if (err instanceof HttpError) {
      if (err.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(err.retryAfterSeconds));
      sendJson(res, err.status, { error: err.message });
      return;
    }
    deps.log.error({ err, url: req.url?.split('?')[0] }, 'HTTP API request failed');
    sendJson(res, 500, { error: 'Internal server error' });
  }
}

