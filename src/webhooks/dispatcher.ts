import type { AppStore } from '../apps/app-store.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import type { HeraldMetrics } from '../observability/metrics.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { QueuedJob, WebhookQueue } from './queue.js';
import { webhookSignature } from './signature.js';

export interface DeliverySettings {
  /** A receiver that has not answered by then has failed (milliseconds). */
  readonly timeoutMs: number;
  readonly retry: BackoffPolicy;
  /** A job still failing this long after it was queued is dropped, loudly (milliseconds). */
  readonly maxAgeMs: number;
  /** Requests in flight at once from this node. */
  readonly concurrency: number;
  /** How often the queue is looked at for retries that came due or jobs of other nodes (milliseconds). */
  readonly pollMs: number;
}

type Outcome = { ok: true; status: number } | { ok: false; reason: 'status' | 'network' | 'timeout'; status: number | null; error: string };

/**
 * Takes due jobs from the queue and makes their requests: signed with the
 * app's current secret, answered within the timeout, removed only on a 2xx,
 * otherwise retried with backoff until the job is too old.
 */
export class WebhookDispatcher {
  private inFlight = new Set<Promise<void>>();
  private running: Promise<void> | null = null;
  private pumpAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly queue: WebhookQueue,
    private readonly apps: AppStore,
    private readonly activity: DomainEvents,
    private readonly metrics: HeraldMetrics,
    private readonly log: Logger,
    private readonly settings: DeliverySettings,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** New jobs were queued, or a request finished: look at the queue now. */
  wake(): void {
    if (this.stopped) return;
    void this.pump();
  }

  /**
   * Stops taking new work after delivering what is due now, within
   * `deadline`; what is left stays queued for the next start.
   */
  async drain(deadline: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (Date.now() < deadline) {
      await this.pump();
      // Nothing due was taken and nothing is on its way: what is left waits for a retry time.
      if (this.inFlight.size === 0) break;
      await Promise.race([Promise.all(this.inFlight), sleep(Math.max(0, deadline - Date.now()))]);
    }
    this.stopped = true;
  }

  /** One run at a time; a call during a run asks it to go round again and waits for it. */
  private pump(): Promise<void> {
    if (this.running) {
      this.pumpAgain = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      do {
        this.pumpAgain = false;
        const room = this.settings.concurrency - this.inFlight.size;
        if (room <= 0) break;
        const jobs = await this.queue.claim(room, this.settings.timeoutMs + 10_000);
        for (const job of jobs) {
          const delivery: Promise<void> = this.deliver(job)
            .catch((err: unknown) => this.log.error({ err, appId: job.appId }, 'webhook queue operation failed'))
            .finally(() => {
              this.inFlight.delete(delivery);
              this.wake();
            });
          this.inFlight.add(delivery);
        }
        if (jobs.length === room) this.pumpAgain = true;
      } while (this.pumpAgain);
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook queue unreachable: will try again');
    }
  }

  private async deliver(job: QueuedJob): Promise<void> {
    const app = await this.apps.findById(job.appId);
    if (!app) {
      this.log.warn({ appId: job.appId, events: job.eventNames }, 'webhook dropped: its app no longer exists');
      this.metrics.webhookFailures.inc({ reason: 'dropped' });
      await this.queue.complete(job.id);
      return;
    }
    const outcome = await post(job.url, job.body, app.key, webhookSignature(job.body, app.secret), this.settings.timeoutMs);
    this.activity.emit('webhook_sent', {
      appId: job.appId,
      events: [...job.eventNames],
      status: outcome.status,
      ...(outcome.ok ? {} : { error: outcome.error }),
    });
    if (outcome.ok) {
      this.metrics.webhookDeliveries.inc();
      await this.queue.complete(job.id);
      if (job.attempts > 0) this.log.info({ appId: job.appId, target: host(job.url), attempts: job.attempts + 1 }, 'webhook delivered after retries');
      return;
    }
    this.metrics.webhookFailures.inc({ reason: outcome.reason });
    const attempts = job.attempts + 1;
    if (Date.now() - job.createdAt >= this.settings.maxAgeMs) {
      this.metrics.webhookFailures.inc({ reason: 'dropped' });
      this.log.error(
        { appId: job.appId, target: host(job.url), attempts, events: job.eventNames, status: outcome.status, error: outcome.error },
        'webhook dropped: still failing after the maximum age',
      );
      await this.queue.complete(job.id);
      return;
    }
    const delayMs = retryDelayMs(this.settings.retry, attempts);
    this.log.warn({ appId: job.appId, target: host(job.url), attempts, status: outcome.status, error: outcome.error, retryInMs: delayMs }, 'webhook failed: will retry');
    await this.queue.retryLater(job.id, delayMs);
  }
}

async function post(url: string, body: string, key: string, signature: string, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-pusher-key': key, 'x-pusher-signature': signature },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the answer to its end so the connection can be reused; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, reason: 'status', status: res.status, error: `answered ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: timedOut ? 'timeout' : 'network', status: null, error: timedOut ? `no answer within ${timeoutMs} ms` : cause };
  }
}

/** Where a webhook went, without the path or credentials a URL may carry. */
function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
