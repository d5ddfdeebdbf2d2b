// Failures in a cluster: a node killed outright, and a node losing Redis
// for a while. Waits are bounded by the documented failure bound.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  dropPrefix,
  HEARTBEAT_MS,
  NODE_TIMEOUT_MS,
  redisUnavailable,
  RedisRelay,
  spawnNode,
  startNode,
  uniquePrefix,
  type ChildNode,
  type InProcessNode,
} from '../helpers/cluster.js';
import { nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;

/** A dead node's members are removed within the node timeout plus one heartbeat; the rest is slack for a busy machine. */
const FAILURE_BOUND_MS = NODE_TIMEOUT_MS + HEARTBEAT_MS;
const WAIT_MS = FAILURE_BOUND_MS + 3000;

interface Member {
  id: string;
}
type PresenceChannel = Parameters<typeof nextEvent>[0] & { members: { each(cb: (m: Member) => void): void } };
const memberIds = (channel: PresenceChannel) => {
  const ids: string[] = [];
  channel.members.each((m) => ids.push(m.id));
  return ids.sort();
};

async function status(url: string): Promise<number> {
  return (await fetch(`${url}/ready`)).status;
}

describe('a node killed with SIGKILL', { skip }, () => {
  const prefix = uniquePrefix('kill');
  let survivor: InProcessNode;
  let doomed: ChildNode;

  before(async () => {
    [survivor, doomed] = await Promise.all([startNode(prefix), spawnNode(prefix)]);
  });
  after(async () => {
    await Promise.all([survivor?.close(), doomed?.kill('SIGKILL')]);
    await dropPrefix(prefix);
  });

  test(`has its presence members removed by the survivors within ${FAILURE_BOUND_MS} ms`, async (t) => {
    const channel = 'presence-lobby';
    const watcher = survivor.client(t, { presence: { user_id: 'watcher' } });
    const watching = (await subscribed(watcher, channel)) as unknown as PresenceChannel;
    const victim = doomed.client(t, { presence: { user_id: 'victim' } });
    const joined = nextEvent<Member>(watching, 'pusher:member_added', 'the victim to join through the doomed node');
    await subscribed(victim, channel);
    assert.equal((await joined).id, 'victim');

    const removed = nextEvent<Member>(watching, 'pusher:member_removed');
    await doomed.kill('SIGKILL');
    const started = Date.now();
    const gone = await withTimeout(removed, `member_removed for the killed node's member (bound ${FAILURE_BOUND_MS} ms)`, WAIT_MS);
    t.diagnostic(`member_removed ${Date.now() - started} ms after SIGKILL`);
    assert.equal(gone.id, 'victim');
    assert.deepEqual(memberIds(watching), ['watcher']);
    assert.equal(await status(survivor.url), 200);
  });
});

describe('a node that loses Redis', { skip }, () => {
  const prefix = uniquePrefix('outage');
  const relay = new RedisRelay();
  let steady: InProcessNode;
  let cutOff: InProcessNode;

  before(async () => {
    const relayedUrl = await relay.listen();
    [steady, cutOff] = await Promise.all([startNode(prefix), startNode(prefix, { redisUrl: relayedUrl })]);
  });
  after(async () => {
    await Promise.all([steady?.close(), cutOff?.close()]);
    await relay.close();
    await dropPrefix(prefix);
  });

  test('keeps serving its clients, reports not ready, and rejoins the cluster when Redis returns', async (t) => {
    const channel = 'presence-desk';
    const watcher = steady.client(t, { presence: { user_id: 'watcher' } });
    const watching = (await subscribed(watcher, channel)) as unknown as PresenceChannel;
    const local = cutOff.client(t, { presence: { user_id: 'stranded' } });
    const stranded = (await subscribed(local, channel)) as unknown as PresenceChannel;
    await waitFor(() => memberIds(watching).includes('stranded'), 'the stranded user to join through the node about to lose Redis');
    assert.equal(await status(cutOff.url), 200);

    const removed = nextEvent<Member>(watching, 'pusher:member_removed', 'the cut-off node\'s member to be removed');
    relay.cut();
    await waitFor(async () => (await status(cutOff.url)) === 503, 'the cut-off node to report not ready', WAIT_MS);
    // The others cannot tell a cut-off node from a dead one: its members go after the bound.
    assert.equal((await withTimeout(removed, 'member_removed for the cut-off node\'s member', WAIT_MS)).id, 'stranded');

    // Its own clients are still served: an event triggered through it reaches them.
    const localEvent = nextEvent(stranded, 'notice', 'a local event on the cut-off node');
    await cutOff.sdk().trigger(channel, 'notice', { n: 1 });
    assert.deepEqual(await localEvent, { n: 1 });

    const back = nextEvent<Member>(watching, 'pusher:member_added', 'the stranded user to be put back');
    relay.restore();
    await waitFor(async () => (await status(cutOff.url)) === 200, 'the node to be ready again', WAIT_MS);
    assert.equal((await withTimeout(back, 'member_added after Redis returned', WAIT_MS)).id, 'stranded');
    assert.deepEqual(memberIds(watching), ['stranded', 'watcher']);

    // Delivery across nodes works again, both ways.
    const fromSteady = nextEvent(stranded, 'notice', 'an event from the steady node');
    await steady.sdk().trigger(channel, 'notice', { n: 2 });
    assert.deepEqual(await fromSteady, { n: 2 });
    const fromCutOff = nextEvent(watching, 'notice', 'an event from the recovered node');
    await cutOff.sdk().trigger(channel, 'notice', { n: 3 });
    assert.deepEqual(await fromCutOff, { n: 3 });
  });
});

describe('a node started while Redis is down', { skip }, () => {
  const prefix = uniquePrefix('late');
  const relay = new RedisRelay();
  let steady: InProcessNode;
  let late: InProcessNode;

  before(async () => {
    const relayedUrl = await relay.listen();
    relay.cut();
    [steady, late] = await Promise.all([startNode(prefix), startNode(prefix, { redisUrl: relayedUrl })]);
  });
  after(async () => {
    await Promise.all([steady?.close(), late?.close()]);
    await relay.close();
    await dropPrefix(prefix);
  });

  test('serves locally, not ready, and joins the cluster once Redis is reachable', async (t) => {
    assert.equal(await status(late.url), 503);
    const client = late.client(t);
    const channel = await subscribed(client, 'updates');
    const local = nextEvent(channel, 'update', 'a local event before Redis is reachable');
    await late.sdk().trigger('updates', 'update', { n: 1 });
    assert.deepEqual(await local, { n: 1 });

    relay.restore();
    await waitFor(async () => (await status(late.url)) === 200, 'the late node to be ready', WAIT_MS);
    const remote = nextEvent(channel, 'update', 'an event from the other node');
    await steady.sdk().trigger('updates', 'update', { n: 2 });
    assert.deepEqual(await remote, { n: 2 });
  });
});
