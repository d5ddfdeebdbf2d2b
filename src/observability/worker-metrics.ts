// Metrics of `herald start --workers N`. Every worker has its own registry,
// and a scrape reaches whichever worker the kernel hands the connection to:
// read alone, each scrape would show one worker, and counters would seem to
// go back whenever two scrapes reach different workers. So the worker that
// gets a scrape asks the primary, which collects the registries of every
// serving worker and sums them (prom-client's aggregation: counters and
// histograms add up, a metric may name another aggregator, as the queue depth
// does). This works the same on the main port and on a metrics port.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** How long the primary waits for the workers, and a worker for the primary. */
const COLLECT_TIMEOUT_MS = 3000;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What the primary and the workers tell each other about metrics, over node:cluster's IPC channel. */
type MetricsMessage =
  | { readonly type: 'herald:metrics-request'; readonly id: number }
  | { readonly type: 'herald:metrics-answer'; readonly id: number; readonly text?: string; readonly error?: string }
  | { readonly type: 'herald:metrics-collect'; readonly id: number }
  | { readonly type: 'herald:metrics-collected'; readonly id: number; readonly metrics: MetricsJson };

function isMetricsMessage(message: unknown): message is MetricsMessage {
  return typeof message === 'object' && message !== null && String((message as { type?: unknown }).type).startsWith('herald:metrics-');
}

export class WorkerMetricsError extends Error {}

/** True in a worker of `--workers N`, where a scrape must be answered for every worker. */
export const inWorker = () => cluster.isWorker;

/**
 * In a worker: answers the primary's collection requests with this
 * registry's metrics. Returns a function that stops answering.
 */
export function answerCollections(registry: Registry): () => void {
  const onMessage = (message: unknown) => {
    if (!isMetricsMessage(message) || message.type !== 'herald:metrics-collect') return;
    void registry.getMetricsAsJSON().then((metrics) => send({ type: 'herald:metrics-collected', id: message.id, metrics }));
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

let requests = 0;

/** In a worker: the metrics of every serving worker, summed by the primary (Prometheus text). */
export function metricsOfAllWorkers(): Promise<string> {
  const id = requests++;
  return new Promise<string>((resolve, reject) => {
    const done = (outcome: () => void) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      outcome();
    };
    const onMessage = (message: unknown) => {
      if (!isMetricsMessage(message) || message.type !== 'herald:metrics-answer' || message.id !== id) return;
      done(() => (message.text !== undefined ? resolve(message.text) : reject(new WorkerMetricsError(message.error ?? 'no metrics'))));
    };
    const timer = setTimeout(() => done(() => reject(new WorkerMetricsError('the primary process did not answer'))), COLLECT_TIMEOUT_MS);
    process.on('message', onMessage);
    send({ type: 'herald:metrics-request', id });
  });
}

/**
 * In the primary: answers workers' requests for the metrics of all, asking
 * each serving worker for its own. A worker that does not answer fails the
 * scrape rather than leave its counts out, which would look like counters
 * going back. Returns a function that stops answering.
 */
export function collectForWorkers(serving: () => Worker[]): () => void {
  let collections = 0;
  const pending = new Map<number, (from: Worker, metrics: MetricsJson) => void>();

  const collect = (): Promise<string> => {
    const id = collections++;
    const workers = serving().filter((w) => w.isConnected());
    const answered = new Map<number, MetricsJson>();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new WorkerMetricsError(`${workers.length - answered.size} of ${workers.length} workers did not send their metrics in time`));
      }, COLLECT_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        pending.delete(id);
        AggregatorRegistry.aggregate([...answered.values()])
          .metrics()
          .then(resolve, reject);
      };
      pending.set(id, (from, metrics) => {
        if (!workers.includes(from)) return;
        answered.set(from.id, metrics);
        if (answered.size === workers.length) finish();
      });
      if (workers.length === 0) finish();
      for (const worker of workers) worker.send({ type: 'herald:metrics-collect', id } satisfies MetricsMessage);
    });
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMetricsMessage(message)) return;
    if (message.type === 'herald:metrics-collected') {
      pending.get(message.id)?.(worker, message.metrics);
    } else if (message.type === 'herald:metrics-request') {
      const answer = (reply: Partial<Extract<MetricsMessage, { type: 'herald:metrics-answer' }>>) => {
        if (worker.isConnected()) worker.send({ type: 'herald:metrics-answer', id: message.id, ...reply } satisfies MetricsMessage);
      };
      collect().then(
        (text) => answer({ text }),
        (err: unknown) => answer({ error: (err as Error).message }),
      );
    }
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}

function send(message: MetricsMessage): void {
  // The channel to the primary is gone once the worker is shutting down; nobody is waiting then.
  if (process.connected) process.send?.(message);
}
