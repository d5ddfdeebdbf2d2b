import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import { channelKind } from '../protocol/channel-names.js';
import { HttpError } from '../protocol/errors.js';
import type { ChannelName } from '../protocol/types.js';

export type InfoAttribute = 'user_count' | 'subscription_count';

/** Parses the `info` parameter (comma-separated attributes); unknown ones are refused. */
export function parseInfo(info: unknown): Set<InfoAttribute> {
  const out = new Set<InfoAttribute>();
  if (info === undefined || info === null || info === '') return out;
  if (typeof info !== 'string') throw new HttpError('badRequest', 'info must be a comma-separated string of attributes');
  for (const attr of info.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (attr !== 'user_count' && attr !== 'subscription_count' && attr !== 'cache') {
      throw new HttpError('badRequest', `Unknown info attribute '${attr.slice(0, 40)}': use user_count or subscription_count`);
    }
    if (attr !== 'cache') out.add(attr);
  }
  return out;
}

/** Refuses `user_count` for channels that are not presence channels, as Pusher does. */
export function checkUserCountAllowed(attrs: Set<InfoAttribute>, channel: ChannelName): void {
  if (attrs.has('user_count') && !channelKind(channel).presence) {
    throw new HttpError('badRequest', `user_count is only available for presence channels, not ${channel}`);
  }
}

/** The requested attributes of one channel. */
export async function channelAttributes(
  adapter: Adapter,
  app: App,
  channel: ChannelName,
  attrs: Set<InfoAttribute>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (attrs.has('user_count') && channelKind(channel).presence) {
    out.user_count = await adapter.presence.memberCount(app.id, channel);
  }
  if (attrs.has('subscription_count')) out.subscription_count = await adapter.subscriptionCount(app.id, channel);
  return out;
}
