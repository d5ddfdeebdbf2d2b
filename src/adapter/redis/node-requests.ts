import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Logger } from '../../logging/logger.js';
import type { ForwardedExchange, ForwardedReply, ForwardedRequest, ForwardedService, ReplyReceiver, RequestForwarding } from '../forwarding.js';
import type { RedisHolders } from './holders.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { decodeNodeRequestMessage, encodeNodeRequestMessage, type NodeRequestMessage } from './node-request-messages.js';
import type { NodeId } from './types.js';

/**
 * Text of one answer in flight between the holder and the forwarding node's
 * client, not yet acknowledged as written to it: past this the holder is
 * told to wait ('drain'), as a slow client's socket tells it when local.
 */
export const FORWARD_WINDOW_CHARS = 256 * 1024;
/** A holder that has not begun answering within this long is taken for gone. */
const FIRST_ANSWER_MS = 3000;
/** While answers are in flight, how often the nodes at their other ends are checked to be alive. */
const CHECK_PEERS_EVERY_MS = 1000;

/** This node's side of a request it forwarded. */
interface Outgoing {
  readonly node: NodeId;
  readonly receiver: ReplyReceiver;
  readonly timer: NodeJS.Timeout;
  /** Text written to the client since the last acknowledgement was sent. */
  unacked: number;
}

/**
 * Requests forwarded between nodes over Redis pub/sub, each node on a topic
 * of its own: the forwarding node publishes the request to the holder's
 * topic; the holder serves it with the service registered for it and
 * streams the answer back to the forwarding node's topic, part by part (what
 * it writes in one event-loop turn is one message). The forwarding node
 * acknowledges what its client's socket took, and the holder stops writing
 * (a full window) until it does, so neither side buffers more than
 * FORWARD_WINDOW_CHARS for one answer beyond what the service itself bounds.
 *
 * Either end going away is told to the other: the client leaving (cancel),
 * the holder giving up (abort). A node that dies says nothing, so the ends
 * of every open exchange check each other's liveness; and since pub/sub
 * drops what it cannot deliver, losing the Redis connection ends them all.
 */
