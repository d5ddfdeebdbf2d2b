// Prometheus metrics of one Herald (its own registry, so that several can
// run in one process). Most values are fed from the activity feed; the
// per-frame traffic counters are plain numbers bumped on the hot path and
// only turned into metrics when scraped.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PubSubTraffic } from '../adapter/pubsub-traffic.js';
import { TrafficCounters } from '../connection/traffic.js';
import type { DomainEvents } from '../events/domain-events.js';
import { SocketErrors } from '../protocol/errors.js';
import type { TransportKind } from '../protocol/types.js';

/** What the webhook queue reports when scraped. */
export type QueueDepthProbe = () => Promise<number>;

/** What channel history keeps, read when scraped. */
export type HistoryUsageProbe = () => Promise<{ channels: number; events: number; bytes: number }>;

export class HeraldMetrics {
  readonly registry = new Registry();
  readonly traffic = new TrafficCounters();
  /** HTTP API request durations by route, method and status. */
  readonly httpApiDuration: Histogram<'route' | 'method' | 'status'>;
  /** Webhook requests that did not get a 2xx, and jobs given up on. */
  readonly webhookFailures: Counter<'reason'>;
  readonly webhookDeliveries: Counter;
  /** Requests or events refused because an app was over a limit. */
  readonly rateLimitRejections: Counter<'action'>;
  private readonly counts = {
    open: byTransport(() => 0),
    opened: byTransport(() => 0),
    apiEvents: 0,
    clientEvents: 0,
  };
  private readonly subscriptions: Gauge;
  private readonly slowConsumersCut: Counter<'transport'>;
  private readonly connectionsRefused: Counter<'code'>;
  /** The duration histogram's series, by route, method and status: found once, not by hashing labels per request. */
  private readonly httpApiSeries = new Map<string, { observe(seconds: number): void }>();
  private queueDepth: QueueDepthProbe = async () => 0;
  private historyUsage: HistoryUsageProbe = async () => ({ channels: 0, events: 0, bytes: 0 });

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_' });
    // Bumped for every connection and every event: plain numbers here, turned into series when scraped
    // (a labelled prom-client call hashes its labels each time, which the connect path would pay).
    const counts = this.counts;
    new Gauge({
      name: 'herald_connections',
      help: 'Open client connections, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        for (const transport of TRANSPORTS) this.set({ transport }, counts.open[transport]);
      },
    });
    new Counter({
      name: 'herald_connections_opened_total',
      help: 'Client connections admitted, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        for (const transport of TRANSPORTS) this.inc({ transport }, counts.opened[transport]);
      },
    });
    this.subscriptions = new Gauge({ name: 'herald_subscriptions', help: 'Channel subscriptions of the connections on this node', registers });
    new Counter({
      name: 'herald_events_total',
      help: 'Events published, by source (api: HTTP API, client: client events)',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        this.inc({ source: 'api' }, counts.apiEvents);
        this.inc({ source: 'client' }, counts.clientEvents);
      },
    });
    this.slowConsumersCut = new Counter({
      name: 'herald_slow_consumers_cut_total',
      help: 'Clients closed (4100) for not reading their messages, by transport',
      labelNames: ['transport'],
      registers,
    });
    // Labelled by the catalog's codes only, so the series stay few whatever clients send.
    this.connectionsRefused = new Counter({
      name: 'herald_connections_refused_total',
      help: 'Clients refused before they had a connection (pusher:error, then close), by code',
      labelNames: ['code'],
      registers,
    });
    const traffic = this.traffic;
    const fromTraffic = (name: string, help: string, read: () => number) => readAtScrape(this.registry, name, help, read);
    fromTraffic('herald_messages_received_total', 'Frames received from clients', () => traffic.messagesIn);
    fromTraffic('herald_bytes_received_total', 'Bytes of the frames received from clients', () => traffic.bytesIn);
    fromTraffic('herald_messages_sent_total', 'Frames sent to clients (a broadcast counts once per receiving client)', () => traffic.messagesOut);
    fromTraffic('herald_bytes_sent_total', 'Bytes of the frames sent to clients', () => traffic.bytesOut);
    this.httpApiDuration = new Histogram({
      name: 'herald_http_api_request_duration_seconds',
      help: 'Signed HTTP API requests, from arrival to the end of the answer',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.webhookDeliveries = new Counter({ name: 'herald_webhook_requests_total', help: 'Webhook requests answered with 2xx', registers });
    this.webhookFailures = new Counter({
      name: 'herald_webhook_failures_total',
      help: 'Webhook requests that failed (reason: status, network, timeout) and jobs dropped after their last attempt (reason: dropped)',
      labelNames: ['reason'],
      registers,
    });
    const probe = () => this.queueDepth();
    new Gauge({
      name: 'herald_webhook_queue_depth',
      help: 'Webhook requests waiting in the durable queue (cluster-wide with the Redis adapter)',
      registers,
      // Every worker of --workers reads the same cluster-wide queue: summing them would count it N times.
      aggregator: 'max',
      async collect() {
        this.set(await probe().catch(() => Number.NaN));
      },
    });
    const usage = () => this.historyUsage();
    for (const [field, name, help] of [
      ['channels', 'herald_history_channels', 'Channels keeping history'],
      ['events', 'herald_history_events', 'Events kept in channel history'],
      ['bytes', 'herald_history_bytes', 'Bytes of channel history: frames in memory, or Redis memory use of the streams'],
    ] as const) {
      new Gauge({
        name,
        help: `${help} (cluster-wide with the Redis adapter)`,
        registers,
        // With the Redis adapter every worker reads the same streams: summing them would count them N times.
        aggregator: 'max',
        async collect() {
          this.set(await usage().then((u) => u[field]).catch(() => Number.NaN));
        },
      });
    }
    this.rateLimitRejections = new Counter({
      name: 'herald_rate_limit_rejections_total',
      help: 'Requests and events refused for being over a per-app limit, by action',
      labelNames: ['action'],
      registers,
    });
  }

  /** Counts what the activity feed reports; returns a function that stops it. */
  watch(activity: DomainEvents): () => void {
    const counts = this.counts;
    const stops = [
      activity.on('connection_opened', ({ transport }) => {
        counts.open[transport]++;
        counts.opened[transport]++;
      }),
      activity.on('connection_closed', ({ transport }) => {
        counts.open[transport]--;
      }),
      activity.on('subscribed', () => this.subscriptions.inc()),
      activity.on('unsubscribed', () => this.subscriptions.dec()),
      activity.on('api_event', () => {
        counts.apiEvents++;
      }),
      activity.on('client_event', () => {
        counts.clientEvents++;
      }),
      activity.on('rate_limited', ({ action }) => this.rateLimitRejections.inc({ action })),
      activity.on('client_event_rate_limited', () => this.rateLimitRejections.inc({ action: 'client_event' })),
      // 4004: the app is over its connection quota.
      activity.on('connection_refused', ({ code }) => {
        this.connectionsRefused.inc({ code: String(code) });
        if (code === SocketErrors.overConnectionQuota.code) this.rateLimitRejections.inc({ action: 'connection' });
      }),
      activity.on('slow_consumer_cut', ({ transport }) => this.slowConsumersCut.inc({ transport })),
    ];
    return () => stops.forEach((stop) => stop());
  }

  /** Exposes what the adapter sends to and hears from the other nodes (all zero on one node). */
  countPubSub(traffic: PubSubTraffic): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: () => number) => readAtScrape(this.registry, name, help, read);
    counter('herald_adapter_messages_received_total', 'Pub/sub messages this node heard from the cluster (a batch of one turn counts once)', () => traffic.messagesIn);
    counter('herald_adapter_bytes_received_total', 'Bytes of the pub/sub messages this node heard', () => traffic.bytesIn);
    counter('herald_adapter_broadcasts_received_total', 'Channel events inside the pub/sub messages this node heard (its own included)', () => traffic.broadcastsIn);
    counter('herald_adapter_messages_published_total', 'Pub/sub messages this node published', () => traffic.messagesOut);
    counter('herald_adapter_bytes_published_total', 'Bytes of the pub/sub messages this node published', () => traffic.bytesOut);
    new Gauge({
      name: 'herald_adapter_topics',
      help: 'Pub/sub topics this node is subscribed to (with interest routing: about one per channel it serves)',
      registers,
      collect() {
        this.set(traffic.topics);
      },
    });
  }

  /** Where the webhook queue depth is read from at scrape time. */
  setQueueDepthProbe(probe: QueueDepthProbe): void {
    this.queueDepth = probe;
  }

  /** Where channel history's usage is read from at scrape time. */
  setHistoryUsageProbe(probe: HistoryUsageProbe): void {
    this.historyUsage = probe;
  }

  /** Times an HTTP API request until its answer is finished. */
  timeHttpApi(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const started = performance.now();
    const route = apiRoute(pathname);
    // Node accepts only the methods it knows: the series stay few.
    const method = req.method ?? 'GET';
    res.once('close', () => this.seriesOf(route, method, res.statusCode).observe((performance.now() - started) / 1000));
  }

  private seriesOf(route: string, method: string, status: number): { observe(seconds: number): void } {
    const key = `${route} ${method} ${status}`;
    let series = this.httpApiSeries.get(key);
    if (series === undefined) {
      series = this.httpApiDuration.labels({ route, method, status: String(status) });
      this.httpApiSeries.set(key, series);
    }
    return series;
  }

}

/** The route pattern of an API path, so that labels do not grow with app ids, channels or users. */
export function apiRoute(pathname: string): string {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'apps' || parts.length < 3) return 'other';
  const [, , first, , last] = parts;
  if (parts.length === 3 && (first === 'events' || first === 'batch_events' || first === 'channels')) return `/apps/:appId/${first}`;
  if (first === 'channels' && parts.length === 4) return '/apps/:appId/channels/:channelName';
  if (first === 'channels' && parts.length === 5 && last === 'users') return '/apps/:appId/channels/:channelName/users';
  if (first === 'users' && parts.length === 5 && last === 'terminate_connections') return '/apps/:appId/users/:userId/terminate_connections';
  return 'other';
}

/** A counter whose value is a plain number kept elsewhere, read when scraped. */
function readAtScrape(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

const TRANSPORTS: readonly TransportKind[] = ['ws', 'xhr_streaming', 'xhr_polling'];

function byTransport<T>(make: (transport: TransportKind) => T): Record<TransportKind, T> {
  return { ws: make('ws'), xhr_streaming: make('xhr_streaming'), xhr_polling: make('xhr_polling') };
}
