import type { PubSubBus } from './bus.js';

/** How long a failed SUBSCRIBE or UNSUBSCRIBE waits before it is tried again (while Redis stays connected). */
const RETRY_MS = 1000;

interface TopicState {
  /** Whether this node has local subscribers that the topic is for. */
  wanted: boolean;
  /** Whether Redis confirmed the subscription (and no UNSUBSCRIBE took it back since). */
  heard: boolean;
  /** A SUBSCRIBE or UNSUBSCRIBE of the topic is in flight. */
  busy: boolean;
  /** Subscribers waiting for the topic to be heard before they are told they are subscribed. */
  waiters: Array<() => void>;
}

/**
 * The pub/sub topics this node wants to hear (those of the channels and
 * users it has local subscribers for) and what Redis has confirmed. Wanting
 * and not wanting come from the local index as it changes; the topic's
 * SUBSCRIBE and UNSUBSCRIBE follow one at a time per topic until Redis
 * agrees with the latest wish, so a leave during a subscription in flight
 * unsubscribes after it (no dangling topic) and a join during an
 * unsubscription subscribes again after it (no lost subscriber). Everyone
 * who asks while a subscription is in flight waits on that same one.
 *
 * When Redis is unreachable nobody waits: the node serves its own clients
 * as it does for everything else, and `resubscribe` puts every wanted topic
 * back once Redis is (a connection's subscriptions end with it).
 */
export class TopicInterest {
  private readonly topics = new Map<string, TopicState>();
  private heardCount = 0;

  constructor(
    private readonly bus: PubSubBus,
    /** Whether the pub/sub connection can take commands now. */
    private readonly usable: () => boolean,
    private readonly failed: (what: string, err: unknown) => void,
    /** Told the number of topics heard whenever it changes. */
    private readonly onCount: (heard: number) => void,
  ) {}

  want(topic: string): void {
    let state = this.topics.get(topic);
    if (!state) {
      state = { wanted: true, heard: false, busy: false, waiters: [] };
      this.topics.set(topic, state);
    }
    state.wanted = true;
    this.settle(topic, state);
  }

  drop(topic: string): void {
    const state = this.topics.get(topic);
    if (!state) return;
    state.wanted = false;
    this.settle(topic, state);
  }

  /**
   * Resolves once the topic's messages reach this node: at once when they
   * already do, when nobody here wants the topic any more, or when Redis
   * cannot be asked now; otherwise when the subscription in flight is
   * confirmed (or fails). Never rejects.
   */
  heard(topic: string): Promise<void> {
    const state = this.topics.get(topic);
    if (!state || !state.wanted || !state.busy) return Promise.resolve();
    return new Promise((resolve) => state.waiters.push(resolve));
  }

  /** Whether a topic is wanted now (for tests and the stats of the node). */
  wants(topic: string): boolean {
    return this.topics.get(topic)?.wanted ?? false;
  }

  /** The pub/sub connection closed: Redis forgot its subscriptions. */
  forget(): void {
    for (const state of this.topics.values()) this.mark(state, false);
  }

  /** Subscribes again to every wanted topic not heard (after a reconnection), in few commands. */
  async resubscribe(): Promise<void> {
    const batch: Array<[string, TopicState]> = [];
    for (const entry of this.topics) if (entry[1].wanted && !entry[1].heard && !entry[1].busy) batch.push(entry);
    if (batch.length === 0) return;
    for (const [, state] of batch) state.busy = true;
    let ok = true;
    try {
      await this.bus.subscribe(batch.map(([topic]) => topic));
    } catch (err) {
      ok = false;
      this.failed('resubscribe', err);
    }
    for (const [topic, state] of batch) {
      state.busy = false;
      if (ok) this.mark(state, true);
      this.settle(topic, state);
    }
  }

  private settle(topic: string, state: TopicState): void {
    if (state.busy) return;
    if (state.wanted === state.heard || !this.usable()) {
      this.release(state);
      if (!state.wanted && !state.heard) this.topics.delete(topic);
      return;
    }
    state.busy = true;
    const subscribing = state.wanted;
    const work = subscribing ? this.bus.subscribe([topic]) : this.bus.unsubscribe([topic]);
    work.then(
      () => {
        state.busy = false;
        this.mark(state, subscribing);
        this.settle(topic, state);
      },
      (err: unknown) => {
        state.busy = false;
        this.failed(subscribing ? 'subscribe' : 'unsubscribe', err);
        // Whoever waits is served locally rather than kept waiting; Redis is
        // asked again later (the subscription may even have been taken).
        this.release(state);
        setTimeout(() => {
          if (this.topics.get(topic) === state) this.settle(topic, state);
        }, RETRY_MS).unref();
      },
    );
  }

  private release(state: TopicState): void {
    const waiters = state.waiters;
    state.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private mark(state: TopicState, heard: boolean): void {
    if (state.heard === heard) return;
    state.heard = heard;
    this.heardCount += heard ? 1 : -1;
    this.onCount(this.heardCount);
  }
}
