import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testApp } from '../../test/helpers/apps.js';
import { RecordingTransport } from '../../test/helpers/recording-transport.js';
import { LocalAdapter } from '../adapter/local-adapter.js';
import { StaticAppStore } from '../apps/app-store.js';
import type { App } from '../apps/app.js';
import { DomainEvents, type DomainEventMap } from '../events/domain-events.js';
import { createLogger } from '../logging/logger.js';
import { SOCKET_ID_PATTERN } from '../protocol/socket-id.js';
import type { Connection } from './connection.js';
import { ConnectionRegistry } from './connection-registry.js';
import { Gateway, type FrameSink, type GatewayLimits } from './gateway.js';
import type { ConnectRequest } from './transport.js';

const SHOP = testApp('shop');
const ACTIVITY_TIMEOUT_SECONDS = 120;

/** Stands in for the frame handlers: keeps what reaches it, and lets a test say when a disconnect's cleanup is done. */
class RecordingSink implements FrameSink {
  readonly received: string[] = [];
  readonly disconnects: { conn: Connection; done: () => void }[] = [];

  receive(_conn: Connection, text: string): void {
    this.received.push(text);
  }

  disconnected(conn: Connection, done: () => void): void {
    this.disconnects.push({ conn, done });
  }
}

/** A gateway over the real registry and local adapter, serving `apps`, with what it tells the activity feed kept. */
function gatewayFor(apps: readonly App[], limits: Partial<GatewayLimits> = {}) {
  const connections = new ConnectionRegistry(ACTIVITY_TIMEOUT_SECONDS * 1000, 30_000);
  const adapter = new LocalAdapter((appId) => connections.count(appId));
  const activity = new DomainEvents();
  const refused: DomainEventMap['connection_refused'][] = [];
  const opened: DomainEventMap['connection_opened'][] = [];
  const closed: DomainEventMap['connection_closed'][] = [];
  activity.on('connection_refused', (e) => refused.push(e));
  activity.on('connection_opened', (e) => opened.push(e));
  activity.on('connection_closed', (e) => closed.push(e));
  const sink = new RecordingSink();
  const gateway = new Gateway(
    new StaticAppStore(apps),
    adapter,
    connections,
    sink,
    activity,
    createLogger('silent'),
    ACTIVITY_TIMEOUT_SECONDS,
    { maxConnectionsPerAddress: null, ...limits },
  );
  /** A client asking for `SHOP` over protocol 7 from `address`, unless `request` says otherwise. */
  const connect = async (request: Partial<ConnectRequest> = {}, address = '10.0.0.1') => {
    const transport = new RecordingTransport(address);
    const conn = await gateway.open(transport, { appKey: SHOP.key, query: new URLSearchParams('protocol=7'), origin: undefined, ...request });
    return { transport, conn };
  };
  return { gateway, connect, sink, refused, opened, closed };
}

/** A refusal as the client sees it: one pusher:error, then a close with the same code and the same words. */
function assertRefused(attempt: { transport: RecordingTransport; conn: Connection | null }, code: number, message: RegExp): void {
  const { transport, conn } = attempt;
  assert.equal(conn, null, 'not admitted');
  assert.deepEqual(transport.calls, ['send pusher:error', `close ${code}`]);
  const { data } = transport.frames()[0]!;
  const error = data as { code: number; message: string };
  assert.equal(error.code, code);
  assert.match(error.message, message);
  assert.deepEqual(transport.closes, [{ code, reason: error.message }]);
}

const protocol = (value: string) => ({ query: new URLSearchParams(value === 'none' ? '' : `protocol=${value}`) });

