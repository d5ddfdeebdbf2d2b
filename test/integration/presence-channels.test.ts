// Presence channels: who is here, who arrives and who leaves, one member per
// user however many sockets it has, and the per-app member limit.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import type Pusher from 'pusher';
import { APP, establishedRawSocket, serverClosed, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { frameData } from '../helpers/raw-socket.js';
import {
  connected,
  nextEvent,
  recordMessages,
  subscribed,
  waitFor,
  waitForMessage,
  type ReceivedMessage,
} from '../helpers/wait.js';

let h: RunningHerald;
before(async () => {
  h = await startHerald();
});
after(() => h.close());

const person = (name: string): Pusher.PresenceChannelData => ({ user_id: `${name.toLowerCase()}-${rid()}`, user_info: { name } });

interface Member {
  id: string;
  info: unknown;
}
interface PresenceChannel {
  members: { count: number; me: Member; each(fn: (m: Member) => void): void; get(id: string): Member | null };
}

const membersOf = (channel: unknown) => channel as PresenceChannel;
const idsOf = (channel: unknown): string[] => {
  const ids: string[] = [];
  membersOf(channel).members.each((m) => ids.push(String(m.id)));
  return ids.sort();
};

async function member(presence: Pusher.PresenceChannelData, t: Parameters<typeof signedClient>[1]) {
  const client = signedClient(h, t, { presence });
  const messages = recordMessages(client);
  const socketId = await connected(client);
  return { client, messages, socketId };
}

/** Triggers a control event on the channel and waits until `messages` has it: everything sent before has arrived. */
async function barrier(messages: ReceivedMessage[], channel: string): Promise<void> {
  const marker = rid();
  await h.sdk().trigger(channel, 'control-event', { marker });
  await waitForMessage(messages, (m) => m.channel === channel && (m.data as { marker?: string } | undefined)?.marker === marker, 'the control event');
}

const count = (messages: ReceivedMessage[], channel: string, event: string) =>
  messages.filter((m) => m.channel === channel && m.event === event).length;

/** Alice and then Bob in a fresh presence room, once Alice's client counts both. */
async function aliceThenBob(t: Parameters<typeof signedClient>[1]) {
  const name = `presence-room-${rid()}`;
  const alice = person('Alice');
  const bob = person('Bob');
  const a = await member(alice, t);
  const chA = await subscribed(a.client, name);
  const b = await member(bob, t);
  await subscribed(b.client, name);
  await waitFor(() => membersOf(chA).members.count === 2, 'bob to be added');
  return { name, alice, bob, chA, b };
}

test('members see each other with user_info, and member_added reaches the others only', async (t) => {
  const alice = person('Alice');
  const bob = person('Bob');
  const name = `presence-room-${rid()}`;
  const a = await member(alice, t);
  const chA = await subscribed(a.client, name);
  assert.equal(membersOf(chA).members.count, 1);
  assert.equal(membersOf(chA).members.me.id, alice.user_id);
  assert.deepEqual(membersOf(chA).members.me.info, alice.user_info);

  const added = nextEvent<Member>(chA, 'pusher:member_added');
  const b = await member(bob, t);
  const chB = await subscribed(b.client, name);
  assert.deepEqual(idsOf(chB), [alice.user_id, bob.user_id].sort());
  assert.deepEqual(membersOf(chB).members.get(alice.user_id)?.info, alice.user_info);
  const joined = await added;
  assert.equal(joined.id, bob.user_id);
  assert.deepEqual(joined.info, bob.user_info);
  assert.equal(membersOf(chA).members.count, 2);

  await barrier(b.messages, name);
  assert.equal(count(b.messages, name, 'pusher_internal:member_added'), 0, 'a member is not told about its own arrival');
});

test('member_removed when a member disconnects', async (t) => {
  const { alice, bob, chA, b } = await aliceThenBob(t);

  const removed = nextEvent<Member>(chA, 'pusher:member_removed');
  b.client.disconnect();
  assert.equal((await removed).id, bob.user_id);
  assert.deepEqual(idsOf(chA), [alice.user_id]);
});

test('member_removed when a member unsubscribes, and the channel API agrees', async (t) => {
  const { name, alice, bob, chA, b } = await aliceThenBob(t);

  const removed = nextEvent<Member>(chA, 'pusher:member_removed');
  b.client.unsubscribe(name);
  assert.equal((await removed).id, bob.user_id);
  const res = await h.sdk().get({ path: `/channels/${name}/users` });
  assert.deepEqual(await res.json(), { users: [{ id: alice.user_id }] });
});

test('one user on two sockets is one member, removed only when its last socket leaves', async (t) => {
  const name = `presence-room-${rid()}`;
  const alice = person('Alice');
  const bob = person('Bob');
  const a = await member(alice, t);
  const chA = await subscribed(a.client, name);
  const b1 = await member(bob, t);
  await subscribed(b1.client, name);
  const b2 = await member(bob, t);
  const chB2 = await subscribed(b2.client, name);
  assert.equal(membersOf(chB2).members.count, 2);
  assert.deepEqual(idsOf(chB2), [alice.user_id, bob.user_id].sort());
  await barrier(a.messages, name);
  assert.equal(count(a.messages, name, 'pusher_internal:member_added'), 1, 'bob is added once');

  const firstGone = serverClosed(h, b1.socketId);
  b1.client.disconnect();
  await firstGone;
  await barrier(a.messages, name);
  assert.equal(count(a.messages, name, 'pusher_internal:member_removed'), 0, 'bob still has a socket');
  assert.equal(membersOf(chA).members.count, 2);
  const info = await (await h.sdk().get({ path: `/channels/${name}`, params: { info: 'user_count,subscription_count' } })).json();
  assert.equal(info.user_count, 2);

  const removed = nextEvent<Member>(chA, 'pusher:member_removed');
  b2.client.disconnect();
  assert.equal((await removed).id, bob.user_id);
  await barrier(a.messages, name);
  assert.equal(count(a.messages, name, 'pusher_internal:member_removed'), 1);
  assert.deepEqual(idsOf(chA), [alice.user_id]);
});

test('a numeric user_id (as Laravel sends) works and is reported as a string', async (t) => {
  const name = `presence-chat-${rid()}`;
  const numericId = Math.floor(Math.random() * 1e9);
  // Laravel's channel callback returns the user model's integer id.
  const laravelUser = { user_id: numericId, user_info: { name: 'Taylor' } } as unknown as Pusher.PresenceChannelData;
  const watcher = await member(person('Watcher'), t);
  const chW = await subscribed(watcher.client, name);
  const added = nextEvent<Member>(chW, 'pusher:member_added');

  const taylor = await member(laravelUser, t);
  const chT = await subscribed(taylor.client, name);
  assert.equal(String(membersOf(chT).members.me.id), String(numericId));
  assert.deepEqual(membersOf(chT).members.me.info, { name: 'Taylor' });
  assert.equal(String((await added).id), String(numericId));

  const res = await h.sdk().get({ path: `/channels/${name}/users` });
  const { users } = (await res.json()) as { users: Array<{ id: unknown }> };
  assert.ok(users.some((u) => u.id === String(numericId)), JSON.stringify(users));

  const removed = nextEvent<Member>(chW, 'pusher:member_removed');
  taylor.client.unsubscribe(name);
  assert.equal(String((await removed).id), String(numericId));
});

test('user_info round-trips unchanged through subscription_succeeded and member_added', async (t) => {
  const name = `presence-room-${rid()}`;
  const info = { name: 'Zoë 🚀', avatar: 'https://example.com/z.png', roles: ['admin', 'ops'], level: 3, active: true, extra: null };
  const first = await member(person('First'), t);
  const chFirst = await subscribed(first.client, name);
  const added = nextEvent<Member>(chFirst, 'pusher:member_added');
  const zoe = await member({ user_id: `zoe-${rid()}`, user_info: info }, t);
  const chZoe = await subscribed(zoe.client, name);
  assert.deepEqual(membersOf(chZoe).members.me.info, info);
  assert.deepEqual((await added).info, info);

  const late = await member(person('Late'), t);
  const chLate = await subscribed(late.client, name);
  assert.deepEqual(membersOf(chLate).members.get(membersOf(chZoe).members.me.id)?.info, info);
});

test('invalid channel_data is refused with pusher:subscription_error', async (t) => {
  const name = `presence-room-${rid()}`;
  const sdk = h.sdk();
  const sign = (socketId: string, channelData: string) =>
    `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}:${name}:${channelData}`).digest('hex')}`;
  const cases: Array<[string, (socketId: string) => { auth: string; channel_data?: string }]> = [
    ['channel_data that is not JSON', (s) => ({ auth: sign(s, 'not json'), channel_data: 'not json' })],
    ['channel_data that is a JSON array', (s) => ({ auth: sign(s, '[1]'), channel_data: '[1]' })],
    ['channel_data without user_id', (s) => sdk.authorizeChannel(s, name, { user_info: { name: 'Nobody' } } as unknown as Pusher.PresenceChannelData)],
    ['an empty user_id', (s) => sdk.authorizeChannel(s, name, { user_id: '' })],
    ['a user_id that is an object', (s) => sdk.authorizeChannel(s, name, { user_id: { id: 1 } } as unknown as Pusher.PresenceChannelData)],
    ['no channel_data at all', (s) => sdk.authorizeChannel(s, name)],
  ];
  for (const [what, makeAuth] of cases) {
    const raw = await establishedRawSocket(h, t);
    raw.send({ event: 'pusher:subscribe', data: { channel: name, ...makeAuth(raw.socketId) } });
    const error = await raw.next((f) => f.event === 'pusher:subscription_error' && f.channel === name, `subscription_error for ${what}`);
    assert.equal(typeof frameData<{ error?: unknown }>(error).error, 'string', what);
    await raw.pingPong();
    assert.equal(raw.frames.some((f) => f.event === 'pusher_internal:subscription_succeeded'), false, what);
    assert.equal(await h.herald.adapter.subscriptionCount(APP.id, name), 0, what);
    raw.ws.close();
  }

  // pusher-js surfaces the refusal on the channel, as laravel-echo's .error() sees it.
  const client = signedClient(h, t, { presence: { user_id: '' } });
  await connected(client);
  const refused = await nextEvent<{ type: string }>(client.subscribe(name), 'pusher:subscription_error');
  assert.equal(typeof refused.type, 'string');
});

test('the member limit refuses a new user but admits another socket of a present user', async (t) => {
  const limited = await startHerald({ apps: [{ ...APP, maxPresenceMembers: 2 }] });
  t.after(() => limited.close());
  const name = `presence-small-${rid()}`;
  const join = async (presence: Pusher.PresenceChannelData): Promise<PusherJS> => {
    const client = signedClient(limited, t, { presence });
    await connected(client);
    return client;
  };
  const alice = person('Alice');
  const bob = person('Bob');
  const a = await join(alice);
  const chA = await subscribed(a, name);
  await subscribed(await join(bob), name);

  const carol = await join(person('Carol'));
  const error = await nextEvent<{ type: string; status: number }>(carol.subscribe(name), 'pusher:subscription_error');
  assert.equal(error.type, 'LimitReached');
  assert.equal(carol.connection.state, 'connected');

  const bobAgain = await subscribed(await join(bob), name);
  assert.equal(membersOf(bobAgain).members.count, 2);
  assert.equal(membersOf(chA).members.count, 2);

  // Once a member leaves, there is room again.
  const dave = await join(person('Dave'));
  const aliceGone = serverClosed(limited, a.connection.socket_id);
  a.disconnect();
  await aliceGone;
  const chDave = await subscribed(dave, name);
  assert.equal(membersOf(chDave).members.count, 2);
});

test('a signed-in client joins a presence channel without channel_data, as its user', async (t) => {
  const name = `presence-${rid()}`;
  const alice = person('Alice');
  const a = await member(alice, t);
  await subscribed(a.client, name);

  // No `presence` option: the auth response carries no channel_data, so pusher-js
  // relies on its sign-in and Herald must take the member from the signed-in user.
  const bob = { id: `bob-${rid()}`, user_info: { name: 'Bob' } };
  const b = signedClient(h, t, { user: bob });
  await connected(b);
  // pusher-js waits for its sign-in to finish before it authorizes the subscription.
  b.signin();
  const added = nextEvent<{ id: string; info: unknown }>(a.client.channel(name), 'pusher:member_added');
  const chB = await subscribed(b, name);
  assert.equal(membersOf(chB).members.me.id, bob.id);
  assert.deepEqual(idsOf(chB), [alice.user_id, bob.id].sort());
  const { id, info } = await added;
  assert.equal(id, bob.id);
  assert.deepEqual(info, bob.user_info);
});

test('without channel_data and without sign-in, a presence subscription is refused', async (t) => {
  const sock = await establishedRawSocket(h, t);
  const name = `presence-${rid()}`;
  const auth = `${APP.key}:${createHmac('sha256', APP.secret).update(`${sock.socketId}:${name}`).digest('hex')}`;
  sock.send({ event: 'pusher:subscribe', data: { channel: name, auth } });
  const err = await sock.next((f) => f.event === 'pusher:subscription_error' && f.channel === name, 'subscription_error');
  assert.equal((frameData(err) as { type: string }).type, 'InvalidPresenceData');
});
