// attachRecovery: Herald's resume protocol on an existing pusher-js client.
// It keeps the last serial seen per channel, opts each new connection in
// with `herald:recovery` (listing those serials) before pusher-js
// resubscribes, and reports what the server answers once the channel is
// subscribed again. Against a server that does not speak the protocol the
// frame is ignored or answered with a harmless pusher:error, events carry no
// serial, and the module only reports that it had nothing to resume from.
import { readFrame, RECOVERY, RESUME, type InboundFrame } from './frames.js';
import { pusherOf, type Dispatcher, type EchoShape, type PusherShape } from './pusher-shape.js';
import { isSerial, laterSerial, type Serial } from './serial.js';

/**
 * Why a channel was not resumed. From Herald: `expired` (the gap is older than the history kept),
 * `no_history` (the channel keeps none), `unknown_serial`, `rate_limited`. From this module:
 * `no_serial` (subscribed again after a reconnect with no serial seen for it, e.g. a server
 * without history, or no event yet) and `no_answer` (a resume was asked for and the server did
 * not answer it within `resumeTimeoutMs`: a server that does not speak the protocol). In every
 * case the channel is live again; refetch what you show.
 */
export type ResumeFailureReason = 'expired' | 'no_history' | 'unknown_serial' | 'rate_limited' | 'no_serial' | 'no_answer';

/** How long a resume may wait for the server's answer once the channel is subscribed, by default. */
export const DEFAULT_RESUME_TIMEOUT_MS = 10_000;

/** Where serials outlive the page or the process (localStorage, a file); memory only without it. */
export interface SerialStorage {
  get(channel: string): string | null | undefined;
  set(channel: string, serial: string): void;
}

export interface RecoveryOptions {
  /** A channel was resumed: `replayed` events missed while away were delivered (before any newer event). */
  onResumed?(channel: string, replayed: number): void;
  /** A channel could not be resumed and is live again: fetch its state another way. */
  onResumeFailed?(channel: string, reason: ResumeFailureReason | (string & {}), message: string): void;
  storage?: SerialStorage;
  /** A resume not answered this long after its channel was subscribed is reported as `no_answer` (default 10 s). */
  resumeTimeoutMs?: number;
}

export interface Recovery {
  /** The serial of the last event seen on `channel`, or null. */
  lastSerial(channel: string): Serial | null;
  /** Stops listening; the pusher-js client carries on as if never attached. */
  detach(): void;
}

export function attachRecovery(client: PusherShape | EchoShape, options: RecoveryOptions = {}): Recovery {
  return new RecoveryAttachment(pusherOf(client), options).recovery;
}

class RecoveryAttachment {
  private readonly serials = new Map<string, Serial>();
  /** Channels subscribed at some point: subscribed again without a serial, they could not be resumed. */
  private readonly everSubscribed = new Set<string>();
  /** Channels this connection asked to resume (in herald:recovery or herald:resume). */
  private askedOnThisConnection = new Set<string>();
  private transport: Dispatcher | null = null;
  /** Resumes asked for on this connection whose channel is subscribed and whose answer has not come. */
  private readonly unanswered = new Map<string, ReturnType<typeof setTimeout>>();
  /** Channels whose resume this connection answered (a refusal can come before the subscription). */
  private answeredOnThisConnection = new Set<string>();

  readonly recovery: Recovery = {
    lastSerial: (channel) => this.known(channel),
    detach: () => this.detach(),
  };

  constructor(
    private readonly pusher: PusherShape,
    private readonly options: RecoveryOptions,
  ) {
    pusher.connection.bind('state_change', this.onStateChange);
    if (pusher.connection.state === 'connected') this.attachedWhileConnected();
  }

  /**
   * pusher-js emits state_change before 'connected', and resubscribes its channels on 'connected':
   * sent from here, herald:recovery is on the wire before the subscribe frames.
   */
  private readonly onStateChange = ({ current }: { current: string }): void => {
    if (current !== 'connected') return;
    // Answers to what the last connection asked will not come: this one asks again.
    this.forgetUnanswered();
    this.listenToTransport();
    const channels: Record<string, Serial> = {};
    for (const { name } of this.pusher.allChannels()) {
      const serial = this.known(name);
      if (serial !== null) channels[name] = serial;
    }
    this.askedOnThisConnection = new Set(Object.keys(channels));
    this.pusher.send_event(RECOVERY, { channels });
  };

