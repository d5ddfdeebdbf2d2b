import cluster, { type Worker } from 'node:cluster';
import type { Settings } from '../config/settings.js';
import { createLogger } from '../logging/logger.js';
import { collectForWorkers } from '../observability/worker-metrics.js';

/**
 * `herald start --workers N`: this process becomes the primary of N worker
 * processes that share the listening port (node:cluster hands each new
 * connection to one worker) and act as one server through the Redis adapter.
 * A worker that dies after it was serving is replaced; one that dies before
 * (a port in use, a bad setting) stops them all rather than restarting in a
 * loop. SIGINT/SIGTERM stop them all. A scrape of /metrics, whichever worker
 * it reaches, is answered with every serving worker's metrics summed here.
 */
export async function runWorkers(settings: Settings): Promise<number> {
  const log = createLogger(settings.logLevel).child({ role: 'primary' });
  const serving = new Set<number>();
  let stopping = false;
  let exitCode = 0;

  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };

  const stopCollecting = collectForWorkers(() =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && serving.has(w.id)),
  );
  // A worker serves once all its listeners are up: the port and, when set, the metrics port.
  const listeners = settings.metricsPort === null ? 1 : 2;
  const listening = new Map<number, number[]>();
  cluster.on('listening', (worker, address) => {
    const ports = [...(listening.get(worker.id) ?? []), address.port];
    listening.set(worker.id, ports);
    if (ports.length < listeners) return;
    listening.delete(worker.id);
    serving.add(worker.id);
    log.info({ worker: worker.id, pid: worker.process.pid, port: ports.at(-1), ports }, 'worker listening');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!serving.has(worker.id)) {
      log.fatal({ pid: worker.process.pid, code, signal }, 'a worker failed before it could serve: stopping');
      exitCode = 1;
      stopAll('SIGTERM');
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker died: starting another');
    cluster.fork();
  });
  // Each worker accepts from the shared listening socket itself, rather than
  // the primary accepting every connection and passing it on over IPC
  // (node:cluster's default on Linux): a connection costs a worker no more
  // than it costs a single process, and the primary stays out of the way.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < settings.workers; i++) cluster.fork();
  log.info({ workers: settings.workers, port: settings.port }, 'started workers');

  const signalled = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping workers');
    stopAll(signal);
  };
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);

  await new Promise<void>((resolve) => {
    const check = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    };
    cluster.on('exit', check);
  });
  process.off('SIGINT', signalled);
  process.off('SIGTERM', signalled);
  stopCollecting();
  return exitCode;
}

export const isWorkerPrimary = (settings: Settings) => settings.workers > 1 && cluster.isPrimary;

/** A worker that has shut down lets go of its channel to the primary, so that its process can end. */
export function releaseWorker(): void {
  if (cluster.isWorker) cluster.worker?.disconnect();
}
