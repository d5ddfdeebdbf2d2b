import type { App } from '../apps/app.js';
import { SocketError } from '../protocol/errors.js';
import { encodeFrame } from '../protocol/frames.js';
import type { ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';
import { ConnectionRecovery } from './recovery.js';
import type { TrafficCounters } from './traffic.js';
import type { Transport } from './transport.js';

/**
 * How a client learns of an error, admitted or not: `pusher:error` with the
 * code and message, then, when the error is fatal, the close with the same
 * code. Connection.sendError and the gateway's refusals (which have no
 * Connection yet, only a transport) both come here, so a refusal can never
 * close differently from the error it reports.
 */
export function sendSocketError(to: Pick<Transport, 'send' | 'close'>, error: SocketError): void {
  to.send(encodeFrame('pusher:error', { code: error.code, message: error.message }));
  // Every fatal error of the catalog has a code (a unit test says so).
  if (error.behaviour === 'close' && error.code !== null) to.close(error.code, error.message);
}

const NO_CHANNELS: ReadonlyMap<ChannelName, PresenceMember | null> = new Map();

/** A user a connection signed in as (`pusher:signin`). */
export interface SignedInUser {
  readonly id: UserId;
  readonly watchlist: readonly UserId[];
  /** `user_info` from user_data: the member info when it joins presence channels without channel_data. */
  readonly info: unknown;
}

/**
 * One client, whatever carries it. Holds what the protocol needs to know
 * about the client (subscriptions, signed-in user, liveness, rate budget)
 * and keeps its frames in order, even when handling one of them waits on
 * I/O.
 */
export class Connection {
  lastSeenAt = Date.now();
  readonly openedAt = Date.now();
  /**
   * The client's address as its transport saw it when the connection was
   * made: kept, because a closed socket no longer knows it, and the
   * registry must uncount it from the same address it counted it under.
   */
  readonly remoteAddress: string | undefined;

  // Written only through the methods below, each named for the one event that changes it.
  private subscriptions: Map<ChannelName, PresenceMember | null> | undefined;
  private signedInAs: SignedInUser | null = null;
  private optedIn: ConnectionRecovery | null = null;
  private pingSentAt: number | null = null;
  private gone = false;
  private currentApp: App;
  private clientEventWindowStart = 0;
  private clientEventsInWindow = 0;
  private pendingTasks = 0;
  // Created only once a frame's handling waits on I/O: most connections never need it.
  private tail: Promise<void> | undefined;

  constructor(
    readonly socketId: SocketId,
    app: App,
    private readonly transport: Transport,
    /** Counts frames sent, for the metrics; shared by every connection of the node. */
    private readonly traffic?: TrafficCounters,
  ) {
    this.remoteAddress = transport.remoteAddress;
    this.currentApp = app;
  }

  /** The app as it is now: replaced when it changes in its store (limits, secret), so open connections follow it. */
  get app(): App {
    return this.currentApp;
  }

  appChanged(app: App): void {
    this.currentApp = app;
  }

  /**
   * Subscribed channels (Herald's internal ones included); presence channels
   * keep the member this socket joined as. Changed only by the channel
   * service, which keeps the node's subscriber index in step with it.
   */
  get channels(): ReadonlyMap<ChannelName, PresenceMember | null> {
    return this.subscriptions ?? NO_CHANNELS;
  }

  subscribed(channel: ChannelName, member: PresenceMember | null): void {
    // Made at the first subscription: many connections never subscribe to anything.
    (this.subscriptions ??= new Map()).set(channel, member);
    this.optedIn?.subscribed(channel);
  }

  unsubscribed(channel: ChannelName): void {
    this.subscriptions?.delete(channel);
    this.optedIn?.unsubscribed(channel);
  }

  /** Serials and resumes, once the client opted in (`herald:recovery`); null for every other client. */
  get recovery(): ConnectionRecovery | null {
    return this.optedIn;
  }

  /** The client asked for serials (`herald:recovery`); idempotent. */
  optIn(): ConnectionRecovery {
    return (this.optedIn ??= new ConnectionRecovery((frame) => this.send(frame)));
  }

  /** The user this connection signed in as (`pusher:signin`), if any. */
  get user(): SignedInUser | null {
    return this.signedInAs;
  }

  signedIn(user: SignedInUser): void {
    this.signedInAs = user;
  }

  signedOut(): void {
    this.signedInAs = null;
  }

  /** When the server pinged an idle client; null while it is active. */
  get pingedAt(): number | null {
    return this.pingSentAt;
  }

  pinged(now: number): void {
    this.pingSentAt = now;
  }

  /** Closed by the server, or its transport is gone: nothing more is sent or handled. */
  get closed(): boolean {
    return this.gone;
  }

  /** The transport went away by itself (no close to send). */
  transportGone(): void {
    this.gone = true;
  }

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** Writes an already encoded frame. */
  send(frame: string): void {
    if (this.closed) return;
    this.traffic?.sent(frame);
    this.transport.send(frame);
  }

  sendEvent(event: string, data: unknown, channel?: ChannelName): void {
    this.send(encodeFrame(event, data, channel));
  }

  /** Reports an error as `pusher:error`, closing the connection when the error says so. */
  sendError(error: SocketError): void {
    sendSocketError(this, error);
  }

  /** Any reason: the transport fits it to what its close frame can carry. */
  close(code: number, reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.transport.close(code, reason);
  }

  /** Any frame from the client proves it is alive. */
  touch(now = Date.now()): void {
    this.lastSeenAt = now;
    this.pingSentAt = null;
  }

  /** Counts a client event against the per-second budget; false when over it. */
  takeClientEventBudget(now = Date.now()): boolean {
    if (now - this.clientEventWindowStart >= 1000) {
      this.clientEventWindowStart = now;
      this.clientEventsInWindow = 0;
    }
    this.clientEventsInWindow++;
    return this.clientEventsInWindow <= this.app.clientEventsPerSecond;
  }

  /**
   * Runs the handling of one frame after the ones before it. Synchronous
   * handlers run at once; only when one returns a promise do later frames
   * wait, so a ping sent after a subscribe is answered after it.
   */
  process(task: () => void | Promise<void>, onError: (err: unknown) => void): void {
    if (this.pendingTasks === 0) {
      let result: void | Promise<void>;
      try {
        result = task();
      } catch (err) {
        onError(err);
        return;
      }
      if (!(result instanceof Promise)) return;
      this.pendingTasks++;
      this.tail = result.catch(onError).finally(() => {
        this.pendingTasks--;
      });
      return;
    }
    this.pendingTasks++;
    this.tail = (this.tail ?? Promise.resolve())
      .then(task)
      .catch(onError)
      .finally(() => {
        this.pendingTasks--;
      });
  }
}
