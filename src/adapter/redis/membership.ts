import type { ClusterChange } from '../adapter.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';
import { socketRef } from './keys.js';

/** A membership entry as the Lua scripts read it (see scripts.ts). */
export type MembershipEntry = string;

export const presenceEntry = (node: NodeId, appId: AppId, channel: ChannelName, userId: UserId, socketId: SocketId): MembershipEntry =>
  JSON.stringify(['p', appId, channel, userId, socketRef(node, socketId)]);

export const occupancyEntry = (node: NodeId, appId: AppId, channel: ChannelName): MembershipEntry => JSON.stringify(['c', appId, channel, node]);

export const userEntry = (node: NodeId, appId: AppId, userId: UserId, socketId: SocketId): MembershipEntry =>
  JSON.stringify(['u', appId, userId, socketRef(node, socketId)]);

/**
 * This node's own membership entries with the presence user_info of each
 * (JSON). The node is the authority on its own sockets: this is what it
 * writes back to Redis after an outage, whatever Redis lost meanwhile.
 */
export class NodeEntries {
  private readonly entries = new Map<MembershipEntry, string>();

  set(entry: MembershipEntry, info: string): void {
    this.entries.set(entry, info);
  }

  delete(entry: MembershipEntry): void {
    this.entries.delete(entry);
  }

  info(entry: MembershipEntry): string | undefined {
    return this.entries.get(entry);
  }

  /** entry, info, entry, info… as the resync script takes them. */
  flatten(): string[] {
    const out: string[] = [];
    for (const [entry, info] of this.entries) out.push(entry, info);
    return out;
  }
}

/** What a user appearing or disappearing cluster-wide means for the protocol. */
export function changeOf(entry: MembershipEntry, appeared: boolean, info: string | undefined): ClusterChange | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) return null;
  const [kind, appId, a, b] = parsed as string[];
  if (appId === undefined || a === undefined) return null;
  if (kind === 'c') return { kind: appeared ? 'channel_occupied' : 'channel_vacated', appId, channel: a };
  if (kind === 'u') return { kind: appeared ? 'user_online' : 'user_offline', appId, userId: a };
  if (kind !== 'p' || b === undefined) return null;
  if (!appeared) return { kind: 'member_removed', appId, channel: a, userId: b };
  return { kind: 'member_added', appId, channel: a, userId: b, userInfo: info === undefined ? null : JSON.parse(info) };
}
