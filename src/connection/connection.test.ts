import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testApp } from '../../test/helpers/apps.js';
import { RecordingTransport } from '../../test/helpers/recording-transport.js';
import { SocketError } from '../protocol/errors.js';
import { Connection } from './connection.js';

const connectionOf = (app = testApp('shop')) => {
  const transport = new RecordingTransport();
  return { conn: new Connection('1.1', app, transport), transport };
};

/** A promise and the functions that settle it, for a task a test finishes when it chooses. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Connection.process', () => {
  test('a synchronous task runs at once', () => {
    const { conn } = connectionOf();
    const steps: string[] = [];
    conn.process(
      () => void steps.push('ping'),
      () => steps.push('error'),
    );
    assert.deepEqual(steps, ['ping']);
  });

  test('once a task waits, the tasks after it (synchronous ones too) run after it has finished, in order', async () => {
    const { conn } = connectionOf();
    const steps: string[] = [];
    const fail = (err: unknown) => steps.push(`error ${String(err)}`);
    const subscribe = deferred();
    conn.process(async () => {
      steps.push('subscribe starts');
      await subscribe.promise;
      steps.push('subscribe ends');
    }, fail);
    conn.process(() => void steps.push('ping'), fail);
    conn.process(async () => void steps.push('unsubscribe'), fail);
    await settle();
    assert.deepEqual(steps, ['subscribe starts'], 'later frames wait for the one in progress');
    subscribe.resolve();
    await settle();
    assert.deepEqual(steps, ['subscribe starts', 'subscribe ends', 'ping', 'unsubscribe']);
  });

  test('a task that throws or rejects goes to onError, and the tasks after it still run', async () => {
    const { conn } = connectionOf();
    const steps: string[] = [];
    const fail = (err: unknown) => steps.push(`error ${(err as Error).message}`);
    conn.process(() => {
      throw new Error('thrown');
    }, fail);
    const slow = deferred();
    conn.process(() => slow.promise, fail);
    // Queued behind the one in progress, which is another path through process.
    conn.process(async () => {
      throw new Error('queued and rejected');
    }, fail);
    conn.process(() => void steps.push('after the rejections'), fail);
    slow.reject(new Error('rejected'));
    await settle();
    conn.process(() => void steps.push('later'), fail);
    await settle();
    assert.deepEqual(steps, ['error thrown', 'error rejected', 'error queued and rejected', 'after the rejections', 'later']);
  });
});

describe('client event budget', () => {
  test("the app's clientEventsPerSecond per one-second window, then refused until the next window", () => {
    const { conn } = connectionOf(testApp('chatty', { clientEventsPerSecond: 3 }));
    const at = (now: number, times: number) => Array.from({ length: times }, () => conn.takeClientEventBudget(now));
    assert.deepEqual(at(10_000, 4), [true, true, true, false]);
    assert.deepEqual(at(10_999, 1), [false], 'still the same window');
    assert.deepEqual(at(11_000, 4), [true, true, true, false], 'a new window, a new budget');
  });

  test('a new limit of the app applies to a connection already open', () => {
    const { conn } = connectionOf(testApp('chatty', { clientEventsPerSecond: 1 }));
    assert.equal(conn.takeClientEventBudget(5_000), true);
    assert.equal(conn.takeClientEventBudget(5_001), false);
    conn.appChanged(testApp('chatty', { clientEventsPerSecond: 5 }));
    assert.equal(conn.takeClientEventBudget(5_002), true);
  });
});

describe('Connection.sendError and close', () => {
  test('an error the connection survives is a pusher:error, with no close', () => {
    const { conn, transport } = connectionOf();
    conn.sendError(new SocketError('invalidFrame', 'Invalid message: not JSON'));
    assert.deepEqual(transport.frames(), [{ event: 'pusher:error', data: { code: null, message: 'Invalid message: not JSON' } }]);
    assert.deepEqual(transport.closes, []);
    conn.sendEvent('pusher:pong', {});
    assert.equal(transport.named('pusher:pong').length, 1, 'still open');
  });

  test('a rate-limited client event keeps the connection, with its code', () => {
    const { conn, transport } = connectionOf();
    conn.sendError(new SocketError('clientEventRateLimited', 'too many'));
    assert.deepEqual(transport.frames(), [{ event: 'pusher:error', data: { code: 4301, message: 'too many' } }]);
    assert.deepEqual(transport.closes, []);
  });

  test('a fatal error is a pusher:error, then a close with its code and message; nothing is written after', () => {
    const { conn, transport } = connectionOf();
    conn.sendError(new SocketError('appDisabled', 'Application disabled'));
    assert.deepEqual(transport.calls, ['send pusher:error', 'close 4003']);
    assert.deepEqual(transport.named('pusher:error')[0]?.data, { code: 4003, message: 'Application disabled' });
    assert.deepEqual(transport.closes, [{ code: 4003, reason: 'Application disabled' }]);

    conn.sendEvent('pusher:pong', {});
    conn.sendError(new SocketError('pongNotReceived', 'late'));
    conn.close(4009, 'again');
    assert.deepEqual(transport.calls, ['send pusher:error', 'close 4003'], 'a closed connection writes and closes nothing more');
    assert.equal(conn.closed, true);
  });

  test('each fatal error closes with its own code', () => {
    for (const [kind, code] of [
      ['appNotFound', 4001],
      ['overConnectionQuota', 4004],
      ['overCapacity', 4100],
      ['pongNotReceived', 4201],
      ['terminatedByApp', 4009],
    ] as const) {
      const { conn, transport } = connectionOf();
      conn.sendError(new SocketError(kind, kind));
      assert.deepEqual(transport.closes, [{ code, reason: kind }], kind);
    }
  });
});
