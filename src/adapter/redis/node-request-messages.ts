// What nodes say to each other about forwarded requests, on the topic of the
// node each message is for. A message is a one-line JSON header, then its
// payload untouched (a request's body, a reply's text): the frames a stream
// carries are already JSON inside JSON, and are not escaped a third time.
import type { OutgoingHttpHeaders } from 'node:http';
import type { NodeId } from './types.js';

export type NodeRequestMessage =
  /** requester → holder: serve this request. Payload: its body. */
  | { readonly t: 'req'; readonly from: NodeId; readonly id: string; readonly service: string; readonly head: Record<string, unknown>; readonly payload: string }
  /**
   * holder → requester: the next part of the answer. `status` and `headers`
   * come once, with the first part; `end` with the last. Payload: text.
   */
  | {
      readonly t: 'reply';
      readonly from: NodeId;
      readonly id: string;
      readonly status?: number;
      readonly headers?: OutgoingHttpHeaders;
      readonly end?: true;
      readonly payload: string;
    }
  /** requester → holder: this much more of the answer is on its way to the client. */
  | { readonly t: 'ack'; readonly from: NodeId; readonly id: string; readonly bytes: number }
  /** requester → holder: the client went away before the answer ended. */
  | { readonly t: 'cancel'; readonly from: NodeId; readonly id: string }
  /** holder → requester: the answer will not be finished (the holder is stopping, or lost track of it). */
  | { readonly t: 'abort'; readonly from: NodeId; readonly id: string };

export function encodeNodeRequestMessage(m: NodeRequestMessage): string {
  const { payload, ...header } = m as NodeRequestMessage & { payload?: string };
  return `${JSON.stringify(header)}\n${payload ?? ''}`;
}

export function decodeNodeRequestMessage(text: string): NodeRequestMessage | null {
  const end = text.indexOf('\n');
  if (end < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, end));
  } catch {
    return null;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return null;
  const h = header as Record<string, unknown>;
  if (typeof h.from !== 'string' || typeof h.id !== 'string') return null;
  const payload = text.slice(end + 1);
  switch (h.t) {
    case 'req':
      if (typeof h.service !== 'string' || !isRecord(h.head)) return null;
      return { t: 'req', from: h.from, id: h.id, service: h.service, head: h.head, payload };
    case 'reply': {
      if (h.status !== undefined && !(Number.isInteger(h.status) && (h.status as number) >= 100 && (h.status as number) < 600)) return null;
      if (h.headers !== undefined && !isRecord(h.headers)) return null;
      if (h.end !== undefined && h.end !== true) return null;
      return {
        t: 'reply',
        from: h.from,
        id: h.id,
        ...(h.status === undefined ? {} : { status: h.status as number }),
        ...(h.headers === undefined ? {} : { headers: h.headers as OutgoingHttpHeaders }),
        ...(h.end ? { end: true as const } : {}),
        payload,
      };
    }
    case 'ack':
      if (typeof h.bytes !== 'number' || !Number.isInteger(h.bytes) || h.bytes < 0) return null;
      return { t: 'ack', from: h.from, id: h.id, bytes: h.bytes };
    case 'cancel':
    case 'abort':
      return { t: h.t, from: h.from, id: h.id };
    default:
      return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
