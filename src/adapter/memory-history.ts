import type { HistoryPolicy } from '../apps/history-policy.js';
import { compareSerials, formatSerial, nextSerial, type Serial } from '../protocol/serial.js';
import type { AppId, ChannelName, SocketId } from '../protocol/types.js';
import type { HistoryRead, HistoryStore, HistoryUsage, KeptEvent } from './history-store.js';

interface Entry extends KeptEvent {
  readonly at: Serial;
}

/**
 * One channel's kept events: a ring of at most `maxEvents`, oldest first, and
 * the newest serial ever dropped from it, which tells a resume whether its
 * gap is still whole.
 */
class ChannelLog {
  private ring: (Entry | undefined)[];
  private start = 0;
  size = 0;
  bytes = 0;
  last: Serial | null = null;
  /** Newest serial no longer kept; before the first event, everything older than the log counts as dropped. */
  dropped: Serial | null = null;

  constructor(public policy: HistoryPolicy) {
    this.ring = new Array<Entry | undefined>(policy.maxEvents);
  }

  append(now: number, frame: string, except: SocketId | undefined): string {
    const at = nextSerial(this.last, now);
    if (!this.last) this.dropped = { ms: at.ms - 1, seq: Infinity };
    this.last = at;
    if (this.size === this.ring.length) this.dropOldest();
    const serial = formatSerial(at);
    this.ring[(this.start + this.size) % this.ring.length] = { at, serial, frame, except };
    this.size++;
    this.bytes += frame.length;
    return serial;
  }

  /** Drops what is older than the policy allows; the policy may have changed since the last event. */
  trim(now: number, policy: HistoryPolicy): void {
    if (policy.maxEvents !== this.ring.length) this.resize(policy.maxEvents);
    this.policy = policy;
    const oldestKept = now - policy.maxAgeSeconds * 1000;
    while (this.size > 0 && (this.entry(0) as Entry).at.ms < oldestKept) this.dropOldest();
  }

  entry(i: number): Entry | undefined {
    return i < this.size ? this.ring[(this.start + i) % this.ring.length] : undefined;
  }

  private dropOldest(): void {
    const oldest = this.ring[this.start] as Entry;
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.ring.length;
    this.size--;
    this.bytes -= oldest.frame.length;
    this.dropped = oldest.at;
  }

  private resize(capacity: number): void {
    while (this.size > capacity) this.dropOldest();
    const kept: (Entry | undefined)[] = new Array<Entry | undefined>(capacity);
    for (let i = 0; i < this.size; i++) kept[i] = this.entry(i);
    this.ring = kept;
    this.start = 0;
  }
}

/** How often idle channels' expired events are dropped, so a channel nobody publishes to stops costing memory. */
const SWEEP_MS = 10_000;

/**
 * History on one node: per channel a ring bounded by count, trimmed by age
 * when written, read and swept. Serials are "<ms>-<seq>" like Redis stream
 * ids. A channel whose events all expired is forgotten; resuming it from a
 * serial then answers `expired`, since what followed that serial is gone.
 */
export class MemoryHistory implements HistoryStore {
  private readonly logs = new Map<string, ChannelLog>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Keeps an event; returns its serial. */
  append(appId: AppId, channel: ChannelName, policy: HistoryPolicy, frame: string, except?: SocketId): string {
    const key = logKey(appId, channel);
    let log = this.logs.get(key);
    if (!log) {
      log = new ChannelLog(policy);
      this.logs.set(key, log);
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    }
    const now = this.clock();
    log.trim(now, policy);
    return log.append(now, frame, except);
  }

  async read(appId: AppId, channel: ChannelName, policy: HistoryPolicy, since: Serial | null, limit: number): Promise<HistoryRead> {
    const log = this.logs.get(logKey(appId, channel));
    if (!log) return since === null ? { kind: 'events', events: [], more: false } : { kind: since.ms > this.clock() ? 'unknown_serial' : 'expired' };
    log.trim(this.clock(), policy);
    if (since !== null) {
      if (log.last && compareSerials(since, log.last) > 0) return { kind: 'unknown_serial' };
      if (log.dropped && compareSerials(since, log.dropped) < 0) return { kind: 'expired' };
    }
    const events: KeptEvent[] = [];
    let i = 0;
    if (since !== null) while (i < log.size && compareSerials((log.entry(i) as Entry).at, since) <= 0) i++;
    for (; i < log.size && events.length < limit; i++) {
      const { serial, frame, except } = log.entry(i) as Entry;
      events.push(except === undefined ? { serial, frame } : { serial, frame, except });
    }
    return { kind: 'events', events, more: i < log.size };
  }

  async usage(): Promise<HistoryUsage> {
    let events = 0;
    let bytes = 0;
    for (const log of this.logs.values()) {
      events += log.size;
      bytes += log.bytes;
    }
    return { channels: this.logs.size, events, bytes };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, log] of this.logs) {
      log.trim(now, log.policy);
      if (log.size === 0) this.logs.delete(key);
    }
    if (this.logs.size === 0) this.close();
  }
}

function logKey(appId: AppId, channel: ChannelName): string {
  return `${appId}\u0000${channel}`;
}
