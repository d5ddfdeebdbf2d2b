// Names of the protocol's domain, so signatures say what they carry.
export type AppId = string;
export type AppKey = string;
export type SocketId = string;
export type ChannelName = string;
export type EventName = string;
export type UserId = string;

/** A presence member as carried in `channel_data` and member events. */
export interface PresenceMember {
  readonly user_id: UserId;
  readonly user_info?: unknown;
}

/** How a client reaches Herald: a WebSocket, or one of pusher-js's HTTP fallback transports. */
export type TransportKind = 'ws' | 'xhr_streaming' | 'xhr_polling';
