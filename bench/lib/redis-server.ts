// A Redis of the benchmark's own on a loopback port, so that the Redis CPU it
// reports is this run's alone (not that of tests sharing the machine's Redis).
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, stopChild } from './server.js';

export interface BenchRedis {
  readonly url: string;
  /** used_cpu_user + used_cpu_sys of the Redis process so far (INFO CPU), in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`redis-server could not start: ${err.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  // It takes a moment to listen: try for up to five seconds.
  const connect = async () => {
    for (let tries = 0; ; tries++) {
      try {
        await client.connect();
        return;
      } catch (err) {
        if (tries >= 50) throw err;
        client.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await Promise.race([connect(), failed]);
  return {
    url,
    async cpuMs() {
      return cpuOf(await client.info('cpu'));
    },
    async stop() {
      client.disconnect();
      await stopChild(child);
    },
  };
}

/**
 * A Redis Cluster of three masters on loopback ports (the tests' own helper
 * starts it), for the cluster scenario over sharded pub/sub. Its CPU is that
 * of all the masters together.
 */
export async function startRedisCluster(): Promise<BenchRedis> {
  const { startRedisCluster: start } = await import('../../test/helpers/redis-cluster.js');
  const cluster = await start();
  const masters = cluster.ports.map((port) => {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return client;
  });
  return {
    url: cluster.url,
    async cpuMs() {
      const each = await Promise.all(masters.map((m) => m.info('cpu').then(cpuOf)));
      return each.reduce((sum, ms) => sum + ms, 0);
    },
    async stop() {
      for (const m of masters) m.disconnect();
      await cluster.stop();
    },
  };
}

function cpuOf(info: string): number {
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}
