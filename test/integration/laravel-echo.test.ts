// The flows a Laravel front end runs through laravel-echo (broadcaster
// `pusher`, with pusher-js as `window.Pusher` would provide it), against a
// back end played by the `pusher` SDK: broadcasting events, authorizing
// private and presence channels the way routes/channels.php does, whispers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import Echo, { type EchoOptions } from 'laravel-echo';
import type Pusher from 'pusher';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { PusherJS } from '../helpers/pusher-js.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

type PusherEcho = Echo<'pusher'>;
type EchoChannel = ReturnType<PusherEcho['channel']>;

interface User {
  readonly id: number;
  readonly name: string;
  readonly vendorId?: number;
  readonly admin?: boolean;
}

const ana: User = { id: 1, name: 'Ana', vendorId: 7, admin: true };
const ben: User = { id: 2, name: 'Ben', vendorId: 8, admin: true };

class Forbidden extends Error {}

/**
 * The app's broadcasting auth endpoint, as routes/channels.php declares it:
 * a vendor sees only its own orders, admins share a presence channel.
 */
function authorizeChannel(sdk: Pusher, user: User, socketId: string, channelName: string): Pusher.ChannelAuthResponse {
  const vendorOrders = /^private-vendor-orders\.(\d+)$/.exec(channelName);
  if (vendorOrders) {
    if (user.vendorId !== Number(vendorOrders[1])) throw new Forbidden(`user ${user.id} may not see ${channelName}`);
    return sdk.authorizeChannel(socketId, channelName);
  }
  if (channelName === 'presence-admin-presence') {
    if (!user.admin) throw new Forbidden(`user ${user.id} is not an admin`);
    return sdk.authorizeChannel(socketId, channelName, { user_id: String(user.id), user_info: { id: user.id, name: user.name } });
  }
  if (/^private-chat\.\d+$/.test(channelName)) return sdk.authorizeChannel(socketId, channelName);
  throw new Forbidden(`no channel rule matches ${channelName}`);
}

/** Resolves when Echo reports the subscription, rejects with what Echo's `.error()` received. */
function echoSubscribed(channel: EchoChannel, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      channel.subscribed(() => resolve());
      channel.error((status: unknown) => reject(new Error(`subscription error on ${what}: ${JSON.stringify(status)}`)));
    }),
    `Echo subscription to ${what}`,
  );
}

/** The next call of a callback handed to Echo, bounded. */
function callback<T>(what: string): { fn: (value: T) => void; next: Promise<T> } {
  let fn: (value: T) => void = () => {};
  const next = withTimeout(
    new Promise<T>((resolve) => {
      fn = resolve;
    }),
    what,
  );
  return { fn: (value) => fn(value), next };
}

