import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressOrRangeProblem, TrustedProxies } from './client-address.js';

const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);

test('addresses and CIDR ranges are accepted, anything else is refused with a reason', () => {
  for (const ok of ['127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '2001:db8::/128']) assert.equal(addressOrRangeProblem(ok), null, ok);
  for (const bad of ['', 'localhost', '10.1', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '::1/129', '1.2.3.4/x', '999.0.0.1']) {
    assert.notEqual(addressOrRangeProblem(bad), null, bad);
  }
  assert.throws(() => new TrustedProxies(['10.0.0.0/8', 'proxy.local']), /"proxy.local" is not an IP address or CIDR range/);
});

test('single addresses and ranges of both families are trusted, IPv4-mapped IPv6 peers as their IPv4 address', () => {
  for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.200.3.4', '::1', 'fd12::5']) assert.ok(proxies.trusts(address), address);
  for (const address of ['127.0.0.2', '11.0.0.1', '::2', 'fe80::1', 'not an address', '']) assert.ok(!proxies.trusts(address), address);
});

test('from a trusted peer, the right-most forwarded address that is not a trusted proxy is the client', () => {
  assert.equal(proxies.clientAddress('127.0.0.1', '203.0.113.9'), '203.0.113.9');
  // Each proxy appended the address it was reached from; what the client wrote is further left.
  assert.equal(proxies.clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.5'), '203.0.113.9');
  assert.equal(proxies.clientAddress('::ffff:127.0.0.1', '2001:db8::1,::1'), '2001:db8::1');
  // Several header lines count as one list, in order.
  assert.equal(proxies.clientAddress('127.0.0.1', ['198.51.100.1', '203.0.113.9, 10.0.0.5']), '203.0.113.9');
  // Counted in one spelling, so that writing an address differently is not another budget.
  assert.equal(proxies.clientAddress('127.0.0.1', '::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(proxies.clientAddress('127.0.0.1', '2001:0db8:0000::0001'), '2001:db8::1');
  // Only proxies on the way: the first of them made the request itself.
  assert.equal(proxies.clientAddress('127.0.0.1', '10.0.0.7, 10.0.0.5'), '10.0.0.7');
});

test('X-Forwarded-For from a peer that is not a trusted proxy is ignored: a client cannot choose its address', () => {
  assert.equal(proxies.clientAddress('203.0.113.50', '198.51.100.1'), '203.0.113.50');
  assert.equal(proxies.clientAddress('203.0.113.50', '127.0.0.1'), '203.0.113.50');
  assert.equal(new TrustedProxies().clientAddress('127.0.0.1', '198.51.100.1'), '127.0.0.1', 'no proxies trusted: the header means nothing');
  assert.equal(proxies.clientAddress(undefined, '198.51.100.1'), undefined);
});

test('an absent, empty or malformed header among the entries read gives the peer', () => {
  for (const header of [undefined, '', ' ', 'unknown', '203.0.113.9:4711', '[2001:db8::1]:80', '203.0.113.9, garbage', '203.0.113.9,,10.0.0.5', '10.1']) {
    assert.equal(proxies.clientAddress('127.0.0.1', header), '127.0.0.1', JSON.stringify(header));
  }
  // What lies left of the client's own entry is not read, so junk there changes nothing.
  assert.equal(proxies.clientAddress('127.0.0.1', 'garbage, 203.0.113.9'), '203.0.113.9');
});

test('without X-Forwarded-For, the for= of each Forwarded element (RFC 7239) is read the same way', () => {
  assert.equal(proxies.clientAddress('127.0.0.1', undefined, 'for=203.0.113.9'), '203.0.113.9');
  // Parameters in any case and order, ports and IPv6 brackets, quoted or not where allowed.
  assert.equal(proxies.clientAddress('127.0.0.1', undefined, 'proto=https;For="203.0.113.9:4711";by=10.0.0.5'), '203.0.113.9');
  assert.equal(proxies.clientAddress('127.0.0.1', undefined, 'for="[2001:db8::1]:4711", for=10.0.0.5'), '2001:db8::1');
  // Right-most untrusted element, over several header lines.
  assert.equal(proxies.clientAddress('127.0.0.1', undefined, ['for=198.51.100.1', 'for=203.0.113.9, for="[::1]"']), '203.0.113.9');
  // X-Forwarded-For, when a proxy sent it, is what is read.
  assert.equal(proxies.clientAddress('127.0.0.1', '198.51.100.7', 'for=203.0.113.9'), '198.51.100.7');
  // From a peer that is not trusted, ignored.
  assert.equal(proxies.clientAddress('203.0.113.50', undefined, 'for=198.51.100.1'), '203.0.113.50');
});

test('a Forwarded header that does not parse, or names no address where one is read, gives the peer', () => {
  for (const header of ['', 'for=', 'for=unknown', 'for=_hidden', 'by=10.0.0.5', 'for=2001:db8::1', 'for="[2001:db8::1"', 'for=203.0.113.9;for', 'for=203.0.113.9, for=garbage', '"for"=1.2.3.4']) {
    assert.equal(proxies.clientAddress('127.0.0.1', undefined, header), '127.0.0.1', JSON.stringify(header));
  }
  // Left of the client's own element, not read.
  assert.equal(proxies.clientAddress('127.0.0.1', undefined, 'for=unknown, for=203.0.113.9'), '203.0.113.9');
});

test('of(request) reads the socket and the header', () => {
  assert.equal(proxies.of({ socket: { remoteAddress: '127.0.0.1' }, headers: { 'x-forwarded-for': '203.0.113.9' } }), '203.0.113.9');
  assert.equal(proxies.of({ socket: { remoteAddress: '198.51.100.2' }, headers: { 'x-forwarded-for': '203.0.113.9' } }), '198.51.100.2');
  assert.equal(proxies.of({ socket: null, headers: {} }), undefined);
  assert.equal(proxies.of({ socket: { remoteAddress: '127.0.0.1' }, headers: { forwarded: 'for=203.0.113.9' } }), '203.0.113.9');
});
