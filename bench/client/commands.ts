// The typed conversation between the benchmark and its client processes.
import type { HistogramData } from '../lib/histogram.js';
import type { AppCredentials, Target } from '../lib/http-api.js';

export interface Subscription {
  /** Index of the connection in this client process. */
  readonly connection: number;
  readonly channel: string;
  /** Joins a presence channel as this user; its member events are then timed. */
  readonly presenceUser?: string;
}

export interface CommandArgs {
  connect: { url: string; sourceAddresses: string[]; count: number; concurrency: number; timeoutMs: number };
  /** `app` signs presence subscriptions, as the app's auth endpoint would. */
  subscribe: { subscriptions: Subscription[]; timeoutMs: number; app?: AppCredentials };
  resetStats: Record<string, never>;
  waitReceived: { expected: number; timeoutMs: number };
  publish: { target: Target; channel: string; concurrency: number; durationMs: number; payloadBytes: number };
  churn: { target: Target; firstConnection: number; channels: string[]; joinsPerSecond: number; durationMs: number; userPrefix: string };
  hold: { durationMs: number; pingEveryMs: number };
  close: Record<string, never>;
}

export interface ConnectResult {
  readonly established: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly handshake: HistogramData;
}

export interface SubscribeResult {
  readonly subscribed: number;
  readonly failed: number;
  readonly firstError: string | null;
}

export interface DeliveryStats {
  readonly received: number;
  readonly outOfOrder: number;
  readonly latency: HistogramData;
  readonly memberLatency: HistogramData;
  readonly errors: number;
  readonly unexpectedCloses: number;
  readonly lastReceivedAt: number;
}

export interface PublishResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly latency: HistogramData;
}

export interface ChurnResult {
  readonly joins: number;
  readonly leaves: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly joinLatency: HistogramData;
}

export interface HoldResult {
  readonly open: number;
  readonly pingsSent: number;
  readonly pongs: number;
  readonly errors: number;
  readonly unexpectedCloses: number;
}

export interface CommandResults {
  connect: ConnectResult;
  subscribe: SubscribeResult;
  resetStats: null;
  waitReceived: DeliveryStats;
  publish: PublishResult;
  churn: ChurnResult;
  hold: HoldResult;
  close: null;
}

export type CommandName = keyof CommandArgs;

export type Command = { [K in CommandName]: { id: number; type: K; args: CommandArgs[K] } }[CommandName];

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
