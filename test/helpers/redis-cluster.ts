// A real Redis Cluster for the tests: three masters (and, when asked, a
// replica each) on free loopback ports, started from the machine's
// redis-server, their state in a temporary directory, all of it removed by
// `stop`. A test may kill one of its servers to watch a failover.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisCluster {
  /** What Herald is given: `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…`. */
  readonly url: string;
  readonly ports: readonly number[];
  /** A client of the cluster, for a test's own look at the keys. */
  client(): Cluster;
  /** Kills the server on `port` at once (SIGKILL), as a crash would. */
  kill(port: number): Promise<void>;
  /** The port of the master that serves `slot` now, as the server on `askPort` sees the cluster. */
  masterOf(slot: number, askPort: number): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Why a Redis Cluster cannot be started here, or null when it can. Without
 * redis-server the tests fail under CI and are skipped loudly elsewhere,
 * never passed.
 */
export async function redisClusterUnavailable(): Promise<string | null> {
  try {
    const { stdout } = await run('redis-server', ['--version']);
    const version = /v=(\d+)\./.exec(stdout);
    if (version && Number(version[1]) < 7) throw new Error(`redis-server ${version[1]}.x is too old (sharded pub/sub needs 7)`);
    await run('redis-cli', ['--version']);
    return null;
  } catch (err) {
    const reason = `cannot start a Redis Cluster: ${(err as Error).message}`;
    if (process.env.CI) throw new Error(`${reason}: the Redis Cluster tests need redis-server and redis-cli under CI`);
    console.error(`\n!!!!!!!!\n!!! SKIPPING the Redis Cluster tests: ${reason}. Install redis-server (7 or later) to run them.\n!!!!!!!!\n`);
    return reason;
  }
}

/**
 * Starts `masters` Redis Cluster masters, with `replicas` replicas each, and
 * waits until the cluster serves every slot (and every replica has joined).
 * A master is declared failed after `nodeTimeoutMs` of silence; a replica then
 * takes its slots over.
 */
export async function startRedisCluster(masters = 3, { replicas = 0, nodeTimeoutMs = 2000 }: { replicas?: number; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-redis-cluster-'));
  const servers: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        server.kill('SIGKILL');
        await once(server, 'exit');
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      ports.push(port);
      const server = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-port', String(busPort),
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', String(nodeTimeoutMs),
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--logfile', join(dir, `redis-${port}.log`),
        ],
        { stdio: 'ignore' },
      );
      servers.push(server);
    }
    await Promise.all(ports.map((port) => untilAnswering(port)));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await Promise.all(ports.map((port) => untilClusterOk(port)));
    // A replica that never synchronised with its master cannot take over from it.
    if (replicas > 0) await until(async () => (await replicasInSync(ports)) === masters * replicas, 'every replica to be in sync', 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    client: () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))),
    kill: async (port) => {
      const server = servers[ports.indexOf(port)];
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGKILL');
      await once(server, 'exit');
    },
    masterOf: async (slot, askPort) => {
      const redis = new Redis({ host: '127.0.0.1', port: askPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => {});
      try {
        await redis.connect();
        // Each range: [start, end, [host, port, id] of its master, ...its replicas].
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
        const range = ranges.find(([start, end]) => start <= slot && slot <= end);
        return range ? Number(range[2][1]) : null;
      } catch {
        return null;
      } finally {
        redis.disconnect();
      }
    },
    stop,
  };
}

/** Servers that are replicas with their replication link to their master up. */
async function replicasInSync(ports: readonly number[]): Promise<number> {
  const states = await Promise.all(ports.map((port) => cli(port, 'INFO', 'replication')));
  return states.filter((info) => /role:slave/.test(info) && /master_link_status:up/.test(info)).length;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function untilAnswering(port: number): Promise<void> {
  await until(async () => (await cli(port, 'PING')) === 'PONG', `redis-server on port ${port} to answer`);
}

async function untilClusterOk(port: number): Promise<void> {
  await until(async () => /cluster_state:ok/.test(await cli(port, 'CLUSTER', 'INFO')), `the cluster to be ok on port ${port}`);
}

async function cli(port: number, ...command: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command])).stdout.trim();
  } catch {
    return '';
  }
}

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
