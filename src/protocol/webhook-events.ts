// The webhook events of the Pusher Channels protocol, as their receivers
// (the official SDKs' webhook helpers) expect them in `events: [...]`.
import type { ChannelName, EventName, SocketId, UserId } from './types.js';

export const WEBHOOK_EVENT_NAMES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];

export type WebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; readonly channel: ChannelName }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: ChannelName; readonly user_id: UserId }
  | {
      readonly name: 'client_event';
      readonly channel: ChannelName;
      readonly event: EventName;
      readonly data: string;
      readonly socket_id: SocketId;
      readonly user_id?: UserId;
    }
  | { readonly name: 'subscription_count'; readonly channel: ChannelName; readonly subscription_count: number };

/** Where an app's webhooks go and which events each URL wants. */
export interface WebhookTarget {
  readonly url: string;
  readonly events: readonly WebhookEventName[];
}

/** What a receiver gets: the body that is signed. */
export interface WebhookBody {
  readonly time_ms: number;
  readonly events: readonly WebhookEvent[];
}
