// Two nodes' request forwarding over a real Redis, without the rest of Herald:
// the holder's window, the requester's acknowledgements, and either end
// leaving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { dropPrefix, REDIS_URL, redisUnavailable, uniquePrefix } from '../../../test/helpers/cluster.js';
import type { ForwardedReply, ReplyReceiver } from '../forwarding.js';
import { RedisHolders } from './holders.js';
import { RedisKeys } from './keys.js';
import { RedisLink } from './link.js';
import { FORWARD_WINDOW_CHARS, RedisNodeRequests } from './node-requests.js';

const skip = (await redisUnavailable()) ?? false;

interface TestNode {
  readonly id: string;
  readonly requests: RedisNodeRequests;
  readonly link: RedisLink;
}

async function startTestNode(prefix: string, id: string, peers: () => string[]): Promise<TestNode> {
  const keys = new RedisKeys(prefix);
  const link = new RedisLink(REDIS_URL, pino({ level: 'silent' }));
  const requests = new RedisNodeRequests(link, keys, id, new RedisHolders(link, keys, id), async () => peers(), pino({ level: 'silent' }));
  await link.connect(2000);
  // The topic is subscribed on 'ready'; one round trip on the same connection makes sure it is done.
  await link.subscriber.ping();
  return { id, requests, link };
}

/** A receiver that keeps what arrives and lets the test decide when each part counts as written. */
function collecting() {
  const parts: string[] = [];
  const unwritten: Array<() => void> = [];
  let status = 0;
  let ended = false;
  let failed: string | null = null;
  const receiver: ReplyReceiver = {
    head: (s) => {
      status = s;
    },
    data: (text, written) => {
      parts.push(text);
      unwritten.push(written);
    },
    end: () => {
      ended = true;
    },
    failed: (why) => {
      failed = why;
    },
  };
  return {
    receiver,
    parts,
    writeAll: () => unwritten.splice(0).forEach((written) => written()),
    get status() {
      return status;
    },
    get ended() {
      return ended;
    },
    get failed() {
      return failed;
    },
  };
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), `timed out waiting for ${what}`);
};

describe('requests forwarded between two nodes', { skip }, () => {
  const prefix = uniquePrefix('node-requests');
  let holder: TestNode;
  let requester: TestNode;
  let live: string[];

  before(async () => {
    live = ['holder', 'requester'];
    holder = await startTestNode(prefix, 'holder', () => live);
    requester = await startTestNode(prefix, 'requester', () => live);
  });
  after(async () => {
    for (const node of [holder, requester]) {
      node?.requests.close();
      await node?.link.close();
    }
    await dropPrefix(prefix);
  });

  test('a claim is seen by the other node; a second claim names the holder', async () => {
    assert.equal(await holder.requests.claim('http:k/1/a'), null);
    assert.equal(await requester.requests.holder('http:k/1/a'), 'holder');
    assert.equal(await requester.requests.claim('http:k/1/a'), 'holder');
    assert.equal(await holder.requests.holder('http:k/1/a'), null, 'a node does not forward to itself');
    assert.equal(await requester.requests.holder('http:k/1/none'), null);
  });

  test('a long answer never has more than the window in flight, and arrives whole and in order', async () => {
    const total = 4 * FORWARD_WINDOW_CHARS;
    const piece = 'x'.repeat(16 * 1024);
    let waitedForRoom = 0;
    holder.requests.serve('stream', (_request, reply: ForwardedReply) => {
      reply.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const more = () => {
        while (sent < total) {
          const ok = reply.write(piece);
          sent += piece.length;
          if (!ok) {
            waitedForRoom++;
            reply.on('drain', more);
            return;
          }
        }
        reply.end();
      };
      more();
    });
    const got = collecting();
    requester.requests.forward('holder', { service: 'stream', head: {}, body: '' }, got.receiver);
    // Nothing is acknowledged: the holder stops at the window.
    await until('the window to fill', () => got.parts.join('').length >= FORWARD_WINDOW_CHARS);
    await new Promise((r) => setTimeout(r, 200));
    const inFlight = got.parts.join('').length;
    assert.ok(inFlight <= FORWARD_WINDOW_CHARS + piece.length, `${inFlight} chars sent unacknowledged`);
    // Written to the client: room again, until the end.
    while (!got.ended) {
      got.writeAll();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(got.status, 200);
    assert.equal(got.parts.join(''), piece.repeat(total / piece.length));
    assert.ok(waitedForRoom >= 3, `the holder waited for room ${waitedForRoom} times`);
  });

  test('the client leaving is told to the holder, whose reply closes', async () => {
    let closed = false;
    holder.requests.serve('hold', (_request, reply) => {
      reply.writeHead(200);
      reply.write('first');
      reply.on('close', () => {
        closed = true;
      });
    });
    const got = collecting();
    const exchange = requester.requests.forward('holder', { service: 'hold', head: {}, body: '' }, got.receiver);
    await until('the first part', () => got.parts.length === 1);
    exchange.abort();
    await until('the holder to hear the client left', () => closed);
    assert.equal(got.failed, null);
  });

  test('a holder that stops tells the requesters of the answers it will not finish', async () => {
    const prefixed = uniquePrefix('node-requests-stop');
    const stopping = await startTestNode(prefixed, 'stopping', () => ['stopping', 'asking']);
    const asking = await startTestNode(prefixed, 'asking', () => ['stopping', 'asking']);
    try {
      stopping.requests.serve('hold', (_request, reply) => {
        reply.writeHead(200);
      });
      const got = collecting();
      asking.requests.forward('stopping', { service: 'hold', head: {}, body: '' }, got.receiver);
      await until('the head', () => got.status === 200);
      stopping.requests.close();
      await until('the request to fail', () => got.failed !== null);
      assert.match(got.failed ?? '', /gave up/);
    } finally {
      for (const node of [stopping, asking]) {
        node.requests.close();
        await node.link.close();
      }
      await dropPrefix(prefixed);
    }
  });

  test('a request to a node nobody listens for fails, and so does one whose holder stops beating', async () => {
    const nobody = collecting();
    requester.requests.forward('no-such-node', { service: 'hold', head: {}, body: '' }, nobody.receiver);
    await until('the request to fail', () => nobody.failed !== null);

    holder.requests.serve('silent', (_request, reply) => {
      reply.writeHead(200);
    });
    const got = collecting();
    requester.requests.forward('holder', { service: 'silent', head: {}, body: '' }, got.receiver);
    await until('the head', () => got.status === 200);
    live = ['requester'];
    try {
      await until('the request to fail once its holder is taken for dead', () => got.failed !== null);
    } finally {
      live = ['holder', 'requester'];
    }
  });
});
