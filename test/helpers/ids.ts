// Names no other test shares. Integration tests of one file share a Herald
// (and the cluster tests a Redis with other runs), so a fixed channel or user
// name would let one test see another's subscribers, members or cache.
import { randomBytes } from 'node:crypto';

/** Random hex, 12 characters: short enough for any name Pusher allows, too many for two runs to meet. */
export const rid = (): string => randomBytes(6).toString('hex');

/** `prefix-<random hex>`, for a channel, user or app that must be this test's own. */
export const uniq = (prefix: string): string => `${prefix}-${rid()}`;
