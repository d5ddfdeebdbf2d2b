import type { Adapter } from '../adapter/adapter.js';
import type { AppStore } from '../apps/app-store.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import { isInternalChannel } from '../protocol/channel-names.js';
import type { HeraldMetrics } from '../observability/metrics.js';
import type { AppId } from '../protocol/types.js';
import { BatchWindow, byApp, jobsFor, withCounts } from './batcher.js';
import { WebhookDispatcher, type DeliverySettings } from './dispatcher.js';
import type { RecordedBatch, RecordedEvent, WebhookJob, WebhookQueue } from './queue.js';
import { WantedEvents } from './wanted-events.js';

export interface WebhookSettings extends DeliverySettings {
  /** Events of an app within this window go in one request (milliseconds). */
  readonly batchMs: number;
}

export interface WebhookDeps {
  readonly apps: AppStore;
  readonly adapter: Adapter;
  readonly activity: DomainEvents;
  readonly metrics: HeraldMetrics;
  readonly log: Logger;
  readonly queue: WebhookQueue;
}

/** Recorded events read per step when making batches; more are read in further steps. */
const EVENTS_PER_READ = 1000;

/** How long which events an app wants is trusted before it is read again (in the background). */
const WANTED_REFRESH_MS = 1000;

/**
 * Webhooks of every app: what happens (the activity feed, where channel
 * occupancy and presence membership are already decided once for the whole
 * cluster) is recorded in the durable queue as it happens, turned into
 * requests per app once the batch window is over, then delivered by the
 * dispatcher with retries.
 */
export class Webhooks {
  private readonly window: BatchWindow;
  private readonly wanted: WantedEvents;
  private readonly dispatcher: WebhookDispatcher;
  private readonly log: Logger;
  private stopWatching: (() => void) | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  /** Batches are made one after another, so they are queued in the order their events were recorded. */
  private batching: Promise<void> = Promise.resolve();
  private recordFailing = false;
  private closing = false;

  constructor(
    private readonly deps: WebhookDeps,
    private readonly settings: WebhookSettings,
  ) {
    this.log = deps.log.child({ part: 'webhooks' });
    this.window = new BatchWindow(settings.batchMs, () => void this.batch(0));
    this.wanted = new WantedEvents(deps.apps, WANTED_REFRESH_MS);
    this.dispatcher = new WebhookDispatcher(deps.queue, deps.apps, deps.activity, deps.metrics, this.log, settings);
  }

  start(): void {
    const { activity } = this.deps;
    // Internal channels (`#server-to-user-…`) are Herald's plumbing, not the app's: no webhooks for them.
    const add = (appId: AppId, event: RecordedEvent) => {
      if (!isInternalChannel(event.channel)) this.wanted.whenWanted(appId, event.name, () => this.record(appId, event));
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
      activity.on('subscribed', ({ appId, channel }) => add(appId, { name: 'subscription_count', channel })),
      activity.on('unsubscribed', ({ appId, channel }) => add(appId, { name: 'subscription_count', channel })),
    ];
    this.stopWatching = () => stops.forEach((stop) => stop());
    this.deps.metrics.setQueueDepthProbe(() => this.deps.queue.depth());
    // Events whose window no one closed: recorded by an earlier run of this node that was killed, or by
    // a node of the cluster that died. Looked for at start and then as often as the dispatcher polls.
    const batchOrphans = () => {
      if (!this.window.isOpen) void this.batch(this.settings.batchMs);
    };
    this.orphanTimer = setInterval(batchOrphans, this.settings.pollMs);
    this.orphanTimer.unref();
    batchOrphans();
    this.dispatcher.start();
  }

  /**
   * Batches what was recorded, then delivers what is due until `deadline`;
   * whatever is left stays in the durable queue for the next start.
   */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    this.stopWatching?.();
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    this.window.close();
    await this.batch(0);
    await this.dispatcher.drain(deadline);
    await this.deps.queue.close();
  }

  /** The hot path: one durable write, then the window that will batch it. */
  private record(appId: AppId, event: RecordedEvent): void {
    try {
      this.deps.queue.record(appId, event);
    } catch (err) {
      this.deps.metrics.webhookFailures.inc({ reason: 'dropped' });
      if (!this.recordFailing) this.log.error({ err, appId, event: event.name }, 'webhook events cannot be recorded: they are lost until this is fixed');
      this.recordFailing = true;
      return;
    }
    if (this.recordFailing) this.log.info('webhook events are recorded again');
    this.recordFailing = false;
    // An event whose app was still being looked up when closing began is recorded for the next start, not batched now.
    if (!this.closing) this.window.open();
  }

  /** Turns the recorded events into requests, when the oldest was recorded at least `minAgeMs` ago. */
  private batch(minAgeMs: number): Promise<void> {
    this.batching = this.batching.then(() =>
      this.queueRecorded(minAgeMs).catch((err: unknown) =>
        // The events stay recorded: the next window, or the next look for orphans, batches them.
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook events could not be batched: will try again'),
      ),
    );
    return this.batching;
  }

  private async queueRecorded(minAgeMs: number): Promise<void> {
    const { queue } = this.deps;
    for (let age = minAgeMs; ; age = 0) {
      const batch = await queue.recorded(EVENTS_PER_READ, age);
      if (!batch) return;
      const jobs = await this.jobsOf(batch);
      if (!(await queue.enqueueBatch(batch, jobs))) {
        // Another node of the cluster batched these events first, and queued their requests. Any
        // recorded after what it read get a window of their own.
        this.log.debug({ events: batch.events.length }, 'webhook events batched by another node');
        if (!this.closing) this.window.open();
        return;
      }
      if (jobs.length > 0) this.dispatcher.wake();
      if (batch.events.length < EVENTS_PER_READ) return;
    }
  }

  private async jobsOf(batch: RecordedBatch): Promise<WebhookJob[]> {
    const jobs: WebhookJob[] = [];
    const now = Date.now();
    for (const [appId, recorded] of byApp(batch)) {
      const app = await this.deps.apps.findById(appId);
      // Removed, or its webhooks taken away since: its events are dropped with the batch.
      if (!app || app.webhooks.length === 0) continue;
      const wantsCounts = app.webhooks.some((t) => t.events.includes('subscription_count'));
      const events = await withCounts(recorded, wantsCounts ? (channel) => this.deps.adapter.subscriptionCount(appId, channel) : null);
      jobs.push(...jobsFor(app, events, now));
    }
    return jobs;
  }
}
