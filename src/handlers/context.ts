import type { Adapter } from '../adapter/adapter.js';
import type { ChannelService } from '../channels/channel-service.js';
import type { LocalSubscribers } from '../channels/local-subscribers.js';
import type { ActivityFeed } from '../observability/activity.js';
import type { Logger } from '../observability/logger.js';
import type { LocalUsers } from '../users/local-users.js';

/** What the frame handlers work with; built once by the server. */
export interface HandlerContext {
  readonly adapter: Adapter;
  readonly channels: ChannelService;
  readonly subscribers: LocalSubscribers;
  readonly localUsers: LocalUsers;
  readonly activity: ActivityFeed;
  readonly log: Logger;
}
