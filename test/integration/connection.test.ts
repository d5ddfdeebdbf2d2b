// Opening a connection: the handshake, every documented refusal, and
// liveness (pings both ways, idle clients closed with 4201).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { closedBy, frameData, PUSHER_JS_QUERY, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { connected, nextEvent, waitFor, withTimeout } from '../helpers/wait.js';
import type { PusherJS } from '../helpers/pusher-js.js';

const SOCKET_ID = /^\d+\.\d+$/;

/** What pusher-js emits as a connection 'error': the Pusher error, possibly wrapped in a transport error. */
interface ConnectionError {
  type: string;
  data?: { code: number | null; message: string };
  error?: ConnectionError;
}

function pusherErrorCode(error: ConnectionError | undefined): number | null | undefined {
  if (!error) return undefined;
  return error.data?.code ?? pusherErrorCode(error.error);
}

interface Established {
  socket_id: string;
  activity_timeout: number;
}

/** The pusher:error a refused raw socket gets, then the close that follows it. */
async function refusal(socket: RawSocket): Promise<{ code: number | null; message: string; closeCode: number }> {
  const error = await socket.nextEvent('pusher:error');
  const { code, message } = frameData<{ code: number | null; message: string }>(error);
  const { code: closeCode } = await closedBy(socket);
  return { code, message, closeCode };
}

/** Resolves with the state pusher-js settles in once it stops trying, and the errors it reported. */
function settledState(client: PusherJS, state: string): Promise<ConnectionError[]> {
  const errors: ConnectionError[] = [];
  client.connection.bind('error', (e: ConnectionError) => errors.push(e));
  return withTimeout(
    new Promise<ConnectionError[]>((resolve) => {
      client.connection.bind('state_change', ({ current }: { current: string }) => {
        if (current === state) resolve(errors);
      });
    }),
    `pusher-js to reach state ${state}`,
  );
}

describe('handshake and refusals', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({
      apps: [
        { ...APP, clientEvents: true, userAuthentication: true },
        { id: 'off-app', key: 'off-key', secret: 'off-secret', enabled: false },
        { id: 'solo-app', key: 'solo-key', secret: 'solo-secret', maxConnections: 1 },
        { id: 'shop-app', key: 'shop-key', secret: 'shop-secret', allowedOrigins: ['https://shop.example', '*.shop.example'] },
      ],
    });
  });
  after(() => h.close());

  test('connection_established carries a socket id and an integer activity timeout, as a JSON string', async (t) => {
    const socket = rawSocket(h.port, t);
    const established = await socket.nextEvent('pusher:connection_established');
    assert.equal(typeof established.data, 'string', 'protocol 7 sends data as a JSON-encoded string');
    const data = frameData<Established>(established);
    assert.match(data.socket_id, SOCKET_ID);
    assert.ok(Number.isInteger(data.activity_timeout) && data.activity_timeout > 0, `activity_timeout ${data.activity_timeout}`);
    assert.equal(data.activity_timeout, h.herald.settings.activityTimeoutSeconds);
  });

  test('every pusher-js client gets its own socket id', async (t) => {
    const ids = await Promise.all([h.client(t), h.client(t), h.client(t)].map((c) => connected(c)));
    for (const id of ids) assert.match(id, SOCKET_ID);
    assert.equal(new Set(ids).size, ids.length, `socket ids ${ids.join(', ')}`);
  });

  test('an unknown app key is refused with 4001 and pusher-js stops in "disconnected"', async (t) => {
    const refused = await refusal(rawSocket(h.port, t, { key: 'no-such-key' }));
    assert.equal(refused.code, 4001);
    assert.equal(refused.closeCode, 4001);
    assert.match(refused.message, /no-such-key/);

    const client = h.client(t, {}, 'no-such-key');
    const errors = await settledState(client, 'disconnected');
    assert.ok(
      errors.some((e) => pusherErrorCode(e) === 4001),
      `pusher-js reported ${JSON.stringify(errors)}`,
    );
  });

  test('a disabled app is refused with 4003', async (t) => {
    const refused = await refusal(rawSocket(h.port, t, { key: 'off-key' }));
    assert.equal(refused.code, 4003);
    assert.equal(refused.closeCode, 4003);
  });

  test('a connection over the app quota is refused with 4004; the quota frees when the first leaves', async (t) => {
    const first = rawSocket(h.port, t, { key: 'solo-key' });
    await first.nextEvent('pusher:connection_established');

    const refused = await refusal(rawSocket(h.port, t, { key: 'solo-key' }));
    assert.equal(refused.code, 4004);
    assert.equal(refused.closeCode, 4004);

    // Other apps have their own quota.
    await rawSocket(h.port, t).nextEvent('pusher:connection_established');

    first.ws.close();
    await waitFor(async () => (await h.herald.adapter.connectionCount('solo-app')) === 0, 'the first connection to be gone');
    await rawSocket(h.port, t, { key: 'solo-key' }).nextEvent('pusher:connection_established');
  });

  test('a path other than /app/{key} is refused with 4005', async (t) => {
    const refused = await refusal(rawSocket(h.port, t, { path: `/foo?${PUSHER_JS_QUERY}` }));
    assert.equal(refused.code, 4005);
    assert.equal(refused.closeCode, 4005);
  });

  test('protocol versions: missing → 4008, malformed → 4006, unsupported → 4007', async (t) => {
    const cases = [
      { path: `/app/${APP.key}`, code: 4008 },
      { path: `/app/${APP.key}?client=js`, code: 4008 },
      { path: `/app/${APP.key}?protocol=abc`, code: 4006 },
      { path: `/app/${APP.key}?protocol=1`, code: 4007 },
    ];
    for (const { path, code } of cases) {
      const refused = await refusal(rawSocket(h.port, t, { path }));
      assert.equal(refused.code, code, `${path}: ${refused.message}`);
      assert.equal(refused.closeCode, code, path);
    }
  });

  test('the client can ping the server: raw frames and pusher-js', async (t) => {
    const socket = rawSocket(h.port, t);
    await socket.nextEvent('pusher:connection_established');
    await socket.pingPong();
    await socket.pingPong();

    const client = h.client(t);
    await connected(client);
    const pong = nextEvent<{ event: string }>(client.connection, 'message', 'pusher:pong on pusher-js');
    client.send_event('pusher:ping', {});
    assert.equal((await pong).event, 'pusher:pong');
  });

  test('allowedOrigins: a wrong Origin is refused with 4009, a listed one or a matching wildcard admitted', async (t) => {
    const refused = await refusal(rawSocket(h.port, t, { key: 'shop-key', origin: 'https://evil.example' }));
    assert.equal(refused.code, 4009);
    assert.equal(refused.closeCode, 4009);

    const lookalike = await refusal(rawSocket(h.port, t, { key: 'shop-key', origin: 'https://shop.example.evil.test' }));
    assert.equal(lookalike.code, 4009);

    for (const origin of ['https://shop.example', 'https://eu.shop.example']) {
      const socket = rawSocket(h.port, t, { key: 'shop-key', origin });
      await socket.nextEvent('pusher:connection_established');
      await socket.pingPong();
    }
  });
});