describe('laravel-echo', () => {
  let h: RunningHerald;
  let sdk: Pusher;

  before(async () => {
    h = await startHerald();
    sdk = h.sdk();
  });
  after(() => h.close());

  interface EchoClient {
    readonly echo: PusherEcho;
    /** Every event name pusher-js received on a channel, in order. */
    eventsOn(channel: string): string[];
  }

  /** An Echo configured as resources/js/echo.js does, signed in as `user` on the back end. */
  function echoFor(t: TestContext, user: User, authorize: typeof authorizeChannel = authorizeChannel): EchoClient {
    const options: EchoOptions<'pusher'> = {
      broadcaster: 'pusher',
      key: APP.key,
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: h.port,
      wssPort: h.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      enableStats: false,
      Pusher: PusherJS as unknown as NonNullable<EchoOptions<'pusher'>['Pusher']>,
      // The authorizer Laravel documents for apps that authorize over their own API client.
      authorizer: (channel) => ({
        authorize: (socketId, done) => {
          try {
            done(null, authorize(sdk, user, socketId, channel.name));
          } catch (err) {
            done(err as Error, null);
          }
        },
      }),
    };
    const echo = new Echo(options);
    t.after(() => echo.disconnect());
    const received: Array<{ channel?: string; event: string }> = [];
    echo.connector.pusher.connection.bind('message', (m: { channel?: string; event: string }) => received.push(m));
    return { echo, eventsOn: (channel) => received.filter((m) => m.channel === channel).map((m) => m.event) };
  }

  /** Triggers a control event and waits until every client has it: anything sent before has arrived. */
  async function controlEvent(channel: string, clients: EchoClient[]): Promise<void> {
    const event = `control-${randomUUID()}`;
    await sdk.trigger(channel, event, {});
    await Promise.all(clients.map((c) => waitFor(() => c.eventsOn(channel).includes(event), `control event on ${channel}`)));
  }

  test("Echo.channel('orders').listen('.order.created') receives an event the back end broadcasts", async (t) => {
    const { echo } = echoFor(t, ana);
    const created = callback<{ id: number }>('order.created through Echo');
    const orders = echo.channel('orders').listen('.order.created', created.fn);
    await echoSubscribed(orders, 'orders');

    await sdk.trigger('orders', 'order.created', { id: 42 });
    assert.deepEqual(await created.next, { id: 42 });
  });

  test('an event class name is found through the App.Events namespace', async (t) => {
    const { echo } = echoFor(t, ana);
    const shipped = callback<{ order: { id: number } }>('App\\Events\\OrderShipped through Echo');
    const orders = echo.channel('orders').listen('OrderShipped', shipped.fn);
    await echoSubscribed(orders, 'orders');

    await sdk.trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 7 } });
    assert.deepEqual(await shipped.next, { order: { id: 7 } });
  });

  test('toOthers(): an event triggered with the sender socket id skips that Echo', async (t) => {
    const sender = echoFor(t, ana);
    const other = echoFor(t, ben);
    const atOther = callback<{ id: number }>('order.updated at the other Echo');
    await echoSubscribed(sender.echo.channel('orders'), 'orders (sender)');
    await echoSubscribed(other.echo.channel('orders').listen('.order.updated', atOther.fn), 'orders (other)');

    await sdk.trigger('orders', 'order.updated', { id: 9 }, { socket_id: sender.echo.socketId() });
    assert.deepEqual(await atOther.next, { id: 9 });
    await controlEvent('orders', [sender, other]);
    assert.ok(!sender.eventsOn('orders').includes('order.updated'), 'the sender did not get its own update');
  });

  test("Echo.private('vendor-orders.7') is authorized for vendor 7 and receives its orders", async (t) => {
    const { echo } = echoFor(t, ana);
    const placed = callback<{ id: number }>('order.placed on vendor-orders.7');
    await echoSubscribed(echo.private('vendor-orders.7').listen('.order.placed', placed.fn), 'private-vendor-orders.7');

    await sdk.trigger('private-vendor-orders.7', 'order.placed', { id: 1001 });
    assert.deepEqual(await placed.next, { id: 1001 });
  });

  test("a vendor refused by the back end for another vendor's channel: Echo's .error() fires", async (t) => {
    const { echo } = echoFor(t, ana);
    const refused = callback<{ type: string }>("Echo's error callback");
    echo.private('vendor-orders.8').error(refused.fn);
    assert.equal((await refused.next).type, 'AuthError');
  });

  test("a forged authorization for another vendor's channel is refused by Herald, and no order leaks", async (t) => {
    // A tampered client presents the signature of its own channel for vendor 8's.
    const forger = echoFor(t, ana, (signer, user, socketId) => authorizeChannel(signer, user, socketId, 'private-vendor-orders.7'));
    const vendor8 = echoFor(t, ben);
    const refused = callback<{ type: string; status: number }>("the forger's Echo error callback");
    forger.echo.private('vendor-orders.8').listen('.order.placed', () => {}).error(refused.fn);
    const rejection = await refused.next;
    assert.equal(rejection.type, 'AuthError');
    assert.equal(rejection.status, 401);

    await echoSubscribed(vendor8.echo.private('vendor-orders.8'), 'private-vendor-orders.8');
    await sdk.trigger('private-vendor-orders.8', 'order.placed', { id: 2002 });
    await controlEvent('private-vendor-orders.8', [vendor8]);
    assert.ok(vendor8.eventsOn('private-vendor-orders.8').includes('order.placed'));
    assert.deepEqual(forger.eventsOn('private-vendor-orders.8'), ['pusher:subscription_error']);
  });

  test("Echo.join('admin-presence'): here, joining and leaving", async (t) => {
    const first = echoFor(t, ana);
    const here = callback<User[]>('here() for Ana');
    const joining = callback<User>('joining() at Ana');
    const leaving = callback<User>('leaving() at Ana');
    first.echo.join('admin-presence').here(here.fn).joining(joining.fn).leaving(leaving.fn);
    assert.deepEqual(await here.next, [{ id: 1, name: 'Ana' }]);

    const second = echoFor(t, ben);
    const hereForBen = callback<User[]>('here() for Ben');
    second.echo.join('admin-presence').here(hereForBen.fn);
    const members = await hereForBen.next;
    assert.deepEqual(
      [...members].sort((a, b) => a.id - b.id),
      [
        { id: 1, name: 'Ana' },
        { id: 2, name: 'Ben' },
      ],
    );
    assert.deepEqual(await joining.next, { id: 2, name: 'Ben' });

    second.echo.leave('admin-presence');
    assert.deepEqual(await leaving.next, { id: 2, name: 'Ben' });
  });

  test('a user without the right joins no presence channel: .error() fires', async (t) => {
    const { echo } = echoFor(t, { id: 3, name: 'Cy' });
    const refused = callback<{ type: string }>("Echo's error callback for a non-admin");
    echo.join('admin-presence').error(refused.fn);
    assert.equal((await refused.next).type, 'AuthError');
  });

  test('whisper / listenForWhisper between two Echo clients on a private channel', async (t) => {
    const writer = echoFor(t, ana);
    const reader = echoFor(t, ben);
    const typing = callback<{ name: string }>('the whisper at the reader');
    const writerChat = writer.echo.private('chat.1');
    const readerChat = reader.echo.private('chat.1').listenForWhisper('typing', typing.fn);
    await Promise.all([echoSubscribed(writerChat, 'private-chat.1 (writer)'), echoSubscribed(readerChat, 'private-chat.1 (reader)')]);

    writerChat.whisper('typing', { name: 'Ana' });
    assert.deepEqual(await typing.next, { name: 'Ana' });

    await controlEvent('private-chat.1', [writer, reader]);
    assert.ok(!writer.eventsOn('private-chat.1').includes('client-typing'), 'the writer does not hear its own whisper');
  });
});
