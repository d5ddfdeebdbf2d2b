import { existsSync } from 'node:fs';
import type { QueuedJob, WebhookJob, WebhookQueue } from './queue.js';

/**
 * A queue file is only created once there is something to queue, so a
 * Herald whose apps have no webhooks leaves no file behind. One left by an
 * earlier run is opened at once: its jobs are still owed.
 */
export class LazyQueue implements WebhookQueue {
  private queue: WebhookQueue | null = null;

  constructor(
    private readonly path: string,
    private readonly open: (path: string) => WebhookQueue,
  ) {
    if (existsSync(path)) this.queue = open(path);
  }

  async enqueue(jobs: readonly WebhookJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.queue ??= this.open(this.path);
    await this.queue.enqueue(jobs);
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
