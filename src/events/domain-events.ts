import { EventEmitter } from 'node:events';
import type { AppId, ChannelName, EventName, SocketId, TransportKind, UserId } from '../protocol/types.js';

/**
 * The domain's facts, as they happen on this node. Each fact is emitted in
 * one place (a channel's membership facts in channels/announcements.ts);
 * observability (metrics), webhooks and the debug console subscribe, and
 * the domain never reads them back. Emitting with no listener costs a map
 * lookup, so the hot path does not pay for it.
 */
export interface DomainEventMap {
  connection_opened: { appId: AppId; socketId: SocketId; transport: TransportKind };
  connection_closed: { appId: AppId; socketId: SocketId; transport: TransportKind };
  subscribed: { appId: AppId; socketId: SocketId; channel: ChannelName };
  unsubscribed: { appId: AppId; socketId: SocketId; channel: ChannelName };
  channel_occupied: { appId: AppId; channel: ChannelName };
  channel_vacated: { appId: AppId; channel: ChannelName };
  member_added: { appId: AppId; channel: ChannelName; userId: UserId };
  member_removed: { appId: AppId; channel: ChannelName; userId: UserId };
  /** A subscriber of a cache channel found no cached event (it was sent `pusher:cache_miss`). */
  cache_miss: { appId: AppId; channel: ChannelName; socketId: SocketId };
  api_event: { appId: AppId; channel: ChannelName; event: EventName; data: string };
  client_event: { appId: AppId; channel: ChannelName; event: EventName; data: string; socketId: SocketId; userId?: UserId };
  /** `channel` is set for a refused subscription (pusher:subscription_error). */
  error_sent: { appId: AppId; socketId: SocketId; code: number | null; message: string; channel?: ChannelName };
  /** An HTTP API request refused (429) because the app is over a per-second limit. */
  rate_limited: { appId: AppId; action: 'api_request' | 'backend_event'; limit: number };
  /**
   * A client cut (4100) because it was not taking its messages: a WebSocket
   * whose unsent bytes passed the limit, or an HTTP session whose waiting
   * messages did.
   */
  slow_consumer_cut: { appId: AppId; socketId: SocketId; transport: TransportKind; bufferedBytes: number; limit: number };
  /** A client event refused (4301) because its connection is over its per-second budget. */
  client_event_rate_limited: { appId: AppId; socketId: SocketId; limit: number };
  /** A client refused before it had a connection (unknown or disabled app, bad path or protocol, origin, quota). */
  connection_refused: { appId: AppId | null; appKey: string | null; code: number | null; transport: TransportKind };
  /** One webhook request, after it was answered or failed; no URL, which may carry credentials. */
  webhook_sent: { appId: AppId; events: string[]; status: number | null; error?: string };
}

/** The bus itself: typed emit and subscribe, one instance per Herald. */
export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof DomainEventMap>(event: K, listener: (e: DomainEventMap[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }
}
