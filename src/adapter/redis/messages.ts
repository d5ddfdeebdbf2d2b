// What nodes say to each other over Redis pub/sub. Broadcasts (the hot path)
// carry the already encoded frames after a one-line JSON header, so a frame
// is never encoded twice; everything else is a typed JSON message.
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

/** One event for the subscribers of a channel, already encoded as the frame they get. */
export interface Broadcast {
  readonly appId: AppId;
  readonly channel: ChannelName;
  readonly except: SocketId | undefined;
  readonly frame: string;
}

/** The broadcasts a node made in one event-loop turn, in the order it made them. */
export interface BroadcastBatch {
  readonly from: NodeId;
  readonly broadcasts: readonly Broadcast[];
}

/** A question every node answers about its own connections. */
export type NodeQuery =
  | { readonly kind: 'channels'; readonly appId: AppId }
  | { readonly kind: 'subscription_count'; readonly appId: AppId; readonly channel: ChannelName }
  | { readonly kind: 'connection_count'; readonly appId: AppId };

export type NodeAnswer =
  | { readonly kind: 'channels'; readonly channels: ReadonlyArray<readonly [ChannelName, number]> }
  | { readonly kind: 'count'; readonly count: number };

/** Sent to every node on the control topic. */
export type ControlMessage =
  | { readonly type: 'terminate_user'; readonly from: NodeId; readonly appId: AppId; readonly userId: UserId }
  | { readonly type: 'query'; readonly from: NodeId; readonly requestId: string; readonly query: NodeQuery }
  | { readonly type: 'failure'; readonly from: NodeId; readonly budget: string; readonly key: string; readonly at: number };

/** Sent to one node on its reply topic. */
export interface ReplyMessage {
  readonly type: 'answer';
  readonly from: NodeId;
  readonly requestId: string;
  readonly answer: NodeAnswer;
}

// Header: [from, [[appId, channel, except, frameLength], ...]] on one line
// (JSON.stringify never emits a raw newline, so the first one ends it), then
// the frames back to back, cut apart by their lengths.
export function encodeBroadcasts(batch: BroadcastBatch): string {
  const entries = batch.broadcasts.map((b) => [b.appId, b.channel, b.except ?? '', b.frame.length]);
  let text = `${JSON.stringify([batch.from, entries])}\n`;
  for (const b of batch.broadcasts) text += b.frame;
  return text;
}

export function decodeBroadcasts(text: string): BroadcastBatch | null {
  const end = text.indexOf('\n');
  if (end < 0) return null;
  const header = parseJson(text.slice(0, end));
  if (!Array.isArray(header) || header.length !== 2 || typeof header[0] !== 'string' || !Array.isArray(header[1])) return null;
  const broadcasts: Broadcast[] = [];
  let at = end + 1;
  for (const entry of header[1] as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 4) return null;
    const [appId, channel, except, length] = entry as unknown[];
    if (typeof appId !== 'string' || typeof channel !== 'string' || typeof except !== 'string') return null;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || at + length > text.length) return null;
    broadcasts.push({ appId, channel, except: except === '' ? undefined : except, frame: text.slice(at, at + length) });
    at += length;
  }
  return at === text.length ? { from: header[0], broadcasts } : null;
}

export function decodeControl(text: string): ControlMessage | null {
  const m = parseJson(text);
  if (!isRecord(m) || typeof m.from !== 'string') return null;
  if (m.type === 'terminate_user' && typeof m.appId === 'string' && typeof m.userId === 'string') return m as unknown as ControlMessage;
  if (m.type === 'query' && typeof m.requestId === 'string' && isRecord(m.query) && typeof m.query.appId === 'string') {
    return m as unknown as ControlMessage;
  }
  if (m.type === 'failure' && typeof m.budget === 'string' && typeof m.key === 'string' && typeof m.at === 'number' && Number.isFinite(m.at)) {
    return m as unknown as ControlMessage;
  }
  return null;
}

export function decodeReply(text: string): ReplyMessage | null {
  const m = parseJson(text);
  if (!isRecord(m) || m.type !== 'answer' || typeof m.from !== 'string' || typeof m.requestId !== 'string' || !isRecord(m.answer)) return null;
  return m as unknown as ReplyMessage;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
