export interface BackoffPolicy {
  /** Delay before the first retry (milliseconds). */
  readonly baseMs: number;
  /** Longest delay between two attempts (milliseconds). */
  readonly maxMs: number;
}

/**
 * Exponential backoff with "full jitter": a random delay up to base·2^(n-1),
 * capped. Randomness spreads the retries of many jobs that failed together
 * (a receiver that went down), so they do not all come back at once.
 */
export function retryDelayMs(policy: BackoffPolicy, attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  // Never below half the ceiling, so that a failing receiver is not hammered by unlucky draws.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
