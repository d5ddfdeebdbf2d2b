// Some things a client uses live on one node only (an HTTP fallback session:
// its queue of frames, its open receive request, its timers). When a
// request for one reaches another node (a round-robin balancer, another
// `--workers` process), that node forwards it to the node holding it, which
// answers as if the request had reached it, streaming its answer back.
// This is the contract; the single node's answer is "nobody else holds
// anything" and a cluster adapter carries requests between nodes.
import type { OutgoingHttpHeaders } from 'node:http';

/** A request forwarded to the node that holds what it is about. */
export interface ForwardedRequest {
  /** Which part of the holding node serves it (the name it registered with `serve`). */
  readonly service: string;
  /** What the service needs to know of the request, JSON-safe. */
  readonly head: Readonly<Record<string, unknown>>;
  /** Its body, if any (read and bounded by the forwarding node). */
  readonly body: string;
}

/**
 * How the holding node answers a forwarded request: status and headers, then
 * text, possibly over a long time (a stream). It is shaped like the part of
 * an HTTP response the services write to, so that a service answers a local
 * and a forwarded request with the same code.
 */
export interface ForwardedReply {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** True while the text in flight to the requester passes its bound: write more after 'drain'. */
  readonly writableNeedDrain: boolean;
  setHeader(name: string, value: string | number | readonly string[]): this;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  write(text: string): boolean;
  end(text?: string): this;
  /** 'close': the reply is over (ended here, or the requester went away); 'drain': room again. */
  on(event: 'close' | 'drain' | 'error', listener: () => void): this;
}

/** What the forwarding node does with the holder's answer as it arrives. */
export interface ReplyReceiver {
  head(status: number, headers: OutgoingHttpHeaders): void;
  /** Some text; call `written` once it is on its way to the client, which makes room for more. */
  data(text: string, written: () => void): void;
  end(): void;
  /** The holder could not be reached, or went away before it ended its answer. */
  failed(why: string): void;
}

/** A forwarded request in flight, from the forwarding node's side. */
export interface ForwardedExchange {
  /** The client went away: the holder is told, as if its own client had closed the request. */
  abort(): void;
}

export type ForwardedService = (request: ForwardedRequest, reply: ForwardedReply) => void;

export interface RequestForwarding {
  /** False on a single node: everything is here, and nothing below needs asking. */
  readonly clustered: boolean;
  /**
   * Records that this node holds `key`, unless another live record says a
   * node does: resolves null when it is now held here, or that node's id.
   */
  claim(key: string): Promise<string | null>;
  /** The node holding `key` when it is another node; null when none (or this one) does. */
  holder(key: string): Promise<string | null>;
  /** This node no longer holds `key`; the record stays `lingerMs` more, for requests still on their way. */
  release(key: string, lingerMs: number): void;
  /** Sends a request to the node holding what it is about; its answer comes to `receiver`. */
  forward(node: string, request: ForwardedRequest, receiver: ReplyReceiver): ForwardedExchange;
  /** Serves the requests other nodes forward here for `service`. */
  serve(service: string, handler: ForwardedService): void;
}

/** One node: nothing is held anywhere else, and nothing is ever forwarded here. */
export const SINGLE_NODE: RequestForwarding = {
  clustered: false,
  claim: async () => null,
  holder: async () => null,
  release: () => {},
  forward: (_node, _request, receiver) => {
    receiver.failed('there is no other node');
    return { abort: () => {} };
  },
  serve: () => {},
};
