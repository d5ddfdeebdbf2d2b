import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import { channelKind, isInternalChannel } from '../protocol/channel-names.js';
import { encodeFrame } from '../protocol/frames.js';
import type { AppId, ChannelName } from '../protocol/types.js';

/** Changes within this window are told once, with the count at its end. */
const SETTLE_MS = 100;

/**
 * Pusher's subscription counting: for apps that turn it on, the subscribers
 * of a public or private channel receive `pusher_internal:subscription_count`
 * (pusher-js: `channel.bind('pusher:subscription_count')`) when the count
 * changes. A burst of joins is told once, after it settles, with the
 * cluster-wide count, and once for the cluster however many nodes' counts
 * moved. Presence channels have member events instead.
 */
export class SubscriptionCounts {
  private readonly due = new Map<string, { appId: AppId; channel: ChannelName }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly adapter: Adapter) {}

  changed(app: App, channel: ChannelName): void {
    if (!app.subscriptionCountEvents || isInternalChannel(channel) || channelKind(channel).presence) return;
    this.due.set(`${app.id}\u0000${channel}`, { appId: app.id, channel });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.tell(), SETTLE_MS);
      this.timer.unref();
    }
  }

  private async tell(): Promise<void> {
    this.timer = undefined;
    const due = [...this.due.values()];
    this.due.clear();
    for (const { appId, channel } of due) {
      // Told by whichever node arrives at the count first; the others find it told already.
      const count = await this.adapter.subscriptionCountToTell(appId, channel);
      if (count !== null && count > 0) {
        this.adapter.broadcast(appId, channel, encodeFrame('pusher_internal:subscription_count', { subscription_count: count }, channel));
      }
    }
  }
}
