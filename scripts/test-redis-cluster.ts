// Runs the cluster-wide integration tests of the Redis adapter again, over a
// Redis Cluster this script starts (three masters from the machine's
// redis-server on free loopback ports) instead of the single Redis:
// `npm run test:redis-cluster`. The tests that cut a node's Redis with a TCP
// relay (cluster-failures) need one Redis and are not among them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { redisClusterUnavailable, startRedisCluster } from '../test/helpers/redis-cluster.js';

const FILES = [
  'test/integration/cluster.test.ts',
  'test/integration/cluster-tenants.test.ts',
  'test/integration/subscription-count-cluster.test.ts',
  'test/integration/webhooks-cluster.test.ts',
  'test/integration/console-cluster.test.ts',
  'test/integration/cluster-routing.test.ts',
  'test/integration/history-cluster.test.ts',
  'test/integration/http-fallback-cluster.test.ts',
];

if (await redisClusterUnavailable()) process.exit(process.env.CI ? 1 : 0);
const cluster = await startRedisCluster();
let code = 1;
try {
  const tests = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...FILES], {
    stdio: 'inherit',
    env: { ...process.env, HERALD_TEST_REDIS_URL: cluster.url },
  });
  [code] = (await once(tests, 'exit')) as [number];
} finally {
  await cluster.stop();
}
process.exit(code);
