// What a presence subscription costs in Redis: joining (limit, membership,
// occupancy, member list) is one script, leaving is one script. Every command
// the node sends on its command connection is recorded while a client joins
// and leaves; only the heartbeat (on its own timer) and the PUBLISH that
// carries member_added / member_removed to the other nodes may come with it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { joinPresence, leavePresence, heartbeat, liveNodes } from '../../src/adapter/redis/scripts.js';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { nextEvent, subscribed } from '../helpers/wait.js';

const skip = await redisUnavailable();
const prefix = uniquePrefix('round-trips');
let node: InProcessNode;
let sent: string[] | null = null;

const names = new Map([
  [joinPresence.sha, 'joinPresence'],
  [leavePresence.sha, 'leavePresence'],
  [heartbeat.sha, 'heartbeat'],
  [liveNodes.sha, 'liveNodes'],
]);

before(async () => {
  if (skip) return;
  node = await startNode(prefix);
  const commands = (node.running.herald.adapter as unknown as { link: { commands: Redis } }).link.commands;
  const send = commands.sendCommand.bind(commands);
  commands.sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
    const first = String(command.args[0]);
    sent?.push(command.name === 'evalsha' ? `evalsha ${names.get(first) ?? first}` : command.name);
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof commands.sendCommand;
});
after(async () => {
  if (skip) return;
  await node.close();
  await dropPrefix(prefix);
});

/** The commands sent while `work` runs, but the heartbeat's and the broadcasts'. */
async function commandsOf(work: () => Promise<void>): Promise<string[]> {
  sent = [];
  await work();
  const out = sent.filter((c) => c !== 'publish' && c !== 'evalsha heartbeat' && c !== 'evalsha liveNodes');
  sent = null;
  return out;
}

test('a presence subscribe is one script, and so is leaving', { skip: skip ?? false }, async (t) => {
  const watcher = node.client(t, { presence: { user_id: 'watcher' } });
  const watching = await subscribed(watcher, 'presence-trips');
  // Once, so that Redis knows the scripts (a first run sends the script's text after NOSCRIPT).
  const warmUp = node.client(t, { presence: { user_id: 'warm-up' } });
  await subscribed(warmUp, 'presence-trips');
  const warmedUp = nextEvent(watching, 'pusher:member_removed', 'warm-up leaving');
  warmUp.unsubscribe('presence-trips');
  await warmedUp;

  const ann = node.client(t, { presence: { user_id: 'ann' } });
  const joining = await commandsOf(async () => {
    const added = nextEvent(watching, 'pusher:member_added', 'ann joining');
    await subscribed(ann, 'presence-trips');
    await added;
  });
  assert.deepEqual(joining, ['evalsha joinPresence']);

  const leaving = await commandsOf(async () => {
    const removed = nextEvent(watching, 'pusher:member_removed', 'ann leaving');
    ann.unsubscribe('presence-trips');
    await removed;
  });
  assert.deepEqual(leaving, ['evalsha leavePresence']);

  // The channel's first subscriber on a node records the node's occupancy in the same script; the node lists the
  // channel among those where it holds entries (for its cleanup if it dies) in the same write, waiting for no reply.
  const first = node.client(t, { presence: { user_id: 'first' } });
  const occupying = await commandsOf(async () => {
    await subscribed(first, 'presence-elsewhere');
  });
  assert.deepEqual(occupying, ['sadd', 'evalsha joinPresence']);
});
