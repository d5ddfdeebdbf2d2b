import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { SEND_ORDER_WAIT_MS, SendOrder } from './http-send-order.js';

/** A SendOrder for a session opened by request 10, on a clock the test moves. */
function ordered(t: TestContext, opened: number | null = 10): { order: SendOrder; handled: string[] } {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const handled: string[] = [];
  const order = new SendOrder(opened, (frames) => handled.push(...frames));
  return { order, handled };
}

test('posts read in the wrong order are handled in the order they were numbered', (t) => {
  const { order, handled } = ordered(t);
  const first = order.posted(11);
  const second = order.posted(12);
  const third = order.posted(13);
  third.read(['c']);
  second.read(['b']);
  assert.deepEqual(handled, []);
  first.read(['a']);
  assert.deepEqual(handled, ['a', 'b', 'c']);
  assert.equal(order.waitingCount, 0);
});

test('a post that arrives after a later one is still handled first', (t) => {
  const { order, handled } = ordered(t);
  order.posted(12).read(['later']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS - 1);
  order.posted(11).read(['earlier']);
  assert.deepEqual(handled, ['earlier', 'later']);
});

test('receive requests (streams, polls) take numbers too, and are waited for', (t) => {
  const { order, handled } = ordered(t);
  const post = order.posted(12);
  post.read(['after the poll']);
  assert.deepEqual(handled, [], 'number 11 is not here yet');
  order.received(11);
  assert.deepEqual(handled, ['after the poll']);
  // A poll that arrives after the post numbered above it changes nothing.
  order.posted(14).read(['x']);
  order.received(13);
  assert.deepEqual(handled, ['after the poll', 'x']);
});

test('a number that never comes holds the posts behind it back for a bounded wait only', (t) => {
  const { order, handled } = ordered(t);
  order.posted(12).read(['b']);
  order.posted(13).read(['c']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS - 1);
  assert.deepEqual(handled, []);
  t.mock.timers.tick(1);
  assert.deepEqual(handled, ['b', 'c']);
  // The missing one, should it arrive at last, is handled at once rather than dropped.
  order.posted(11).read(['a, late']);
  assert.deepEqual(handled, ['b', 'c', 'a, late']);
  // And the line goes on from where it was.
  order.posted(14).read(['d']);
  assert.deepEqual(handled, ['b', 'c', 'a, late', 'd']);
});

test('each post waits from its own arrival: one given up on does not hurry the next gap', (t) => {
  const { order, handled } = ordered(t);
  order.posted(12).read(['b']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS / 2);
  order.posted(14).read(['d']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS / 2);
  assert.deepEqual(handled, ['b'], '11 given up on; 13 still has time');
  order.posted(13).read(['c']);
  assert.deepEqual(handled, ['b', 'c', 'd']);
});

test('a post still being read at the front holds nothing back until something arrives behind it', (t) => {
  const { order, handled } = ordered(t);
  const slow = order.posted(11);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS * 3);
  order.posted(12).read(['b']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS - 1);
  slow.read(['a']);
  assert.deepEqual(handled, ['a', 'b']);
});

test('a slow body holds the posts behind it back for the bounded wait only, and is handled when read', (t) => {
  const { order, handled } = ordered(t);
  const slow = order.posted(11);
  order.posted(12).read(['b']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS);
  assert.deepEqual(handled, ['b']);
  slow.read(['a, late']);
  assert.deepEqual(handled, ['b', 'a, late']);
});

test('a post whose body is refused is not waited for', (t) => {
  const { order, handled } = ordered(t);
  const refused = order.posted(11);
  order.posted(12).read(['b']);
  refused.refused();
  assert.deepEqual(handled, ['b']);
});

test('heartbeats (empty posts) keep their place without handing anything on', (t) => {
  const { order, handled } = ordered(t);
  order.posted(12).read(['b']);
  order.posted(11).read([]);
  assert.deepEqual(handled, ['b']);
});

test('unnumbered posts, and sessions opened without numbers, keep arrival order', (t) => {
  const { order, handled } = ordered(t, null);
  order.posted(5).read(['a']);
  order.posted(3).read(['b']);
  order.posted(null).read(['c']);
  assert.deepEqual(handled, ['a', 'b', 'c']);
  const numbered = new SendOrder(10, (frames) => handled.push(...frames));
  numbered.posted(12).read(['held']);
  numbered.posted(null).read(['unnumbered']);
  assert.deepEqual(handled, ['a', 'b', 'c', 'unnumbered']);
  numbered.stop();
});

test('a number seen twice, or one from before the session, is handled as it comes', (t) => {
  const { order, handled } = ordered(t);
  order.posted(3).read(['old']);
  order.received(12);
  order.posted(12).read(['twice']);
  assert.deepEqual(handled, ['old', 'twice']);
});

test('the line is bounded: a client that holds many posts back gets them handled, in order, without the gaps', (t) => {
  const { order, handled } = ordered(t);
  // Number 11 never comes; 100 posts behind it fill the line.
  for (let n = 12; n < 112; n++) order.posted(n).read([String(n)]);
  assert.deepEqual(handled, []);
  order.posted(112).read(['112']);
  assert.deepEqual(handled, Array.from({ length: 101 }, (_, i) => String(12 + i)));
  assert.equal(order.waitingCount, 0);
});

test('the line is bounded in bytes too', (t) => {
  const { order, handled } = ordered(t);
  const big = 'x'.repeat(300 * 1024);
  for (let n = 12; n < 16; n++) order.posted(n).read([big]);
  assert.equal(handled.length, 4, 'over 1 MiB held: the gap is given up on');
});

test('nothing is handled after stop, and no timer is left behind', (t) => {
  const { order, handled } = ordered(t);
  const late = order.posted(11);
  order.posted(12).read(['b']);
  order.stop();
  late.read(['a']);
  t.mock.timers.tick(SEND_ORDER_WAIT_MS * 2);
  assert.deepEqual(handled, []);
  assert.equal(order.waitingCount, 0);
});
