import type { AppStore } from '../apps/app-store.js';
import type { AppId } from '../protocol/types.js';
import { WEBHOOK_EVENT_NAMES, type WebhookEventName } from '../protocol/webhook-events.js';

interface Known {
  readonly names: ReadonlySet<WebhookEventName>;
  readonly at: number;
  refreshing: boolean;
}

const EVERY_EVENT: ReadonlySet<WebhookEventName> = new Set(WEBHOOK_EVENT_NAMES);

/**
 * Which webhook events each app wants, known without waiting. An event is
 * written to the durable queue on the hot path, so only events some URL of
 * the app asked for are written at all: an app without webhooks costs
 * nothing, and a Herald with none never creates a queue.
 *
 * An app is looked up the first time it has an event (its events wait in
 * order meanwhile: the stores Herald serves answer from memory, so that is
 * a few microtasks), then again in the background once its answer is older
 * than `refreshMs`, so webhooks added to a stored app are followed within
 * the store's own cache time plus that.
 */
export class WantedEvents {
  private readonly known = new Map<AppId, Known>();
  private readonly waiting = new Map<AppId, { name: WebhookEventName; then: () => void }[]>();

  constructor(
    private readonly apps: AppStore,
    private readonly refreshMs: number,
  ) {}

  /** Calls `then` if the app wants `name`: at once when the app is known, else once it has been looked up. */
  whenWanted(appId: AppId, name: WebhookEventName, then: () => void): void {
    const known = this.known.get(appId);
    if (known) {
      if (!known.refreshing && Date.now() - known.at > this.refreshMs) {
        known.refreshing = true;
        void this.lookUp(appId);
      }
      if (known.names.has(name)) then();
      return;
    }
    const waiting = this.waiting.get(appId);
    if (waiting) {
      waiting.push({ name, then });
      return;
    }
    this.waiting.set(appId, [{ name, then }]);
    void this.lookUp(appId);
  }

  private async lookUp(appId: AppId): Promise<void> {
    let names: ReadonlySet<WebhookEventName>;
    try {
      const app = await this.apps.findById(appId);
      names = new Set(app?.webhooks.flatMap((target) => target.events) ?? []);
    } catch {
      // Keep everything when the store cannot say: the batch reads the app again and drops what no URL wants.
      names = EVERY_EVENT;
    }
    this.known.set(appId, { names, at: Date.now(), refreshing: false });
    const waiting = this.waiting.get(appId) ?? [];
    this.waiting.delete(appId);
    for (const { name, then } of waiting) if (names.has(name)) then();
  }
}
