import { withSerial } from '../protocol/history-frames.js';
import type { Subscriber } from './subscriber.js';
import type { AppId, ChannelName, SocketId } from '../protocol/types.js';

type Subscribers = Map<SocketId, Subscriber>;

/** Hears a key (a channel, a user) gain its first holder on this node and lose its last: a cluster routes by it. */
export interface InterestListener<K extends string> {
  first(appId: AppId, key: K): void;
  last(appId: AppId, key: K): void;
}

/**
 * Who on this node is subscribed to what. Delivery writes one encoded frame
 * to every local subscriber: the frame is serialised once per broadcast,
 * never per socket.
 */
export class LocalSubscribers {
  private readonly apps = new Map<AppId, Map<ChannelName, Subscribers>>();
  private interest: InterestListener<ChannelName> | null = null;

  /** Tells `listener` of each channel this node starts or stops serving (one listener: the adapter's routing). */
  followInterest(listener: InterestListener<ChannelName>): void {
    this.interest = listener;
  }

  /** Adds a subscriber; true when the channel was empty on this node. */
  add(conn: Subscriber, channel: ChannelName): boolean {
    let channels = this.apps.get(conn.app.id);
    if (!channels) {
      channels = new Map();
      this.apps.set(conn.app.id, channels);
    }
    let subs = channels.get(channel);
    const first = !subs;
    if (!subs) {
      subs = new Map();
      channels.set(channel, subs);
    }
    subs.set(conn.socketId, conn);
    if (first) this.interest?.first(conn.app.id, channel);
    return first;
  }

  /** Removes a subscriber; true when the channel became empty on this node. */
  remove(conn: Subscriber, channel: ChannelName): boolean {
    const channels = this.apps.get(conn.app.id);
    const subs = channels?.get(channel);
    if (!channels || !subs || !subs.delete(conn.socketId)) return false;
    if (subs.size > 0) return false;
    channels.delete(channel);
    if (channels.size === 0) this.apps.delete(conn.app.id);
    this.interest?.last(conn.app.id, channel);
    return true;
  }

  /**
   * Writes a frame to the channel's subscribers here; returns how many got
   * it. A kept event (with its `serial`) goes to clients that opted in with
   * the serial added (that frame built once, on first need) and to the
   * others as the very same frame as ever.
   */
  deliver(appId: AppId, channel: ChannelName, frame: string, except?: SocketId, serial?: string): number {
    const subs = this.apps.get(appId)?.get(channel);
    if (!subs) return 0;
    let n = 0;
    let serialFrame: string | undefined;
    for (const [socketId, conn] of subs) {
      if (socketId === except) continue;
      if (serial !== undefined && conn.recovery) conn.recovery.live(channel, serial, (serialFrame ??= withSerial(frame, serial)));
      else conn.send(frame);
      n++;
    }
    return n;
  }

  count(appId: AppId, channel: ChannelName): number {
    return this.apps.get(appId)?.get(channel)?.size ?? 0;
  }

  /** Occupied channels of an app on this node, with their subscriber counts. */
  channels(appId: AppId): Map<ChannelName, number> {
    const out = new Map<ChannelName, number>();
    for (const [name, subs] of this.apps.get(appId) ?? []) out.set(name, subs.size);
    return out;
  }

  /** What this index holds, for the stats endpoint: a leak shows here as numbers that do not return to zero. */
  size(): { channels: number; subscriptions: number } {
    let channels = 0;
    let subscriptions = 0;
    for (const byChannel of this.apps.values()) {
      channels += byChannel.size;
      for (const subs of byChannel.values()) subscriptions += subs.size;
    }
    return { channels, subscriptions };
  }

  subscribers(appId: AppId, channel: ChannelName): Iterable<Subscriber> {
    return this.apps.get(appId)?.get(channel)?.values() ?? [];
  }
}