describe('liveness', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { activityTimeoutSeconds: 1, pongTimeoutSeconds: 1 } });
  });
  after(() => h.close());

  // A second of activity timeout plus a second of pong timeout, on a busy machine.
  const LIVENESS_WAIT_MS = 6000;

  test('an idle client that never answers the server ping is closed with 4201', async (t) => {
    const socket = rawSocket(h.port, t);
    await socket.nextEvent('pusher:connection_established');
    await socket.nextEvent('pusher:ping', LIVENESS_WAIT_MS);
    const error = await socket.nextEvent('pusher:error', LIVENESS_WAIT_MS);
    assert.equal(frameData<{ code: number }>(error).code, 4201);
    const { code } = await closedBy(socket, 'the close after the missed pong', LIVENESS_WAIT_MS);
    assert.equal(code, 4201);
  });

  test('a client that answers the server ping stays connected and is pinged again', async (t) => {
    const socket = rawSocket(h.port, t);
    await socket.nextEvent('pusher:connection_established');
    await socket.nextEvent('pusher:ping', LIVENESS_WAIT_MS);
    socket.send({ event: 'pusher:pong', data: {} });
    // Had the pong been ignored, the socket would now be closed with 4201
    // instead of being pinged again after another quiet activity timeout.
    await socket.nextEvent('pusher:ping', LIVENESS_WAIT_MS);
    socket.send({ event: 'pusher:pong', data: {} });
    await socket.pingPong();
    assert.equal(socket.frames.filter((f) => f.event === 'pusher:error').length, 0);
  });

  test('an idle pusher-js client answers server pings and stays connected', async (t) => {
    const client = h.client(t);
    const socketId = await connected(client);
    const states: string[] = [];
    client.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
    let serverPings = 0;
    client.connection.bind('message', (m: { event: string }) => {
      if (m.event === 'pusher:ping') serverPings++;
    });
    const channel = client.subscribe('ticker');
    await nextEvent(channel, 'pusher:subscription_succeeded');

    // pusher-js pings on its own after a quiet activity timeout, which would
    // keep the server from ever pinging it. A steady trickle of events keeps
    // the client's side busy while the client itself sends nothing, so it is
    // the server that pings, and pusher-js that must answer.
    const sdk = h.sdk();
    let ticking = true;
    const ticker = (async () => {
      while (ticking) {
        await sdk.trigger('ticker', 'tick', {});
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    t.after(async () => {
      ticking = false;
      await ticker;
    });

    await waitFor(() => serverPings >= 2, 'two server pings answered by pusher-js', LIVENESS_WAIT_MS);
    ticking = false;
    await ticker;
    assert.deepEqual(states, [], 'the connection never left "connected"');
    assert.equal(client.connection.state, 'connected');
    assert.equal(client.connection.socket_id, socketId);
  });
});
