import type { AppId, AppKey } from '../protocol/types.js';
import type { WebhookTarget } from '../protocol/webhook-events.js';

/** Channels matching `channels` (`*` for any characters) keep their last events, bounded by count and age. */
export interface HistoryRule {
  readonly channels: string;
  readonly maxEvents: number;
  readonly maxAgeSeconds: number;
}

/** One tenant: its credentials and the switches and limits it runs with. */
export interface App {
  readonly id: AppId;
  readonly key: AppKey;
  readonly secret: string;
  readonly enabled: boolean;
  /** Clients may send `client-` events on private and presence channels. */
  readonly clientEvents: boolean;
  /** Clients may sign in (`pusher:signin`) and receive events sent to their user. */
  readonly userAuthentication: boolean;
  /** Open connections allowed at once; null for no limit. */
  readonly maxConnections: number | null;
  readonly maxPresenceMembers: number;
  /** Largest `data` of one event, in bytes. */
  readonly maxEventPayloadBytes: number;
  readonly clientEventsPerSecond: number;
  /** Channels one event from the HTTP API may target (400 beyond). */
  readonly maxChannelsPerEvent: number;
  /** Channels one connection may be subscribed to at once (`pusher:subscription_error` beyond, the connection kept). */
  readonly maxChannelsPerConnection: number;
  /** Open connections to this app from one client address on one node (4004 beyond); null for no limit. */
  readonly maxConnectionsPerAddress: number | null;
  /** Events the HTTP API may publish per second, one per channel an event goes to (429 beyond); null for no limit. */
  readonly backendEventsPerSecond: number | null;
  /** Signed HTTP API requests per second, of any kind (429 beyond); null for no limit. */
  readonly apiRequestsPerSecond: number | null;
  /** Origins allowed to open connections (`https://shop.example`, `*.example.com`); empty allows all. */
  readonly allowedOrigins: readonly string[];
  /** Subscribers of public and private channels are told the channel's subscription count when it changes (`pusher:subscription_count`). */
  readonly subscriptionCountEvents: boolean;
  /** Where the app's webhooks go; empty sends none. */
  readonly webhooks: readonly WebhookTarget[];
  /** Channels that keep their recent events (resume, history API); empty keeps none, the default. */
  readonly history: readonly HistoryRule[];
}
