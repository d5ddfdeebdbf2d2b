// A budget of wrong console tokens per client address, so that guessing the
// token gets a handful of tries a minute from one address, not thousands.
// Each process decides from its own count; on a cluster the nodes tell each
// other their failures (through the adapter), so an address has one budget.

export interface LoginBudget {
  /** Wrong tokens one address may send within any `windowMs`. */
  readonly failures: number;
  readonly windowMs: number;
}

export const CONSOLE_LOGIN_BUDGET: LoginBudget = { failures: 10, windowMs: 60_000 };

/**
 * Addresses remembered at most. Beyond it the address whose last failure is
 * the oldest is forgotten first: a guesser with more addresses than this
 * already has that many budgets, so nothing is given away.
 */
const MAX_ADDRESSES = 10_000;

export class FailedLogins {
  // The times of an address's recent failures, oldest first; the map is ordered by last failure.
  private readonly byAddress = new Map<string, number[]>();

  constructor(
    private readonly budget: LoginBudget = CONSOLE_LOGIN_BUDGET,
    private readonly maxAddresses = MAX_ADDRESSES,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string, now: number): number {
    const times = this.recent(address, now);
    if (times.length < this.budget.failures) return 0;
    return times[times.length - this.budget.failures]! + this.budget.windowMs - now;
  }

  /** Counts a wrong token from `address`. */
  failed(address: string, now: number): void {
    // A failure another node counted may be older than this node's latest: keep the times in order.
    const times = [...this.recent(address, now), now].sort((a, b) => a - b).slice(-this.budget.failures);
    this.byAddress.delete(address);
    this.byAddress.set(address, times);
    if (this.byAddress.size > this.maxAddresses) {
      const oldest = this.byAddress.keys().next().value;
      if (oldest !== undefined) this.byAddress.delete(oldest);
    }
  }

  /** Addresses remembered now (expired ones linger until they are looked at or pushed out). */
  get size(): number {
    return this.byAddress.size;
  }

  private recent(address: string, now: number): number[] {
    const times = this.byAddress.get(address);
    if (!times) return [];
    const live = times.filter((t) => t > now - this.budget.windowMs);
    if (live.length === 0) this.byAddress.delete(address);
    else if (live.length !== times.length) this.byAddress.set(address, live);
    return live;
  }
}

/**
 * Whose budget a request spends: its IPv4 address, or the /64 network of an
 * IPv6 one (one subscriber usually holds a whole /64, so single IPv6
 * addresses would give a guesser countless budgets).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const plain = address.split('%')[0]!.toLowerCase();
  const [left = '', right] = plain.split('::');
  const head = left === '' ? [] : left.split(':');
  const tail = right === undefined || right === '' ? [] : right.split(':');
  const groups = right === undefined ? head : [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
