// Limits the Pusher Channels documentation sets for names and requests.
export const ProtocolLimits = {
  // Pusher counts the prefix (private-, presence-) in this.
  channelNameMaxLength: 164,
  eventNameMaxLength: 200,
  userIdMaxLength: 200,
  /** Channels one HTTP event may target. */
  channelsPerEvent: 100,
  /** Events in one `batch_events` request. */
  eventsPerBatch: 10,
  /** Users one signed-in user may watch. */
  watchlistMaxSize: 100,
  /** Default size of an event's `data`, in bytes. */
  eventPayloadBytes: 10 * 1024,
  /** Default members per presence channel. */
  presenceMembers: 100,
  /** Default `user_info` size in a presence member, in bytes. */
  presenceUserInfoBytes: 1024,
  /** Client events one connection may send per second. */
  clientEventsPerSecond: 10,
  /** How long a cache channel keeps its last event. */
  cacheTtlSeconds: 30 * 60,
  /** Accepted clock skew of a signed HTTP request. */
  authTimestampWindowSeconds: 600,
} as const;
