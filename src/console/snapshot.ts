import type { Adapter } from '../adapter/adapter.js';
import { channelKind } from '../protocol/channel-names.js';
import type { AppId, ChannelName, UserId } from '../protocol/types.js';

/** Enough for a screen; an app with more channels shows the busiest ones and says how many there are. */
export const SNAPSHOT_MAX_CHANNELS = 200;
export const SNAPSHOT_MAX_MEMBERS = 100;

export interface ConsoleChannel {
  readonly name: ChannelName;
  readonly subscriptions: number;
  /** Presence channels only: distinct members, and the first of them with their user_info. */
  readonly presence?: { readonly count: number; readonly members: Array<{ id: UserId; info: unknown }> };
}

export interface ConsoleSnapshot {
  readonly connections: number;
  readonly totalChannels: number;
  readonly channels: ConsoleChannel[];
}

/**
 * What an app looks like now, read through the adapter only, so that on a
 * cluster it is the cluster's view and not this node's.
 */
export async function takeSnapshot(adapter: Adapter, appId: AppId): Promise<ConsoleSnapshot> {
  const [connections, all] = await Promise.all([adapter.connectionCount(appId), adapter.channels(appId)]);
  const busiest = [...all]
    .sort(([a, na], [b, nb]) => nb - na || a.localeCompare(b))
    .slice(0, SNAPSHOT_MAX_CHANNELS)
    .sort(([a], [b]) => a.localeCompare(b));
  const channels = await Promise.all(
    busiest.map(async ([name, subscriptions]): Promise<ConsoleChannel> => {
      if (!channelKind(name).presence) return { name, subscriptions };
      const members = await adapter.presence.members(appId, name);
      const listed = [...members].slice(0, SNAPSHOT_MAX_MEMBERS).map(([id, info]) => ({ id, info }));
      return { name, subscriptions, presence: { count: members.size, members: listed } };
    }),
  );
  return { connections, totalChannels: all.size, channels };
}
