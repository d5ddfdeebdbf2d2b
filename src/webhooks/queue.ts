import type { AppId, ChannelName } from '../protocol/types.js';
import type { WebhookEvent } from '../protocol/webhook-events.js';

/**
 * An event as it is recorded, before it is batched. A subscription count
 * change carries no count: the count is read when the batch is made, so a
 * burst of changes sends the count as it ended up.
 */
export type RecordedEvent = Exclude<WebhookEvent, { name: 'subscription_count' }> | { readonly name: 'subscription_count'; readonly channel: ChannelName };

/** The oldest recorded events, as `recorded` read them. */
export interface RecordedBatch {
  readonly events: readonly { readonly appId: AppId; readonly event: RecordedEvent }[];
  /** Where the batch starts and ends in the queue's log of events (opaque to callers). */
  readonly first: string;
  readonly last: string;
}

/** One webhook request to make: a signed body for one URL of one app. */
export interface WebhookJob {
  readonly appId: AppId;
  readonly url: string;
  /** The JSON body exactly as it will be sent and signed. */
  readonly body: string;
  /** Names of the events inside, for logs and the activity feed. */
  readonly eventNames: readonly string[];
}

export interface QueuedJob extends WebhookJob {
  readonly id: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  /** When it was first queued (milliseconds since the epoch). */
  readonly createdAt: number;
}

/**
 * The durable, at-least-once store of webhooks, from the moment an event
 * happens until its request is answered with a 2xx.
 *
 * Events are recorded one by one as they happen (so a killed process loses
 * none that were still waiting for their batch window), then read in order
 * and turned into requests in one atomic step: a batch is queued exactly
 * once even when two nodes read the same events.
 *
 * A claimed job is leased, not removed: if the process dies before
 * `complete` or `retryLater`, the lease runs out and the job is due again,
 * so a crash can repeat a request but never lose one.
 */
export interface WebhookQueue {
  /**
   * Writes one event where a killed process cannot lose it, before
   * returning: on the hot path, so synchronous and cheap. A queue whose
   * store is unreachable for a while holds the event in memory (and says
   * so); it throws only when the event cannot be kept at all.
   */
  record(appId: AppId, event: RecordedEvent): void;
  /**
   * Up to `max` of the oldest recorded events, or null when there are none
   * or the oldest was recorded less than `minAgeMs` ago.
   */
  recorded(max: number, minAgeMs: number): Promise<RecordedBatch | null>;
  /**
   * Queues the requests made of `batch` and forgets its events, at once.
   * False, with nothing queued, when its events were batched meanwhile by
   * someone else (another node of the cluster).
   */
  enqueueBatch(batch: RecordedBatch, jobs: readonly WebhookJob[]): Promise<boolean>;
  /** Takes up to `max` due jobs, leasing each for `leaseMs`. */
  claim(max: number, leaseMs: number): Promise<QueuedJob[]>;
  /** Answered: gone for good. */
  complete(id: string): Promise<void>;
  /** Failed: due again after `delayMs`, with one more attempt counted. */
  retryLater(id: string, delayMs: number): Promise<void>;
  /** Jobs waiting, leased ones included. */
  depth(): Promise<number>;
  close(): Promise<void>;
}
