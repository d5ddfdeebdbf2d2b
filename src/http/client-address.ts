// Whose request this is. Herald sees the TCP peer; behind a reverse proxy
// that is the proxy, and every per-address budget (connections per address,
// wrong tokens) would be shared by all of its clients. The operator names the
// proxies it trusts; only from them is X-Forwarded-For (or the standard
// Forwarded header, RFC 7239) believed, since any client can send them.
import { isIP } from 'node:net';
import parseForwarded from 'forwarded-parse';
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
   * when it is the right-most forwarded entry that is not a trusted proxy
   * itself (every proxy appends the address it was reached from, so entries
   * to the left of the first untrusted one are whatever the client wrote).
   * The entries are X-Forwarded-For's, or, when a proxy sent none, the `for=`
   * of each element of Forwarded. Without either header, or with an entry
   * that is not an address among those read (Forwarded's `unknown` and
   * hidden names included), or a Forwarded that does not parse: the peer's.
   */
  clientAddress(peer: string | undefined, forwardedFor: HeaderValue, forwarded?: HeaderValue): string | undefined {
    if (peer === undefined || this.ranges.length === 0 || (forwardedFor === undefined && forwarded === undefined) || !this.trusts(peer)) return peer;
    const entries = forwardedFor !== undefined ? xForwardedForEntries(forwardedFor) : forwardedEntries(forwarded!);
    if (entries === null) return peer;
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
    return this.clientAddress(req.socket?.remoteAddress, req.headers['x-forwarded-for'], req.headers.forwarded);
  }

  private trustsParsed(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  }
}

type HeaderValue = string | readonly string[] | undefined;

const lines = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

function xForwardedForEntries(value: string | readonly string[]): string[] {
  return lines(value)
    .flatMap((h) => h.split(','))
    .map((e) => e.trim());
}

/**
 * The `for=` node of every element of a Forwarded header, as an address
 * (brackets and port taken away: `"[2001:db8::1]:4711"`, `192.0.2.1:80`);
 * null when the header does not parse. An element without `for` gives an
 * empty entry, which is not an address.
 */
function forwardedEntries(value: string | readonly string[]): string[] | null {
  let elements: Record<string, string>[];
  try {
    elements = lines(value).flatMap((line) => parseForwarded(line));
  } catch {
    return null;
  }
  return elements.map((element) => nodeAddress(element.for ?? ''));
}

function nodeAddress(node: string): string {
  if (node.startsWith('[')) {
    const close = node.indexOf(']');
    return close < 0 ? node : node.slice(1, close);
  }
  // An IPv4 address with a port; a bare IPv6 address is not allowed unbracketed, and stays as it is (and is refused).
  const colon = node.indexOf(':');
  return colon >= 0 && node.indexOf(':', colon + 1) < 0 ? node.slice(0, colon) : node;
}
