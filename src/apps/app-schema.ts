// The one description of an app's fields, their rules and defaults: used for
// config-file apps, stored apps and `herald apps` input alike, so an app means
// the same wherever it comes from.
import { z } from 'zod';
import { ProtocolLimits } from '../protocol/limits.js';
import { WEBHOOK_EVENT_NAMES } from '../protocol/webhook-events.js';

/** One webhook URL and the events it wants (every kind when not said). */
const webhookTargetSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    events: z.array(z.enum(WEBHOOK_EVENT_NAMES)).min(1).default([...WEBHOOK_EVENT_NAMES]),
  })
  .strict();

/**
 * Channels whose recent events are kept for clients that resume and for the
 * history API: `*` matches any run of characters. Bounded by count and by
 * age; the upper limits keep one channel's history a small, bounded thing.
 */
const historyRuleSchema = z
  .object({
    channels: z.string().min(1).max(200),
    maxEvents: z.number().int().positive().max(10_000).default(100),
    maxAgeSeconds: z.number().int().positive().max(7 * 24 * 3600).default(300),
  })
  .strict();

/**
 * Channels one connection may be subscribed to at once. Pusher sets no limit;
 * this one only bounds what a single socket can make the server hold (each
 * subscription keeps a few hundred bytes), far above what a real page
 * subscribes to (a handful, a few dozen for a busy dashboard).
 */
export const DEFAULT_MAX_CHANNELS_PER_CONNECTION = 500;

/** Switches and limits of an app, with the defaults an app gets when it does not say. */
export const appOptionsShape = {
  enabled: z.boolean().default(true),
  clientEvents: z.boolean().default(false),
  userAuthentication: z.boolean().default(false),
  maxConnections: z.number().int().positive().nullable().default(null),
  maxPresenceMembers: z.number().int().positive().default(ProtocolLimits.presenceMembers),
  maxEventPayloadBytes: z.number().int().positive().default(ProtocolLimits.eventPayloadBytes),
  clientEventsPerSecond: z.number().int().positive().default(ProtocolLimits.clientEventsPerSecond),
  maxChannelsPerEvent: z.number().int().positive().default(ProtocolLimits.channelsPerEvent),
  maxChannelsPerConnection: z.number().int().positive().default(DEFAULT_MAX_CHANNELS_PER_CONNECTION),
  maxConnectionsPerAddress: z.number().int().positive().nullable().default(null),
  backendEventsPerSecond: z.number().int().positive().nullable().default(null),
  apiRequestsPerSecond: z.number().int().positive().nullable().default(null),
  allowedOrigins: z.array(z.string().min(1)).default([]),
  subscriptionCountEvents: z.boolean().default(false),
  webhooks: z.array(webhookTargetSchema).default([]),
  history: z.array(historyRuleSchema).max(50).default([]),
};

export const appSchema = z
  .object({
    id: z.string().min(1),
    key: z.string().min(1),
    secret: z.string().min(1),
    ...appOptionsShape,
  })
  .strict();

export type AppInput = z.input<typeof appSchema>;

export type AppOptionName = keyof typeof appOptionsShape;

/**
 * How an app option is written as one piece of text (a `herald apps` flag):
 * a switch (true or false), a count (a whole number), a limit (a count, or
 * none for no limit), a list (comma-separated) or JSON (a list of objects). Read from the option's
 * schema, so that a new option gets its flag without another list to keep.
 */
export type AppOptionForm = 'switch' | 'count' | 'limit' | 'list' | 'json';

/** The option's form; a list of structured items (webhook targets, history rules) is written as JSON. */
export function appOptionForm(option: AppOptionName): AppOptionForm | null {
  let schema: unknown = appOptionsShape[option];
  if (schema instanceof z.ZodDefault) schema = schema.unwrap();
  const nullable = schema instanceof z.ZodNullable;
  if (schema instanceof z.ZodNullable) schema = schema.unwrap();
  if (schema instanceof z.ZodNumber && schema.isInt) return nullable ? 'limit' : 'count';
  if (nullable) return null;
  if (schema instanceof z.ZodBoolean) return 'switch';
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodString) return 'list';
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodObject) return 'json';
  return null;
}
