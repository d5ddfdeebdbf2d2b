import FindMyWay from 'find-my-way';
import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { ChannelService } from '../channels/channel-service.js';
import { channelKind, channelNameProblem, isInternalChannel, userIdProblem } from '../protocol/channel-names.js';
import { HttpError } from '../protocol/errors.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { answerError } from '../http/answer.js';
import { sendJson } from '../http/json.js';
import { parseJsonObject } from '../http/body.js';
import { channelAttributes, checkUserCountAllowed, parseInfo } from './channel-info.js';
import { readHistory } from './history.js';
import { parseTriggerRequest, type TriggerRequest } from './events.js';
import { authenticate, enforceRate, type SignedRequest, type SignedRequestDeps } from './signed-request.js';

export interface HttpApiDeps extends SignedRequestDeps {
  readonly adapter: Adapter;
  readonly channels: ChannelService;
}

/** A signed request that passed every check, with its path parameters. */
interface ApiRequest extends SignedRequest {
  readonly params: Record<string, string | undefined>;
}

type ApiHandler = (req: ApiRequest) => Promise<unknown>;

/**
 * The signed HTTP API of the Pusher Channels protocol, under /apps/{app_id}.
 * Every request is authenticated before its body is looked at, and every
 * failure is answered with its status and a JSON `{error}` saying what is wrong.
 */
export function registerHttpApi(router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, deps: HttpApiDeps): void {
  const how = { log: deps.log, what: 'HTTP API request' };
  const route = (method: 'GET' | 'POST', path: string, handler: ApiHandler) => {
    router.on(method, path, (req, res, rawParams) => {
      const params = rawParams as Record<string, string | undefined>;
      // One async step per request on the hot path (publish): authenticate, handle, answer.
      void (async () => {
        try {
          const { app, query, body } = await authenticate(deps, req, params.appId ?? '');
          sendJson(res, 200, await handler({ app, query, body, params }));
        } catch (err) {
          answerError(req, res, how, err);
        }
      })();
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

  route('GET', '/apps/:appId/channels/:channelName/events', async ({ app, params, query }) => {
    return readHistory(deps.adapter, app, channelParam(params), query);
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

function channelParam(params: Record<string, string | undefined>): string {
  const name = params.channelName ?? '';
  const problem = channelNameProblem(name);
  if (problem) throw new HttpError('badRequest', problem);
  return name;
}
