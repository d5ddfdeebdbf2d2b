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
