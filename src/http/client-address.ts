// Whose request this is. Herald sees the TCP peer; behind a reverse proxy
// that is the proxy, and every per-address budget (connections per address,
// wrong tokens) would be shared by all of its clients. The operator names the
// proxies it trusts; only from them is X-Forwarded-For believed, since any
// client can send the header.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The request fields the client address is read from (an `IncomingMessage` has them). */
export interface AddressedRequest {
  readonly socket?: { readonly remoteAddress?: string | undefined } | null;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Why `entry` is not an address or a CIDR range; null when it is one. */
export function addressOrRangeProblem(entry: string): string | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  // node:net is strict where ipaddr.js is not: it would read `10.1` as 10.0.0.1.
  const family = isIP(address);
  if (family === 0) return `${JSON.stringify(entry)} is not an IP address or CIDR range`;
  if (slash < 0) return null;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `${JSON.stringify(entry)}: the prefix length must be 0 to ${max}`;
  return null;
}

/** A strictly written IP address in the form it is counted by (IPv4-mapped IPv6 as IPv4), or null. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (isIP(text) === 0) return null;
  try {
    return ipaddr.process(text);
  } catch {
    return null;
  }
}

export class TrustedProxies {
  private readonly ranges: readonly Range[];

  /** `entries`: IP addresses and CIDR ranges (`10.0.0.0/8`); throws on one that is neither. */
  constructor(entries: readonly string[] = []) {
    this.ranges = entries.map((entry): Range => {
      const problem = addressOrRangeProblem(entry);
      if (problem !== null) throw new Error(problem);
      if (entry.includes('/')) return ipaddr.parseCIDR(entry);
      const address = ipaddr.parse(entry);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    });
  }

  /** Whether `address` (written as node:net gives it) is one of the trusted proxies. */
  trusts(address: string): boolean {
    const parsed = parseAddress(address);
    return parsed !== null && this.trustsParsed(parsed);
  }

  /**
   * The client's address: the TCP peer's, unless the peer is a trusted proxy,
   * when it is the right-most X-Forwarded-For entry that is not a trusted
   * proxy itself (every proxy appends the address it was reached from, so
   * entries to the left of the first untrusted one are whatever the client
   * wrote). Without the header, or with an entry that is not an address
   * among those read, the peer's.
   */
  clientAddress(peer: string | undefined, forwardedFor: string | readonly string[] | undefined): string | undefined {
    if (peer === undefined || this.ranges.length === 0 || forwardedFor === undefined || !this.trusts(peer)) return peer;
    const entries = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor).flatMap((h) => h.split(',')).map((e) => e.trim());
    let client: ipaddr.IPv4 | ipaddr.IPv6 | null = null;
    for (let i = entries.length - 1; i >= 0; i--) {
      const parsed = parseAddress(entries[i]!);
      if (parsed === null) return peer;
      client = parsed;
      if (!this.trustsParsed(parsed)) break;
    }
    // Every entry trusted: the left-most is a proxy that made the request itself.
    return client === null ? peer : client.toString();
  }

  /** `clientAddress` of a request. */
  of(req: AddressedRequest): string | undefined {
    return this.clientAddress(req.socket?.remoteAddress, req.headers['x-forwarded-for']);
  }

  private trustsParsed(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  }
}
