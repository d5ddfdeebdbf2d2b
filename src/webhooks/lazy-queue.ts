import { existsSync } from 'node:fs';
import type { AppId } from '../protocol/types.js';
import type { QueuedJob, RecordedBatch, RecordedEvent, WebhookJob, WebhookQueue } from './queue.js';

/**
 * A queue file is only created once there is something to queue, so a
 * Herald whose apps have no webhooks leaves no file behind. One left by an
 * earlier run is opened at once: its events and jobs are still owed.
 */
export class LazyQueue implements WebhookQueue {
  private queue: WebhookQueue | null = null;

  constructor(
    private readonly path: string,
    private readonly open: (path: string) => WebhookQueue,
  ) {
    if (existsSync(path)) this.queue = open(path);
  }

  record(appId: AppId, event: RecordedEvent): void {
    this.queue ??= this.open(this.path);
    this.queue.record(appId, event);
  }

  async recorded(max: number, minAgeMs: number): Promise<RecordedBatch | null> {
    return this.queue ? this.queue.recorded(max, minAgeMs) : null;
  }

  async enqueueBatch(batch: RecordedBatch, jobs: readonly WebhookJob[]): Promise<boolean> {
    // A batch was read from the queue, so it exists.
    this.queue ??= this.open(this.path);
    return this.queue.enqueueBatch(batch, jobs);
  }

  async claim(max: number, leaseMs: number): Promise<QueuedJob[]> {
    return this.queue ? this.queue.claim(max, leaseMs) : [];
  }

  async complete(id: string): Promise<void> {
    await this.queue?.complete(id);
  }

  async retryLater(id: string, delayMs: number): Promise<void> {
    await this.queue?.retryLater(id, delayMs);
  }

  async depth(): Promise<number> {
    return this.queue ? this.queue.depth() : 0;
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}
