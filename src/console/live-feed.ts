import type { Adapter } from '../adapter/adapter.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import type { AppId } from '../protocol/types.js';
import { LOGGED_ACTIVITIES, toEntry, type Activity, type ConsoleEntry } from './entries.js';
import type { ConsoleRelay } from './relay.js';
import { takeSnapshot, type ConsoleSnapshot } from './snapshot.js';

/** Snapshots follow changes at most this often, and are refreshed this often anyway (other nodes' changes). */
const SNAPSHOT_THROTTLE_MS = 250;
const SNAPSHOT_REFRESH_MS = 5000;
const STATS_EVERY_MS = 1000;

export interface ConsoleStats {
  readonly at: number;
  readonly connections: number;
  /** API and client events of the app in the last second (this node's, and other nodes' through the relay). */
  readonly messagesPerSecond: number;
}

export type ConsoleMessage =
  | { kind: 'entry'; data: ConsoleEntry }
  | { kind: 'snapshot'; data: ConsoleSnapshot }
  | { kind: 'stats'; data: ConsoleStats };

/** Activities after which the channel list or the members may have changed. */
const CHANGES_SNAPSHOT = new Set<Activity>([
  'connection_opened',
  'connection_closed',
  'subscribed',
  'unsubscribed',
  'member_added',
  'member_removed',
]);

const COUNTS_AS_MESSAGE = new Set<Activity>(['api_event', 'client_event']);

/**
 * What one open console page receives for one app: every activity of that
 * app as it happens, a snapshot of channels and presence members when they
 * change, and stats once a second. Listens to the activity feed only while
 * the page is open, so an unwatched Herald pays nothing for it.
 */
export class ConsoleLiveFeed {
  private readonly detach: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private messagesThisSecond = 0;
  private snapshotDue: NodeJS.Timeout | undefined;
  private snapshotRunning = false;
  private snapshotAgain = false;
  private stopped = false;

  constructor(
    private readonly appId: AppId,
    private readonly activity: DomainEvents,
    private readonly adapter: Adapter,
    private readonly log: Logger,
    private readonly relay: ConsoleRelay,
    private readonly send: (message: ConsoleMessage) => void,
  ) {}

  start(): void {
    for (const type of LOGGED_ACTIVITIES) {
      this.detach.push(
        this.activity.on(type, (event) => {
          if (event.appId === this.appId) this.onEntry(toEntry(type, event));
        }),
      );
    }
    this.detach.push(this.relay.watch(this.appId, (entry) => this.onEntry(entry)));
    this.timers.push(setInterval(() => void this.sendStats(), STATS_EVERY_MS));
    this.timers.push(setInterval(() => void this.sendSnapshot(), SNAPSHOT_REFRESH_MS));
    void this.sendSnapshot();
    void this.sendStats();
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.detach.splice(0)) off();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    clearTimeout(this.snapshotDue);
  }

  /** An activity of the watched app, on this node or (through the relay) another. */
  private onEntry(entry: ConsoleEntry): void {
    if (COUNTS_AS_MESSAGE.has(entry.type)) this.messagesThisSecond++;
    this.send({ kind: 'entry', data: entry });
    if (CHANGES_SNAPSHOT.has(entry.type) && !this.snapshotDue) {
      this.snapshotDue = setTimeout(() => {
        this.snapshotDue = undefined;
        void this.sendSnapshot();
      }, SNAPSHOT_THROTTLE_MS);
    }
  }

  private async sendStats(): Promise<void> {
    const messagesPerSecond = this.messagesThisSecond;
    this.messagesThisSecond = 0;
    try {
      const connections = await this.adapter.connectionCount(this.appId);
      if (!this.stopped) this.send({ kind: 'stats', data: { at: Date.now(), connections, messagesPerSecond } });
    } catch (err) {
      this.log.warn({ err, appId: this.appId }, 'console: reading connection count failed');
    }
  }

  /** One snapshot at a time; a change during one is picked up by one more right after. */
  private async sendSnapshot(): Promise<void> {
    if (this.snapshotRunning) {
      this.snapshotAgain = true;
      return;
    }
    this.snapshotRunning = true;
    try {
      do {
        this.snapshotAgain = false;
        const snapshot = await takeSnapshot(this.adapter, this.appId);
        if (!this.stopped) this.send({ kind: 'snapshot', data: snapshot });
      } while (this.snapshotAgain && !this.stopped);
    } catch (err) {
      this.log.warn({ err, appId: this.appId }, 'console: reading channels failed');
    } finally {
      this.snapshotRunning = false;
    }
  }
}
