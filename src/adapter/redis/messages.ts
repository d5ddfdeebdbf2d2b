// What nodes say to each other over Redis pub/sub. Broadcasts (the hot path)
// carry the already encoded frame after a one-line JSON header, so a frame
// is never encoded twice; everything else is a typed JSON message.
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

export interface BroadcastMessage {
  readonly from: NodeId;
  readonly appId: AppId;
  readonly channel: ChannelName;
  readonly except: SocketId | undefined;
  readonly frame: string;
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
  | { readonly type: 'query'; readonly from: NodeId; readonly requestId: string; readonly query: NodeQuery };

/** Sent to one node on its reply topic. */
export interface ReplyMessage {
  readonly type: 'answer';
  readonly from: NodeId;
  readonly requestId: string;
  readonly answer: NodeAnswer;
}

// JSON.stringify never emits a raw newline, so the first one ends the header.
export function encodeBroadcast(m: BroadcastMessage): string {
  return `${JSON.stringify([m.from, m.appId, m.channel, m.except ?? ''])}\n${m.frame}`;
}

export function decodeBroadcast(text: string): BroadcastMessage | null {
  const end = text.indexOf('\n');
  if (end < 0) return null;
  const header = parseJson(text.slice(0, end));
  if (!Array.isArray(header) || header.length !== 4 || !header.every((h) => typeof h === 'string')) return null;
  const [from, appId, channel, except] = header as [string, string, string, string];
  return { from, appId, channel, except: except === '' ? undefined : except, frame: text.slice(end + 1) };
}

export function decodeControl(text: string): ControlMessage | null {
  const m = parseJson(text);
  if (!isRecord(m) || typeof m.from !== 'string') return null;
  if (m.type === 'terminate_user' && typeof m.appId === 'string' && typeof m.userId === 'string') return m as unknown as ControlMessage;
  if (m.type === 'query' && typeof m.requestId === 'string' && isRecord(m.query) && typeof m.query.appId === 'string') {
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
