import type { AppId } from '../protocol/types.js';

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
 * The durable, at-least-once store of webhook requests not yet answered with
 * a 2xx. A claimed job is leased, not removed: if the process dies before
 * `complete` or `retryLater`, the lease runs out and the job is due again,
 * so a crash can repeat a request but never lose one.
 */
export interface WebhookQueue {
  enqueue(jobs: readonly WebhookJob[]): Promise<void>;
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