  /** Attached to a client already connected: opt in now; channels already subscribed are resumed one by one. */
  private attachedWhileConnected(): void {
    this.listenToTransport();
    this.askedOnThisConnection = new Set();
    this.pusher.send_event(RECOVERY, { channels: {} });
    for (const channel of this.pusher.allChannels()) {
      if ((channel as { subscribed?: boolean }).subscribed) this.subscribed(channel.name);
    }
  }

  /** Each connection has its own transport; the raw frames (with their serials) are read from it. */
  private listenToTransport(): void {
    this.transport?.unbind('message', this.onTransportMessage);
    this.transport = this.pusher.connection.connection?.transport ?? null;
    this.transport?.bind('message', this.onTransportMessage);
  }

  private readonly onTransportMessage = (message: { data?: unknown }): void => {
    const frame = readFrame(message?.data);
    if (frame !== null) this.handle(frame);
  };

  private handle(frame: InboundFrame): void {
    switch (frame.kind) {
      case 'event':
        this.saw(frame.channel, frame.serial);
        return;
      case 'subscribed':
        this.subscribed(frame.channel);
        return;
      case 'resumed':
        this.answered(frame.channel);
        if (frame.serial !== null) this.saw(frame.channel, frame.serial);
        this.options.onResumed?.(frame.channel, frame.replayed);
        return;
      case 'resume-failed':
        this.answered(frame.channel);
        this.options.onResumeFailed?.(frame.channel, frame.reason, frame.message);
        return;
    }
  }

  /** A (re)subscription succeeded: the server answers a resume asked for in herald:recovery by itself. */
  private subscribed(channel: string): void {
    const resubscribed = this.everSubscribed.has(channel);
    this.everSubscribed.add(channel);
    if (this.askedOnThisConnection.has(channel)) {
      this.awaitAnswer(channel);
      return;
    }
    const since = this.known(channel);
    if (since !== null) {
      // Subscribed after the connection opened (or again after an unsubscribe): ask now.
      this.askedOnThisConnection.add(channel);
      this.pusher.send_event(RESUME, { channel, since });
      this.awaitAnswer(channel);
    } else if (resubscribed) {
      this.options.onResumeFailed?.(channel, 'no_serial', 'no serial was seen on this channel, nothing to resume from');
    }
  }

  /** The server answers a resume once the channel is subscribed; one that never does is not waited for forever. */
  private awaitAnswer(channel: string): void {
    if (this.unanswered.has(channel) || this.answeredOnThisConnection.has(channel)) return;
    const ms = this.options.resumeTimeoutMs ?? DEFAULT_RESUME_TIMEOUT_MS;
    const timer = setTimeout(() => {
      this.unanswered.delete(channel);
      this.options.onResumeFailed?.(channel, 'no_answer', `the server did not answer the resume of ${channel} within ${ms} ms (does it keep channel history?)`);
    }, ms);
    // In Node, a pending resume does not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.unanswered.set(channel, timer);
  }

  private answered(channel: string): void {
    this.answeredOnThisConnection.add(channel);
    const timer = this.unanswered.get(channel);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.unanswered.delete(channel);
  }

  private forgetUnanswered(): void {
    for (const timer of this.unanswered.values()) clearTimeout(timer);
    this.unanswered.clear();
    this.answeredOnThisConnection = new Set();
  }

  private saw(channel: string, serial: Serial): void {
    const known = this.known(channel);
    const later = laterSerial(known, serial);
    if (later === known) return;
    this.serials.set(channel, later);
    this.options.storage?.set(channel, later);
  }

  private known(channel: string): Serial | null {
    const inMemory = this.serials.get(channel);
    if (inMemory !== undefined) return inMemory;
    const stored = this.options.storage?.get(channel);
    if (!isSerial(stored)) return null;
    this.serials.set(channel, stored);
    return stored;
  }

  private detach(): void {
    this.forgetUnanswered();
    this.pusher.connection.unbind('state_change', this.onStateChange);
    this.transport?.unbind('message', this.onTransportMessage);
    this.transport = null;
  }
}
