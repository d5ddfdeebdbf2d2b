import type { Adapter } from '../adapter/adapter.js';
import type { ChannelService } from '../channels/channel-service.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import type { LocalUsers } from '../adapter/local-users.js';

/** What the frame handlers work with; built once by the server. */
export interface HandlerContext {
  readonly adapter: Adapter;
  readonly channels: ChannelService;
  readonly localUsers: LocalUsers;
  readonly activity: DomainEvents;
  readonly log: Logger;
}