export class RedisNodeRequests implements RequestForwarding {
  readonly clustered = true;
  private readonly topic: string;
  private readonly services = new Map<string, ForwardedService>();
  private readonly outgoing = new Map<string, Outgoing>();
  /** Answers this node is giving, by `{from}/{id}`. */
  private readonly incoming = new Map<string, RemoteReply>();
  private nextId = 0;
  private checker: NodeJS.Timeout | undefined;
  private acksQueued = false;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
    private readonly holders: RedisHolders,
    private readonly livePeers: () => Promise<NodeId[]>,
    private readonly log: Logger,
  ) {
    this.topic = keys.forwardTopic(node);
    // Each time Redis (re)connects: this node's own topic (subscribing again is harmless).
    // On a Redis Cluster through sharded pub/sub, like every other topic: one shard carries it.
    link.subscriber.on('ready', () => {
      const subscribed = link.sharded ? link.subscriber.ssubscribe(this.topic) : link.subscriber.subscribe(this.topic);
      subscribed.catch((err: unknown) => link.failed('subscribe to forwarded requests', err));
    });
    link.subscriber.on(link.sharded ? 'smessage' : 'message', (topic: string, text: string) => {
      if (topic === this.topic) this.received(text);
    });
    // Pub/sub drops what it cannot deliver: with the connection gone, no open exchange can be trusted.
    link.subscriber.on('close', () => this.endAll('the connection to Redis was lost'));
    holders.start();
  }

  claim(key: string): Promise<NodeId | null> {
    return this.holders.claim(key);
  }

  holder(key: string): Promise<NodeId | null> {
    return this.holders.holder(key);
  }

  release(key: string, lingerMs: number): void {
    this.holders.release(key, lingerMs);
  }

  serve(service: string, handler: ForwardedService): void {
    this.services.set(service, handler);
  }

  forward(node: NodeId, request: ForwardedRequest, receiver: ReplyReceiver): ForwardedExchange {
    const id = String(++this.nextId);
    const timer = setTimeout(() => this.fail(id, `node ${node.slice(0, 8)} did not answer`), FIRST_ANSWER_MS);
    this.outgoing.set(id, { node, receiver, timer, unacked: 0 });
    this.checkPeers();
    const message: NodeRequestMessage = { t: 'req', from: this.node, id, service: request.service, head: { ...request.head }, payload: request.body };
    void this.publish(node, message).then((heard) => {
      if (!heard) this.fail(id, `node ${node.slice(0, 8)} is not listening`);
    });
    return {
      abort: () => {
        const exchange = this.outgoing.get(id);
        if (!exchange) return;
        this.done(id, exchange);
        void this.publish(node, { t: 'cancel', from: this.node, id });
      },
    };
  }

  close(): void {
    this.holders.stop();
    // Answers this node will not finish: their requesters cut their clients now rather than at the node timeout.
    for (const key of this.incoming.keys()) {
      const slash = key.indexOf('/');
      void this.publish(key.slice(0, slash), { t: 'abort', from: this.node, id: key.slice(slash + 1) });
    }
    this.endAll('this node is stopping');
  }

  private received(text: string): void {
    const m = decodeNodeRequestMessage(text);
    if (!m) {
      this.log.warn('ignored a malformed forwarded-request message');
      return;
    }
    switch (m.t) {
      case 'req':
        this.serveRequest(m);
        return;
      case 'reply':
        this.replyReceived(m);
        return;
      case 'abort':
        this.fail(m.id, `node ${m.from.slice(0, 8)} gave up on the request`, m.from);
        return;
      case 'ack':
        this.incoming.get(`${m.from}/${m.id}`)?.acknowledged(m.bytes);
        return;
      case 'cancel':
        this.incoming.get(`${m.from}/${m.id}`)?.requesterGone();
        return;
    }
  }

  // --- The holder's side --------------------------------------------------

  private serveRequest(m: Extract<NodeRequestMessage, { t: 'req' }>): void {
    const key = `${m.from}/${m.id}`;
    const reply = new RemoteReply(
      (part) => {
        void this.publish(m.from, { t: 'reply', from: this.node, id: m.id, ...part }).then((heard) => {
          // Nobody listening there any more: the requester is gone.
          if (!heard) reply.requesterGone();
        });
      },
      () => this.incoming.delete(key),
    );
    this.incoming.set(key, reply);
    this.checkPeers();
    const service = this.services.get(m.service);
    if (!service) {
      reply.writeHead(503).end();
      return;
    }
    try {
      service({ service: m.service, head: m.head, body: m.payload }, reply);
    } catch (err) {
      this.log.error({ err, service: m.service }, 'serving a forwarded request failed');
      if (!reply.writableEnded) reply.writeHead(500).end();
    }
  }

  // --- The forwarding node's side -----------------------------------------

  private replyReceived(m: Extract<NodeRequestMessage, { t: 'reply' }>): void {
    const exchange = this.outgoing.get(m.id);
    if (!exchange || exchange.node !== m.from) {
      // An answer nobody waits for (its client left): the holder may stop.
      if (!m.end) void this.publish(m.from, { t: 'cancel', from: this.node, id: m.id });
      return;
    }
    clearTimeout(exchange.timer);
    if (m.status !== undefined) exchange.receiver.head(m.status, m.headers ?? {});
    if (m.payload.length > 0) {
      const chars = m.payload.length;
      exchange.receiver.data(m.payload, () => {
        // Only while it is open: after the end, nothing waits for room.
        if (this.outgoing.get(m.id) !== exchange) return;
        exchange.unacked += chars;
        this.queueAcks();
      });
    }
    if (m.end) {
      this.done(m.id, exchange);
      exchange.receiver.end();
    }
  }

  /** What clients took in this turn, acknowledged with one message per exchange. */
  private queueAcks(): void {
    if (this.acksQueued) return;
    this.acksQueued = true;
    queueMicrotask(() => {
      this.acksQueued = false;
      for (const [id, exchange] of this.outgoing) {
        if (exchange.unacked === 0) continue;
        void this.publish(exchange.node, { t: 'ack', from: this.node, id, bytes: exchange.unacked });
        exchange.unacked = 0;
      }
    });
  }

  private fail(id: string, why: string, from?: NodeId): void {
    const exchange = this.outgoing.get(id);
    if (!exchange || (from !== undefined && exchange.node !== from)) return;
    this.done(id, exchange);
    this.holders.forgetNode(exchange.node);
    this.log.info({ holder: exchange.node.slice(0, 8), why }, 'a forwarded request failed');
    exchange.receiver.failed(why);
  }

  private done(id: string, exchange: Outgoing): void {
    clearTimeout(exchange.timer);
    this.outgoing.delete(id);
  }

  // --- Both sides ---------------------------------------------------------

  /** True when the node's topic had a listener (the node is there), false otherwise or without Redis. */
  private publish(node: NodeId, message: NodeRequestMessage): Promise<boolean> {
    return this.link.attempt(
      'forwarded request',
      async (redis) => {
        const topic = this.keys.forwardTopic(node);
        const text = encodeNodeRequestMessage(message);
        const heard = this.link.sharded ? await redis.spublish(topic, text) : await redis.publish(topic, text);
        return Number(heard) > 0;
      },
      () => false,
    );
  }

  /** While exchanges are open, ends those whose other node has stopped beating. */
  private checkPeers(): void {
    if (this.checker) return;
    this.checker = setInterval(() => {
      if (this.outgoing.size === 0 && this.incoming.size === 0) {
        clearInterval(this.checker);
        this.checker = undefined;
        return;
      }
      void this.link.attempt<NodeId[] | null>('live nodes', this.livePeers, () => null).then((peers) => {
        if (peers === null) return;
        const live = new Set(peers);
        for (const [id, exchange] of this.outgoing) if (!live.has(exchange.node)) this.fail(id, `node ${exchange.node.slice(0, 8)} died`);
        for (const [key, reply] of this.incoming) if (!live.has(key.slice(0, key.indexOf('/')))) reply.requesterGone();
      });
    }, CHECK_PEERS_EVERY_MS);
    this.checker.unref();
  }

  private endAll(why: string): void {
    for (const id of [...this.outgoing.keys()]) this.fail(id, why);
    for (const reply of [...this.incoming.values()]) reply.requesterGone();
  }
}

