import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PubSubBus } from './bus.js';
import { TopicInterest } from './interest.js';

/** A bus whose SUBSCRIBE and UNSUBSCRIBE wait until the test answers them, in order. */
function slowBus() {
  const calls: Array<{ op: 'subscribe' | 'unsubscribe'; topics: readonly string[]; answer(err?: Error): void }> = [];
  const op = (kind: 'subscribe' | 'unsubscribe') => (topics: readonly string[]) =>
    new Promise<void>((resolve, reject) => calls.push({ op: kind, topics, answer: (err) => (err ? reject(err) : resolve()) }));
  const bus = { subscribe: op('subscribe'), unsubscribe: op('unsubscribe') } as unknown as PubSubBus;
  const next = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const call = calls.shift();
    assert.ok(call, 'a command was sent');
    return call;
  };
  return { bus, calls, next };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('subscribers wait for the one subscription in flight; a leave during it unsubscribes after it', async () => {
  const { bus, calls, next } = slowBus();
  const counts: number[] = [];
  const interest = new TopicInterest(bus, () => true, () => {}, (n) => counts.push(n));
  interest.want('t');
  const first = interest.heard('t');
  const second = interest.heard('t');
  assert.equal(await settled(first), false);
  const sub = await next();
  assert.deepEqual([sub.op, sub.topics], ['subscribe', ['t']]);
  sub.answer();
  assert.equal(await settled(first), true);
  assert.equal(await settled(second), true);

  // The last subscriber leaves and a new one comes while UNSUBSCRIBE is out: it subscribes again after.
  interest.drop('t');
  const unsub = await next();
  assert.equal(unsub.op, 'unsubscribe');
  interest.want('t');
  const late = interest.heard('t');
  assert.equal(calls.length, 0, 'one command at a time per topic');
  unsub.answer();
  const again = await next();
  assert.equal(again.op, 'subscribe');
  assert.equal(await settled(late), false);
  again.answer();
  assert.equal(await settled(late), true);

  // A leave while SUBSCRIBE is out: UNSUBSCRIBE follows, and the topic is forgotten.
  interest.drop('t');
  (await next()).answer();
  assert.equal(interest.wants('t'), false);
  interest.want('u');
  interest.drop('u');
  (await next()).answer();
  const after = await next();
  assert.deepEqual([after.op, after.topics], ['unsubscribe', ['u']]);
  after.answer();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(counts.at(-1), 0);
});

test('a failed subscription lets its waiters go (served locally) and is tried again', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { bus, next } = slowBus();
  const failures: string[] = [];
  const interest = new TopicInterest(bus, () => true, (what) => failures.push(what), () => {});
  interest.want('t');
  const waiting = interest.heard('t');
  (await next()).answer(new Error('timeout'));
  assert.equal(await settled(waiting), true);
  assert.deepEqual(failures, ['subscribe']);
  t.mock.timers.tick(1000);
  const retry = await next();
  assert.equal(retry.op, 'subscribe');
  retry.answer();
});

test('while Redis is unreachable nobody waits, and wanted topics are subscribed again in one command once it is back', async () => {
  const { bus, next } = slowBus();
  let usable = false;
  const interest = new TopicInterest(bus, () => usable, () => {}, () => {});
  interest.want('a');
  interest.want('b');
  interest.want('c');
  interest.drop('c');
  assert.equal(await settled(interest.heard('a')), true);
  usable = true;
  const resubscribed = interest.resubscribe();
  const call = await next();
  assert.deepEqual([call.op, [...call.topics].sort()], ['subscribe', ['a', 'b']]);
  call.answer();
  await resubscribed;
});
