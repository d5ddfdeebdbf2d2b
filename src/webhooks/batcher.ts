import type { App } from '../apps/app.js';
import type { AppId, ChannelName } from '../protocol/types.js';
import type { WebhookBody, WebhookEvent } from '../protocol/webhook-events.js';
import type { RecordedBatch, RecordedEvent, WebhookJob } from './queue.js';

/** Pusher's receivers take batches; beyond this many events a batch is split. */
export const MAX_EVENTS_PER_REQUEST = 100;

/** Channels whose subscription count is read per app and batch, at most; the rest wait for their next change. */
export const MAX_COUNTS_PER_BATCH = 100;

/**
 * The batch window. The events themselves are already in the durable
 * queue; this only says when to turn them into requests: one window after
 * the first event recorded since the last batch.
 */
export class BatchWindow {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly onDue: () => void,
  ) {}

  /** An event was recorded: batch it when the window ends (a window already open takes it along). */
  open(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onDue();
    }, this.windowMs);
  }

  get isOpen(): boolean {
    return this.timer !== null;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** A batch's events per app, each app's in the order they were recorded. */
export function byApp(batch: RecordedBatch): Map<AppId, RecordedEvent[]> {
  const out = new Map<AppId, RecordedEvent[]>();
  for (const { appId, event } of batch.events) {
    let events = out.get(appId);
    if (!events) out.set(appId, (events = []));
    events.push(event);
  }
  return out;
}

/**
 * The events to send for one app's recorded events: as recorded, then one
 * `subscription_count` per channel whose count changed, with the count as
 * it is now (when `readCount` is given: some URL wants them).
 */
export async function withCounts(recorded: readonly RecordedEvent[], readCount: ((channel: ChannelName) => Promise<number>) | null): Promise<WebhookEvent[]> {
  const events: WebhookEvent[] = [];
  const changed = new Set<ChannelName>();
  for (const event of recorded) {
    if (event.name === 'subscription_count') changed.add(event.channel);
    else events.push(event);
  }
  if (readCount) {
    for (const channel of [...changed].slice(0, MAX_COUNTS_PER_BATCH)) {
      events.push({ name: 'subscription_count', channel, subscription_count: await readCount(channel) });
    }
  }
  return events;
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