/** One part of an answer, as it goes to the forwarding node. */
interface ReplyPart {
  readonly status?: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly end?: true;
  readonly payload: string;
}

/**
 * The holder's answer to a forwarded request, written like an HTTP
 * response. What is written in one event-loop turn goes as one message.
 */
class RemoteReply extends EventEmitter implements ForwardedReply {
  headersSent = false;
  writableEnded = false;
  private status = 200;
  private readonly headers: OutgoingHttpHeaders = {};
  private headUnsent = false;
  private text = '';
  private endUnsent = false;
  private inFlight = 0;
  private flushQueued = false;
  private closed = false;

  constructor(
    private readonly send: (part: ReplyPart) => void,
    private readonly finished: () => void,
  ) {
    super();
  }

  get writableNeedDrain(): boolean {
    return this.inFlight >= FORWARD_WINDOW_CHARS;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers[name.toLowerCase()] = value as string | number | string[];
    return this;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    if (this.headersSent) return this;
    this.status = status;
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.headers[name.toLowerCase()] = value;
    this.headersSent = true;
    this.headUnsent = true;
    this.queueFlush();
    return this;
  }

  write(text: string): boolean {
    if (this.writableEnded || this.closed) return false;
    if (!this.headersSent) this.writeHead(200);
    this.text += text;
    this.inFlight += text.length;
    this.queueFlush();
    return !this.writableNeedDrain;
  }

  end(text?: string): this {
    if (this.writableEnded || this.closed) return this;
    if (text) this.write(text);
    if (!this.headersSent) this.writeHead(200);
    this.writableEnded = true;
    this.endUnsent = true;
    this.queueFlush();
    return this;
  }

  /** The forwarding node's client took this much: room for more. */
  acknowledged(chars: number): void {
    const waiting = this.writableNeedDrain;
    this.inFlight = Math.max(0, this.inFlight - chars);
    if (waiting && !this.writableNeedDrain && !this.closed) this.emit('drain');
  }

  /** The client at the other end went away (or its node did): the reply is over, unfinished. */
  requesterGone(): void {
    if (this.closed) return;
    this.writableEnded = true;
    this.close();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || (!this.headUnsent && this.text === '' && !this.endUnsent)) return;
    const part: ReplyPart = {
      ...(this.headUnsent ? { status: this.status, headers: this.headers } : {}),
      ...(this.endUnsent ? { end: true as const } : {}),
      payload: this.text,
    };
    this.headUnsent = false;
    this.text = '';
    this.send(part);
    if (this.endUnsent) this.close();
  }

  private close(): void {
    this.closed = true;
    this.finished();
    // As an HTTP response does once it is over, however it ended.
    this.emit('close');
  }
}
