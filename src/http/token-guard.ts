import type { Adapter } from '../adapter/adapter.js';
import { HttpError } from '../protocol/errors.js';
import { safeEqual } from '../protocol/signatures.js';
import { TrustedProxies, type AddressedRequest } from './client-address.js';
import { clientKey, FailedLogins } from './failed-logins.js';

/** Where failures are shared with the other nodes (the adapter); each node still decides at once from its own count. */
export type SharedFailures = Pick<Adapter, 'recordFailure' | 'onFailure'>;

/**
 * An operator's token (the console's, the metrics') checked against a budget
 * of wrong tries per client address. An address over its budget is refused
 * (429) whatever it sends, the right token included, until its window passes:
 * were the right token let through, refusing the wrong ones would not slow a
 * guesser at all, since a guess that gets in is all it wants.
 */
export class TokenGuard {
  constructor(
    private readonly token: string,
    /** Names the token in the 429's message: `console`, `metrics`. */
    private readonly what: string,
    private readonly addresses = new TrustedProxies(),
    private readonly failures = new FailedLogins(),
    /** The other nodes of a cluster, so that an address has one budget however many nodes it tries. */
    private readonly cluster?: SharedFailures,
  ) {
    cluster?.onFailure((budget, key, at) => {
      if (budget === this.what) this.failures.failed(key, at);
    });
  }

  /** Whether `given` is the token, compared in constant time; spends no budget. */
  matches(given: unknown): boolean {
    return typeof given === 'string' && safeEqual(given, this.token);
  }

  /**
   * Whether `given`, presented by this request's client, is the token; a wrong
   * one spends the client's budget. Throws 429 (with when to retry) while the
   * client's address is over its budget.
   */
  check(given: unknown, req: AddressedRequest, now = Date.now()): boolean {
    const address = clientKey(this.addresses.of(req));
    const waitMs = this.failures.retryAfterMs(address, now);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new HttpError('tooManyRequests', `Too many wrong ${this.what} tokens from this address: try again in ${seconds} s`, seconds);
    }
    if (this.matches(given)) return true;
    this.failures.failed(address, now);
    this.cluster?.recordFailure(this.what, address, now);
    return false;
  }
}
