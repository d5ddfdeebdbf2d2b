import type { App } from '../apps/app.js';
import type { AppId, ChannelName } from '../protocol/types.js';
import type { WebhookBody, WebhookEvent } from '../protocol/webhook-events.js';
import type { WebhookJob } from './queue.js';

/** Pusher's receivers take batches; beyond this many events a batch is split. */
export const MAX_EVENTS_PER_REQUEST = 100;

/**
 * Collects an app's webhook events for a short window, then turns them into
 * one request per URL with the events that URL wants.
 */
export class WebhookBatcher {
  private readonly pending = new Map<AppId, WebhookEvent[]>();
  /** Channels whose subscription count changed in the window; the count is read at flush time. */
  private readonly countChanged = new Map<AppId, Set<ChannelName>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly onDue: () => void,
  ) {}

  add(appId: AppId, event: WebhookEvent): void {
    let events = this.pending.get(appId);
    if (!events) this.pending.set(appId, (events = []));
    events.push(event);
    this.schedule();
  }

  subscriptionCountChanged(appId: AppId, channel: ChannelName): void {
    let channels = this.countChanged.get(appId);
    if (!channels) this.countChanged.set(appId, (channels = new Set()));
    channels.add(channel);
    this.schedule();
  }

  /** Everything collected so far, and forgets it. */
  take(): { events: Map<AppId, WebhookEvent[]>; countChanged: Map<AppId, Set<ChannelName>> } {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const out = { events: new Map(this.pending), countChanged: new Map(this.countChanged) };
    this.pending.clear();
    this.countChanged.clear();
    return out;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onDue();
    }, this.windowMs);
  }
}

/** The requests for one app's events: one per URL (split when long), each with only the events it asked for. */
export function jobsFor(app: App, events: readonly WebhookEvent[], now = Date.now()): WebhookJob[] {
  const jobs: WebhookJob[] = [];
  for (const target of app.webhooks) {
    const wanted = events.filter((e) => target.events.includes(e.name));
    for (let i = 0; i < wanted.length; i += MAX_EVENTS_PER_REQUEST) {
      const slice = wanted.slice(i, i + MAX_EVENTS_PER_REQUEST);
      const body: WebhookBody = { time_ms: now, events: slice };
      jobs.push({ appId: app.id, url: target.url, body: JSON.stringify(body), eventNames: slice.map((e) => e.name) });
    }
  }
  return jobs;
}
