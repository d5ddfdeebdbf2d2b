import type { ClusterChange } from '../adapter.js';
import type { Logger } from '../../logging/logger.js';
import type { RedisLink } from './link.js';
import { runLua } from './lua.js';
import { changeOf, type MembershipEntry, type NodeMembership } from './membership.js';
import { dropGroup, heartbeat, leaveCluster, liveNodes, resyncGroup, runScript } from './scripts.js';
import type { NodeId } from './types.js';

export interface LivenessOptions {
  readonly heartbeatMs: number;
  /** A node silent this long is dead; survivors remove its members. */
  readonly timeoutMs: number;
}

/** Group indexes listed in one SADD at most (a resync of a node in many channels). */
const LIST_CHUNK = 1000;

/**
 * Node liveness by heartbeat: every beat records this node in Redis and
 * moves any node silent for longer than the timeout to the dead nodes,
 * each of which one survivor at a time cleans up: its presence members,
 * users and channel occupancy are removed group by group (announced once,
 * by whichever survivor removed them). A beat also puts this node's own
 * membership back into Redis when it may be missing: after an outage, or
 * when the others took it for dead.
 *
 * Bound: a killed node's members are removed within timeout + one
 * heartbeat of its last beat (and, if the survivor cleaning up dies too,
 * within one more timeout).
 */
export class NodeLiveness {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | null = null;
  /** True once a beat has gone through since the last failure. */
  registered = false;

  constructor(
    private readonly link: RedisLink,
    private readonly membership: NodeMembership,
    private readonly options: LivenessOptions,
    private readonly announce: (changes: ClusterChange[]) => void,
    private readonly log: Logger,
  ) {}

  private get keys() {
    return this.membership.keys;
  }

  private get node(): NodeId {
    return this.membership.node;
  }

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** One heartbeat (and resync when needed); never rejects, never overlaps. */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = null;
    });
    return this.beating;
  }

  /** The other live nodes, as Redis sees them. */
  async peers(): Promise<NodeId[]> {
    const nodes = (await runLua(this.link.commands, liveNodes, [this.keys.nodes], [this.keys.prefix, this.options.timeoutMs])) as string[];
    return nodes.filter((n) => n !== this.node);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (!this.link.usable) return;
    try {
      // Handed to its own cleanup, as a dead node is to a survivor's: if this
      // process dies halfway, a survivor finishes it after the lease.
      await runLua(this.link.commands, leaveCluster, [this.keys.nodes, this.keys.deadNodes], [this.keys.prefix, this.node, this.options.timeoutMs]);
      await this.cleanUp(this.node);
    } catch (err) {
      this.log.warn({ err }, 'could not leave the cluster cleanly: the others will remove this node after the timeout');
    }
  }

  private async beatOnce(): Promise<void> {
    if (!this.link.usable) {
      this.registered = false;
      return;
    }
    try {
      const resyncWanted = this.link.dirty;
      this.link.dirty = false;
      const [status, dead] = (await runLua(
        this.link.commands,
        heartbeat,
        [this.keys.nodes, this.keys.deadNodes],
        [this.keys.prefix, this.node, this.options.timeoutMs, this.options.timeoutMs],
      )) as [number, string[]];
      for (const node of dead) {
        // Not this node's failure: the lease hands the rest to a survivor later.
        await this.cleanUp(node).catch((err: unknown) => this.link.failed('dead node cleanup', err));
      }
      if (status === 2) {
        // Taken for dead and still being cleaned up: rejoin once that is over.
        this.link.dirty = true;
        this.registered = false;
        return;
      }
      if (status === 1 || resyncWanted) await this.resync(status === 1);
      this.registered = true;
    } catch (err) {
      this.registered = false;
      this.link.failed('heartbeat', err);
    }
  }

  /** Removes a dead (or leaving) node's entries, one group at a time, then the node itself. */
  private async cleanUp(node: NodeId): Promise<void> {
    const redis = this.link.commands;
    const groups = this.keys.nodeGroups(node);
    const indexes = await redis.smembers(groups);
    const replies = await Promise.all(indexes.map((index) => runScript(redis, dropGroup, index, [this.keys.prefix, node])));
    const gone = (replies as MembershipEntry[][]).flat();
    if (gone.length > 0 && node !== this.node) this.log.warn({ members: gone.length }, 'removed the members of a node that stopped sending heartbeats');
    this.announce(gone.map((e) => changeOf(e, false, undefined)).filter((c) => c !== null));
    await redis.del(groups);
    await redis.zrem(this.keys.deadNodes, node);
  }

  /** Makes Redis hold exactly this node's membership; announces users that appeared or left meanwhile. */
  private async resync(wasAbsent: boolean): Promise<void> {
    const redis = this.link.commands;
    const groups = this.keys.nodeGroups(this.node);
    const listed = await redis.smembers(groups);
    // From here on, one turn: every group's script leaves before any change made later.
    const entries = this.membership.entries;
    const local = entries.indexes();
    const listing: Promise<unknown>[] = [];
    for (let i = 0; i < local.length; i += LIST_CHUNK) listing.push(redis.sadd(groups, ...local.slice(i, i + LIST_CHUNK)));
    const indexes = [...new Set([...listed, ...local])];
    const replies = await Promise.all(indexes.map((index) => runScript(redis, resyncGroup, index, [this.keys.prefix, this.node, ...entries.flatten(index)])));
    await Promise.all(listing);
    const changes: ClusterChange[] = [];
    replies.forEach((reply, at) => {
      const list = reply as string[];
      const index = indexes[at] as string;
      for (let i = 0; i + 1 < list.length; i += 2) {
        const entry = list[i + 1] as string;
        const change = changeOf(entry, list[i] === '+', entries.info(index, entry));
        if (change) changes.push(change);
      }
      this.membership.unlistIfEmpty(index);
    });
    if (changes.length > 0) this.log.info({ changes: changes.length, rejoined: wasAbsent }, 'membership resynchronised with Redis');
    this.announce(changes);
  }
}
