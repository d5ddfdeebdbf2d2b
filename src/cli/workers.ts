import cluster, { type Worker } from 'node:cluster';
import type { Settings } from '../config/settings.js';
import { createLogger } from '../observability/logger.js';

/**
 * `herald start --workers N`: this process becomes the primary of N worker
 * processes that share the listening port (node:cluster hands each new
 * connection to one worker) and act as one server through the Redis adapter.
 * A worker that dies unexpectedly is replaced; SIGINT/SIGTERM stop them all.
 */
export async function runWorkers(settings: Settings): Promise<number> {
  const log = createLogger(settings.logLevel).child({ role: 'primary' });
  let stopping = false;
  const fork = (): Worker => cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal }, 'worker died: starting another');
    fork();
  });
  cluster.on('listening', (worker, address) => {
    log.info({ worker: worker.id, pid: worker.process.pid, port: address.port }, 'worker listening');
  });
  for (let i = 0; i < settings.workers; i++) fork();
  log.info({ workers: settings.workers, port: settings.port }, 'started workers');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      log.info({ signal }, 'stopping workers');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await new Promise<void>((resolve) => {
    const check = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    };
    cluster.on('exit', check);
    check();
  });
  return 0;
}

export const isWorkerPrimary = (settings: Settings) => settings.workers > 1 && cluster.isPrimary;

/** A worker that has shut down lets go of its channel to the primary, so that its process can end. */
export function releaseWorker(): void {
  if (cluster.isWorker) cluster.worker?.disconnect();
}
