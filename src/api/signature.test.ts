import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Pusher from 'pusher';
import type { App } from '../apps/app.js';
import { HttpError } from '../protocol/errors.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { verifySignature } from './signature.js';

const APP: App = {
  id: 'test-app',
  key: 'test-key',
  secret: 'test-secret',
  enabled: true,
  clientEvents: false,
  userAuthentication: false,
  maxConnections: null,
  maxPresenceMembers: 100,
  maxEventPayloadBytes: 10240,
  clientEventsPerSecond: 10,
  maxChannelsPerEvent: 100,
  maxChannelsPerConnection: 500,
  maxConnectionsPerAddress: null,
  backendEventsPerSecond: null,
  apiRequestsPerSecond: null,
  allowedOrigins: [],
  subscriptionCountEvents: false,
  webhooks: [],
  history: [],
};

const sdkFor = (creds: { key?: string; secret?: string } = {}) =>
  new Pusher({ appId: APP.id, key: creds.key ?? APP.key, secret: creds.secret ?? APP.secret, host: '127.0.0.1', useTLS: false });

interface Signed {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
  /** The server's clock at signing time, in ms. */
  signedAt: number;
}

/** A request as the pusher SDK signs it, parsed the way the server parses it. */
function signed(
  method: 'GET' | 'POST',
  path: string,
  options: { body?: string; params?: Record<string, string>; sdk?: Pusher } = {},
): Signed {
  const signedAt = Date.now();
  const query = (options.sdk ?? sdkFor()).createSignedQueryString({ method, path, body: options.body, params: options.params });
  const url = new URL(`http://localhost${path}?${query}`);
  return { method, path: url.pathname, query: url.searchParams, body: Buffer.from(options.body ?? ''), signedAt };
}

const verify = (r: Signed, now = r.signedAt, app = APP) => verifySignature(app, r.method, r.path, r.query, r.body, now);

/** Asserts a 401 whose message matches. */
function refused(fn: () => void, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
    assert.equal(err.status, 401);
    assert.match(err.message, message);
    return true;
  });
}

const EVENT_BODY = JSON.stringify({ name: 'e', channels: ['orders'], data: '{"id":1}' });

describe('verifySignature accepts what the pusher SDK signs', () => {
  test('a POST with a body', () => {
    verify(signed('POST', '/apps/test-app/events', { body: EVENT_BODY }));
  });

  test('a GET with query parameters', () => {
    verify(signed('GET', '/apps/test-app/channels', { params: { filter_by_prefix: 'presence-', info: 'user_count,subscription_count' } }));
  });

  test('a GET without parameters and without body', () => {
    verify(signed('GET', '/apps/test-app/channels/presence-room/users'));
  });

  test('a path signed as written and sent percent-encoded', () => {
    const r = signed('GET', '/apps/test-app/channels/presence-a@b');
    verify({ ...r, path: '/apps/test-app/channels/presence-a%40b' });
  });

  test('a timestamp inside the window, either side', () => {
    const r = signed('GET', '/apps/test-app/channels');
    const edge = (ProtocolLimits.authTimestampWindowSeconds - 5) * 1000;
    verify(r, r.signedAt + edge);
    verify(r, r.signedAt - edge);
  });

  test('a lowercase method given by the server', () => {
    const r = signed('POST', '/apps/test-app/events', { body: EVENT_BODY });
    verify({ ...r, method: 'post' });
  });
});

describe('verifySignature refuses with 401', () => {
  test('a request signed with another secret', () => {
    refused(() => verify(signed('POST', '/apps/test-app/events', { body: EVENT_BODY, sdk: sdkFor({ secret: 'wrong' }) })), /Invalid signature/);
  });

  test('a request for another key', () => {
    refused(() => verify(signed('GET', '/apps/test-app/channels', { sdk: sdkFor({ key: 'other-key' }) })), /auth_key/);
  });

  test('a stale or future timestamp', () => {
    const r = signed('GET', '/apps/test-app/channels');
    const beyond = (ProtocolLimits.authTimestampWindowSeconds + 5) * 1000;
    refused(() => verify(r, r.signedAt + beyond), /[Tt]imestamp expired/);
    refused(() => verify(r, r.signedAt - beyond), /[Tt]imestamp expired/);
    const notANumber = new URLSearchParams(r.query);
    notANumber.set('auth_timestamp', 'yesterday');
    refused(() => verify({ ...r, query: notANumber }), /[Tt]imestamp/);
  });

  test('a body changed after signing', () => {
    const r = signed('POST', '/apps/test-app/events', { body: EVENT_BODY });
    refused(() => verify({ ...r, body: Buffer.from(EVENT_BODY.replace('orders', 'others')) }), /body_md5/);
  });

  test('a body sent without body_md5', () => {
    const r = signed('GET', '/apps/test-app/channels');
    refused(() => verify({ ...r, method: 'POST', body: Buffer.from(EVENT_BODY) }), /body_md5/);
  });

  test('a body_md5 changed along with the body but not re-signed', () => {
    const r = signed('POST', '/apps/test-app/events', { body: EVENT_BODY });
    const other = signed('POST', '/apps/test-app/events', { body: '{"name":"evil"}' });
    const query = new URLSearchParams(r.query);
    query.set('body_md5', other.query.get('body_md5') ?? '');
    refused(() => verify({ ...r, query, body: other.body }), /Invalid signature/);
  });

  test('a parameter added, changed or removed after signing', () => {
    const r = signed('GET', '/apps/test-app/channels', { params: { filter_by_prefix: 'presence-' } });
    const added = new URLSearchParams(r.query);
    added.set('info', 'user_count');
    refused(() => verify({ ...r, query: added }), /Invalid signature/);
    const changed = new URLSearchParams(r.query);
    changed.set('filter_by_prefix', 'private-');
    refused(() => verify({ ...r, query: changed }), /Invalid signature/);
    const removed = new URLSearchParams(r.query);
    removed.delete('filter_by_prefix');
    refused(() => verify({ ...r, query: removed }), /Invalid signature/);
  });

  test('a signature for another path or method', () => {
    const r = signed('GET', '/apps/test-app/channels/presence-a');
    refused(() => verify({ ...r, path: '/apps/test-app/channels/presence-b' }), /Invalid signature/);
    refused(() => verify({ ...r, method: 'POST' }), /Invalid signature/);
  });

  test('a missing auth_key, auth_timestamp or auth_signature', () => {
    const r = signed('GET', '/apps/test-app/channels');
    for (const name of ['auth_key', 'auth_timestamp', 'auth_signature']) {
      const query = new URLSearchParams(r.query);
      query.delete(name);
      refused(() => verify({ ...r, query }), /must be signed/);
    }
    refused(() => verify({ ...r, query: new URLSearchParams() }), /must be signed/);
  });

  test('an unsupported auth_version', () => {
    const r = signed('GET', '/apps/test-app/channels');
    const query = new URLSearchParams(r.query);
    query.set('auth_version', '2.0');
    refused(() => verify({ ...r, query }), /auth_version 2\.0/);
  });
});
