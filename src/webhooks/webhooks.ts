import type { Adapter } from '../adapter/adapter.js';
import type { AppStore } from '../apps/app-store.js';
import type { ActivityFeed } from '../observability/activity.js';
import type { Logger } from '../observability/logger.js';
import type { HeraldMetrics } from '../observability/metrics.js';
import type { AppId, ChannelName } from '../protocol/types.js';
import { jobsFor, WebhookBatcher } from './batcher.js';
import { WebhookDispatcher, type DeliverySettings } from './dispatcher.js';
import type { WebhookEvent } from './events.js';
import type { WebhookQueue } from './queue.js';

export interface WebhookSettings extends DeliverySettings {
  /** Events of an app within this window go in one request (milliseconds). */
  readonly batchMs: number;
}

export interface WebhookDeps {
  readonly apps: AppStore;
  readonly adapter: Adapter;
  readonly activity: ActivityFeed;
  readonly metrics: HeraldMetrics;
  readonly log: Logger;
  readonly queue: WebhookQueue;
}

/** Channels whose subscription count is read per flush, at most; the rest wait for the next change. */
const MAX_COUNTS_PER_FLUSH = 100;

/**
 * Webhooks of every app: what happens (the activity feed, where channel
 * occupancy and presence membership are already decided once for the whole
 * cluster) is batched per app, queued durably, then delivered by the
 * dispatcher with retries.
 */
export class Webhooks {
  private readonly batcher: WebhookBatcher;
  private readonly dispatcher: WebhookDispatcher;
  private stopWatching: (() => void) | null = null;
  /** Flushes run one after another, so batches are queued in the order they were made. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: WebhookDeps,
    settings: WebhookSettings,
  ) {
    this.batcher = new WebhookBatcher(settings.batchMs, () => void this.flush());
    this.dispatcher = new WebhookDispatcher(deps.queue, deps.apps, deps.activity, deps.metrics, deps.log.child({ part: 'webhooks' }), settings);
  }

  start(): void {
    const { activity } = this.deps;
    // Internal channels (`#server-to-user-…`) are Herald's plumbing, not the app's: no webhooks for them.
    const add = (appId: AppId, event: WebhookEvent) => {
      if (!event.channel.startsWith('#')) this.batcher.add(appId, event);
    };
    const countChanged = ({ appId, channel }: { appId: AppId; channel: ChannelName }) => {
      if (!channel.startsWith('#')) this.batcher.subscriptionCountChanged(appId, channel);
    };
    const stops = [
      activity.on('channel_occupied', ({ appId, channel }) => add(appId, { name: 'channel_occupied', channel })),
      activity.on('channel_vacated', ({ appId, channel }) => add(appId, { name: 'channel_vacated', channel })),
      activity.on('member_added', ({ appId, channel, userId }) => add(appId, { name: 'member_added', channel, user_id: userId })),
      activity.on('member_removed', ({ appId, channel, userId }) => add(appId, { name: 'member_removed', channel, user_id: userId })),
      activity.on('cache_miss', ({ appId, channel }) => add(appId, { name: 'cache_miss', channel })),
      activity.on('client_event', ({ appId, channel, event, data, socketId, userId }) =>
        add(appId, { name: 'client_event', channel, event, data, socket_id: socketId, ...(userId === undefined ? {} : { user_id: userId }) }),
      ),
      activity.on('subscribed', countChanged),
      activity.on('unsubscribed', countChanged),
    ];
    this.stopWatching = () => stops.forEach((stop) => stop());
    this.deps.metrics.setQueueDepthProbe(() => this.deps.queue.depth());
    this.dispatcher.start();
  }

  /**
   * Queues what is still being batched, then delivers what is due until
   * `deadline`; whatever is left stays in the durable queue for the next start.
   */
  async close(deadline: number): Promise<void> {
    this.stopWatching?.();
    await this.flush();
    this.batcher.close();
    await this.dispatcher.drain(deadline);
    await this.deps.queue.close();
  }

  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() =>
      this.queueBatches().catch((err: unknown) => this.deps.log.error({ err }, 'webhooks could not be queued')),
    );
    return this.flushing;
  }

  private async queueBatches(): Promise<void> {
    const { events, countChanged } = this.batcher.take();
    const appIds = new Set([...events.keys(), ...countChanged.keys()]);
    for (const appId of appIds) {
      const app = await this.deps.apps.findById(appId);
      if (!app || app.webhooks.length === 0) continue;
      const appEvents = events.get(appId) ?? [];
      const channels = countChanged.get(appId);
      if (channels && app.webhooks.some((t) => t.events.includes('subscription_count'))) {
        for (const channel of [...channels].slice(0, MAX_COUNTS_PER_FLUSH)) {
          // Once for the cluster: null when another node (or an earlier flush) told this count already.
          const count = await this.deps.adapter.subscriptionCountToTell(appId, channel, 'webhooks');
          if (count !== null) appEvents.push({ name: 'subscription_count', channel, subscription_count: count });
        }
      }
      const jobs = jobsFor(app, appEvents);
      if (jobs.length === 0) continue;
      await this.deps.queue.enqueue(jobs);
    }
    this.dispatcher.wake();
  }
}