describe('Gateway.open', () => {
  test('admits a client of a known app: connection_established with its socket id and the activity timeout, nothing closed', async () => {
    const { connect, opened } = gatewayFor([SHOP]);
    const { transport, conn } = await connect();
    assert.ok(conn);
    assert.deepEqual(transport.frames(), [
      { event: 'pusher:connection_established', data: { socket_id: conn.socketId, activity_timeout: ACTIVITY_TIMEOUT_SECONDS } },
    ]);
    assert.match(conn.socketId, SOCKET_ID_PATTERN);
    assert.deepEqual(transport.closes, []);
    assert.deepEqual(opened, [{ appId: SHOP.id, socketId: conn.socketId, transport: 'ws' }]);
  });

  test('each client gets a socket id of its own', async () => {
    const { connect } = gatewayFor([SHOP]);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await connect()).conn!.socketId);
    assert.equal(ids.size, 20);
  });

  test('protocol versions 5, 6 and 7 are admitted', async () => {
    const { connect } = gatewayFor([SHOP]);
    for (const version of ['5', '6', '7']) assert.ok((await connect(protocol(version))).conn, `protocol ${version}`);
  });

  describe('refusals by code, each told before the close with the same code', () => {
    const disabled = testApp('off', { enabled: false });
    const guarded = testApp('guarded', { allowedOrigins: ['https://shop.example'] });
    const cases: { what: string; request: Partial<ConnectRequest>; code: number; message: RegExp; appId: string | null }[] = [
      { what: 'a path with no app key', request: { appKey: null }, code: 4005, message: /Path not found/, appId: null },
      { what: 'no protocol version', request: protocol('none'), code: 4008, message: /No protocol version/, appId: null },
      { what: 'an empty protocol version', request: protocol(''), code: 4008, message: /No protocol version/, appId: null },
      { what: 'a protocol version that is not a number', request: protocol('seven'), code: 4006, message: /Invalid version string format: 'seven'/, appId: null },
      { what: 'a protocol version too new', request: protocol('8'), code: 4007, message: /Unsupported protocol version 8/, appId: null },
      { what: 'a protocol version too old', request: protocol('4'), code: 4007, message: /Unsupported protocol version 4/, appId: null },
      { what: 'an unknown app key', request: { appKey: 'nobody' }, code: 4001, message: /App key nobody not in this cluster/, appId: null },
      { what: 'a disabled app', request: { appKey: disabled.key }, code: 4003, message: /Application disabled/, appId: disabled.id },
      {
        what: 'an origin the app does not allow',
        request: { appKey: guarded.key, origin: 'https://evil.example' },
        code: 4009,
        message: /Origin https:\/\/evil\.example is not allowed/,
        appId: guarded.id,
      },
    ];
    for (const { what, request, code, message, appId } of cases) {
      test(`${code}: ${what}`, async () => {
        const { connect, refused, opened } = gatewayFor([SHOP, disabled, guarded]);
        assertRefused(await connect(request), code, message);
        // Counted against the app once it is known, so that its refusals show in its metrics.
        assert.deepEqual(refused, [{ appId, appKey: request.appKey === undefined ? SHOP.key : request.appKey, code, transport: 'ws' }]);
        assert.deepEqual(opened, []);
      });
    }
  });

  test('an origin the app allows is admitted, and so is a client that sends none', async () => {
    const guarded = testApp('guarded', { allowedOrigins: ['https://shop.example'] });
    const { connect } = gatewayFor([guarded]);
    assert.ok((await connect({ appKey: guarded.key, origin: 'https://shop.example' })).conn);
    assert.ok((await connect({ appKey: guarded.key, origin: undefined })).conn);
  });

  test("the app's connection quota: 4004 at the limit, a place again once a client has left", async () => {
    const small = testApp('small', { maxConnections: 2 });
    const { gateway, connect, sink } = gatewayFor([small, SHOP]);
    const first = await connect({ appKey: small.key });
    assert.ok((await connect({ appKey: small.key })).conn);
    assertRefused(await connect({ appKey: small.key }), 4004, /over its connection quota \(2\)/);
    // Another app's clients do not count against it.
    assert.ok((await connect()).conn);

    gateway.closed(first.conn!);
    sink.disconnects.forEach(({ done }) => done());
    assert.ok((await connect({ appKey: small.key })).conn);
  });

  test('a refused client takes no place of the quota', async () => {
    const single = testApp('single', { maxConnections: 1 });
    const { connect } = gatewayFor([single]);
    assertRefused(await connect({ appKey: single.key, ...protocol('8') }), 4007, /Unsupported/);
    assert.ok((await connect({ appKey: single.key })).conn);
  });

  test('connections per client address on this node, all apps together: 4004 beyond the limit, other addresses unaffected', async () => {
    const other = testApp('other');
    const { gateway, connect, sink } = gatewayFor([SHOP, other], { maxConnectionsPerAddress: 2 });
    const first = await connect({}, '10.0.0.1');
    assert.ok((await connect({ appKey: other.key }, '10.0.0.1')).conn);
    assertRefused(await connect({}, '10.0.0.1'), 4004, /Too many connections from one address: this server allows 2/);
    assert.ok((await connect({}, '10.0.0.2')).conn);

    gateway.closed(first.conn!);
    sink.disconnects.forEach(({ done }) => done());
    assert.ok((await connect({}, '10.0.0.1')).conn);
  });

  test("connections per client address of one app: only that app's connections count", async () => {
    const strict = testApp('strict', { maxConnectionsPerAddress: 1 });
    const { connect } = gatewayFor([SHOP, strict]);
    assert.ok((await connect({}, '10.0.0.1')).conn);
    assert.ok((await connect({ appKey: strict.key }, '10.0.0.1')).conn);
    assertRefused(await connect({ appKey: strict.key }, '10.0.0.1'), 4004, /this app allows 1 per client address/);
    assert.ok((await connect({ appKey: strict.key }, '10.0.0.2')).conn);
  });

  test('a burst from one address cannot all slip under the limit while the app is looked up', async () => {
    const { connect } = gatewayFor([SHOP], { maxConnectionsPerAddress: 3 });
    const attempts = await Promise.all(Array.from({ length: 8 }, () => connect({}, '10.0.0.9')));
    assert.equal(attempts.filter((a) => a.conn !== null).length, 3);
    for (const refused of attempts.filter((a) => a.conn === null)) assertRefused(refused, 4004, /Too many connections from one address/);
  });
});

describe('Gateway.receive and Gateway.closed', () => {
  test("an admitted client's frames go to the frame handlers as they came", async () => {
    const { gateway, connect, sink } = gatewayFor([SHOP]);
    const { conn } = await connect();
    gateway.receive(conn!, '{"event":"pusher:ping","data":{}}');
    gateway.receive(conn!, 'not json');
    assert.deepEqual(sink.received, ['{"event":"pusher:ping","data":{}}', 'not json']);
  });

  test('a transport closed twice is cleaned up once, and connection_closed is told when the cleanup is done', async () => {
    const { gateway, connect, sink, closed } = gatewayFor([SHOP]);
    const { conn } = await connect();
    gateway.closed(conn!);
    gateway.closed(conn!);
    assert.equal(sink.disconnects.length, 1);
    assert.deepEqual(closed, [], 'not before the handlers have left its channels');
    sink.disconnects[0]!.done();
    assert.deepEqual(closed, [{ appId: SHOP.id, socketId: conn!.socketId, transport: 'ws' }]);
  });
});
