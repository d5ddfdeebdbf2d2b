import type { ClusterChange } from '../adapter.js';
import type { Logger } from '../../logging/logger.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { changeOf, type NodeEntries } from './membership.js';
import { heartbeat, leaveCluster, liveNodes, resyncNode, runScript } from './scripts.js';
import type { NodeId } from './types.js';

export interface LivenessOptions {
  readonly heartbeatMs: number;
  /** A node silent this long is dead; survivors remove its members. */
  readonly timeoutMs: number;
}

/**
 * Node liveness by heartbeat: every beat records this node in Redis and
 * removes any node silent for longer than the timeout, with its presence
 * members and users (announced once, by whichever survivor removed them).
 * A beat also puts this node's own membership back into Redis when it may
 * be missing: after an outage, or when the others took it for dead.
 *
 * Bound: a killed node's members are removed within timeout + one
 * heartbeat of its last beat.
 */
export class NodeLiveness {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | null = null;
  /** True once a beat has gone through since the last failure. */
  registered = false;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
    private readonly entries: NodeEntries,
    private readonly options: LivenessOptions,
    private readonly announce: (changes: ClusterChange[]) => void,
    private readonly log: Logger,
  ) {}

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
    const nodes = (await runScript(this.link.commands, liveNodes, [this.keys.prefix, this.options.timeoutMs])) as string[];
    return nodes.filter((n) => n !== this.node);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (!this.link.usable) return;
    try {
      const gone = (await runScript(this.link.commands, leaveCluster, [this.keys.prefix, this.node])) as string[];
      this.announce(gone.map((e) => changeOf(e, false, undefined)).filter((c) => c !== null));
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
      const [wasAbsent, gone] = (await runScript(this.link.commands, heartbeat, [this.keys.prefix, this.node, this.options.timeoutMs])) as [
        number,
        string[],
      ];
      if (gone.length > 0) this.log.warn({ members: gone.length }, 'removed the members of nodes that stopped sending heartbeats');
      this.announce(gone.map((e) => changeOf(e, false, undefined)).filter((c) => c !== null));
      if (wasAbsent === 1 || resyncWanted) await this.resync(wasAbsent === 1);
      this.registered = true;
    } catch (err) {
      this.registered = false;
      this.link.failed('heartbeat', err);
    }
  }

  /** Makes Redis hold exactly this node's membership; announces users that appeared or left meanwhile. */
  private async resync(wasAbsent: boolean): Promise<void> {
    const flat = await runScript(this.link.commands, resyncNode, [this.keys.prefix, this.node, ...this.entries.flatten()]);
    const list = flat as string[];
    const changes: ClusterChange[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const entry = list[i + 1] as string;
      const change = changeOf(entry, list[i] === '+', this.entries.info(entry));
      if (change) changes.push(change);
    }
    if (changes.length > 0) this.log.info({ changes: changes.length, rejoined: wasAbsent }, 'membership resynchronised with Redis');
    this.announce(changes);
  }
}
