import type { ClusterChange } from '../adapter.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';
import { socketRef, type RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import type { LuaScript } from './lua.js';
import { runScript } from './scripts.js';

/** A membership entry as the Lua scripts read it (see scripts.ts). */
export type MembershipEntry = string;

export const presenceEntry = (node: NodeId, appId: AppId, channel: ChannelName, userId: UserId, socketId: SocketId): MembershipEntry =>
  JSON.stringify(['p', appId, channel, userId, socketRef(node, socketId)]);

export const occupancyEntry = (node: NodeId, appId: AppId, channel: ChannelName): MembershipEntry => JSON.stringify(['c', appId, channel, node]);

export const userEntry = (node: NodeId, appId: AppId, userId: UserId, socketId: SocketId): MembershipEntry =>
  JSON.stringify(['u', appId, userId, socketRef(node, socketId)]);

/**
 * This node's own membership entries with the presence user_info of each
 * (JSON), by group (the node's index key in the group: see scripts.ts). The
 * node is the authority on its own sockets: this is what it writes back to
 * Redis after an outage, whatever Redis lost meanwhile.
 */
export class NodeEntries {
  private readonly groups = new Map<string, Map<MembershipEntry, string>>();

  /** Returns true when this is the node's first entry in the group. */
  set(index: string, entry: MembershipEntry, info: string): boolean {
    const group = this.groups.get(index);
    if (group) {
      group.set(entry, info);
      return false;
    }
    this.groups.set(index, new Map([[entry, info]]));
    return true;
  }

  /** Returns true when this was the node's last entry in the group. */
  delete(index: string, entry: MembershipEntry): boolean {
    const group = this.groups.get(index);
    if (!group || !group.delete(entry) || group.size > 0) return false;
    this.groups.delete(index);
    return true;
  }

  has(index: string): boolean {
    return this.groups.has(index);
  }

  info(index: string, entry: MembershipEntry): string | undefined {
    return this.groups.get(index)?.get(entry);
  }

  /** The groups where the node has entries now. */
  indexes(): string[] {
    return [...this.groups.keys()];
  }

  /** entry, info, entry, info… of one group, as the resync script takes them. */
  flatten(index: string): string[] {
    const out: string[] = [];
    for (const [entry, info] of this.groups.get(index) ?? []) out.push(entry, info);
    return out;
  }
}

/**
 * This node's membership as it writes it: its entries kept locally, the
 * script of each change run on the change's group, and Redis's list of the
 * node's groups (`RedisKeys.nodeGroups`, which is how survivors find its
 * entries if it dies) kept in step. A group is listed when the node's first
 * entry there is made, in the same turn as the script that writes it (a
 * node cannot die between the two), and unlisted only once a script has
 * left the node nothing there, so a group is never unlisted while Redis
 * may still hold some of the node's entries in it. A write that fails
 * marks the link for the resync, which lists every group again.
 */
export class NodeMembership {
  readonly entries = new NodeEntries();

  constructor(
    private readonly link: RedisLink,
    readonly keys: RedisKeys,
    readonly node: NodeId,
  ) {}

  channelIndex(appId: AppId, channel: ChannelName): string {
    return this.keys.channelIndex(appId, channel, this.node);
  }

  userIndex(appId: AppId, userId: UserId): string {
    return this.keys.userIndex(appId, userId, this.node);
  }

  record(index: string, entry: MembershipEntry, info: string): void {
    if (this.entries.set(index, entry, info)) this.list('sadd', index);
  }

  forget(index: string, entry: MembershipEntry): void {
    this.entries.delete(index, entry);
  }

  /** A membership script's reply on one group; null when Redis could not answer (the caller's local answer stands). */
  run(what: string, index: string, s: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    return this.link.attempt(
      what,
      async (redis) => {
        const reply = await runScript(redis, s, index, [this.keys.prefix, this.node, ...args]);
        this.unlistIfEmpty(index);
        return reply;
      },
      () => null,
    );
  }

  /** After a script that succeeded: a group where the node holds nothing now leaves its list. */
  unlistIfEmpty(index: string): void {
    if (!this.entries.has(index)) this.list('srem', index);
  }

  private list(op: 'sadd' | 'srem', index: string): void {
    if (!this.link.usable) {
      this.link.dirty = true;
      return;
    }
    this.link.commands[op](this.keys.nodeGroups(this.node), index).catch((err: unknown) => this.link.failed('node groups', err));
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
