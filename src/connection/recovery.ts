import type { KeptEventSink } from '../adapter/subscriber.js';
import { compareSerials, parseSerial, type Serial } from '../protocol/serial.js';
import type { ChannelName } from '../protocol/types.js';

interface Held {
  readonly serial: Serial;
  readonly frame: string;
}

/**
 * What a connection that opted in to serials (`herald:recovery`) needs so
 * that every kept event reaches it exactly once and in order: the serials it
 * asked to resume from (applied once each channel's subscription succeeds),
 * the newest serial written per channel, and the live events held while a
 * channel's replay is fetched.
 */
export class ConnectionRecovery implements KeptEventSink {
  private readonly pending = new Map<ChannelName, string>();
  private readonly lastSent = new Map<ChannelName, Serial>();
  private readonly holds = new Map<ChannelName, Held[]>();
  /** Channels with a resume under way: at most one each. */
  private readonly resuming = new Set<ChannelName>();

  constructor(private readonly write: (frame: string) => void) {}

  /**
   * A serial to resume a channel from once its subscription succeeds
   * (`herald:recovery`, or `herald:resume` before subscribing); false when
   * `max` channels are waiting already (what a client can make the server hold stays bounded).
   */
  resumeLater(channel: ChannelName, since: string, max: number): boolean {
    if (!this.pending.has(channel) && this.pending.size >= max) return false;
    this.pending.set(channel, since);
    return true;
  }

  /** The channel was subscribed: live events wait if a resume is pending for it. */
  subscribed(channel: ChannelName): void {
    if (this.pending.has(channel)) this.hold(channel);
  }

  /** The serial to resume the channel from, taken once. */
  takePending(channel: ChannelName): string | undefined {
    const since = this.pending.get(channel);
    this.pending.delete(channel);
    return since;
  }

  /** The channel was left: nothing about it is kept. */
  unsubscribed(channel: ChannelName): void {
    this.pending.delete(channel);
    this.lastSent.delete(channel);
    this.holds.delete(channel);
    this.resuming.delete(channel);
  }

  /** Starts a resume of the channel; false when one is already under way. Live events are held until `finish`. */
  begin(channel: ChannelName): boolean {
    if (this.resuming.has(channel)) return false;
    this.resuming.add(channel);
    this.hold(channel);
    return true;
  }

  /** Nothing at or before `serial` is written on this channel from now on (what the client has already seen). */
  seen(channel: ChannelName, serial: Serial): void {
    const last = this.lastSent.get(channel);
    if (!last || compareSerials(serial, last) > 0) this.lastSent.set(channel, serial);
  }

  /** Writes a replayed event unless the client already got it; true when written. */
  replay(channel: ChannelName, serial: Serial, frame: string): boolean {
    return this.writeOnce(channel, serial, frame);
  }

  /** The newest serial written on the channel. */
  last(channel: ChannelName): Serial | undefined {
    return this.lastSent.get(channel);
  }

  /** The replay is written: the held live events follow, those already replayed skipped. */
  finish(channel: ChannelName): void {
    this.resuming.delete(channel);
    const held = this.holds.get(channel);
    this.holds.delete(channel);
    for (const h of held ?? []) this.writeOnce(channel, h.serial, h.frame);
  }

  live(channel: ChannelName, serial: string, frame: string): void {
    const at = parseSerial(serial);
    if (!at) return;
    const held = this.holds.get(channel);
    if (held) held.push({ serial: at, frame });
    else this.writeOnce(channel, at, frame);
  }

  private hold(channel: ChannelName): void {
    if (!this.holds.has(channel)) this.holds.set(channel, []);
  }

  private writeOnce(channel: ChannelName, serial: Serial, frame: string): boolean {
    const last = this.lastSent.get(channel);
    if (last && compareSerials(serial, last) <= 0) return false;
    this.lastSent.set(channel, serial);
    this.write(frame);
    return true;
  }
}
