// The Herald under test: started from the built CLI as a child process (so
// its CPU and memory can be read from /proc apart from the load generator),
// or an already running server given by host and port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppCredentials, Target } from './http-api.js';
import { sampleResources, type ResourceSample } from './proc.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO_ROOT}dist/cli/index.js`;
/** The floors of bench/baseline/: a minimal Node + ws broadcaster, and the least a Node socket can do to connect. */
const BASELINES = {
  broadcaster: [`${REPO_ROOT}bench/baseline/minimal-broadcaster.ts`],
  handshake: [`${REPO_ROOT}bench/baseline/handshake-floor.ts`, '--mode', 'net'],
} as const;
export type Baseline = keyof typeof BASELINES;

export interface ServerUnderTest {
  readonly target: Target;
  /** Root of the server's process tree, when it runs on this machine. */
  readonly pid: number | null;
  resources(): ResourceSample | null;
  stop(): Promise<void>;
}

export function ensureBuilt(): void {
  if (existsSync(CLI)) return;
  console.error('bench: dist/ is missing, building Herald first (npm run build)');
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** Whether this build of `herald start` takes --workers (it says so in its help). */
export function cliSupportsWorkers(): boolean {
  const help = execFileSync(process.execPath, [CLI, 'help'], { encoding: 'utf8' });
  return help.includes('--workers');
}

export interface StartOptions {
  readonly app: AppCredentials;
  readonly workers: number;
  readonly activityTimeoutSeconds?: number;
  /** Writes a V8 CPU profile under profileDir/profileName/ when the server exits. */
  readonly profileDir?: string | null;
  readonly profileName?: string;
  /** Starts a floor of bench/baseline/ instead of Herald. */
  readonly baseline?: Baseline;
  /** More environment for the server (a cluster node's adapter settings, a scenario's own config file). */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startHerald(options: StartOptions): Promise<ServerUnderTest> {
  const port = await freePort();
  const profile = options.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.profileDir, options.profileName ?? 'herald')]
    : [];
  const args = options.baseline
    ? [...profile, '--import', 'tsx', ...BASELINES[options.baseline], '--host', '127.0.0.1', '--port', String(port)]
    : [...profile, CLI, 'start', '--host', '127.0.0.1', '--port', String(port)];
  if (options.workers > 1) args.push('--workers', String(options.workers));
  // Raise the open-file limit to the hard limit: every connection is a descriptor.
  const script = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawn('sh', ['-c', script, process.execPath, ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HERALD_APP_ID: options.app.id,
      HERALD_APP_KEY: options.app.key,
      HERALD_APP_SECRET: options.app.secret,
      HERALD_LOG_LEVEL: 'warn',
      ...(options.activityTimeoutSeconds ? { HERALD_ACTIVITY_TIMEOUT: String(options.activityTimeoutSeconds) } : {}),
      // Workers act as one server through the Redis adapter (the local Redis, a prefix of its own).
      ...(options.workers > 1
        ? { HERALD_ADAPTER: 'redis', HERALD_REDIS_PREFIX: `herald-bench-${process.pid}-${port}` }
        : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return superviseChild(child, { host: '127.0.0.1', port, app: options.app }, { name: options.baseline ? 'the baseline' : 'herald', readyPath: '/health', timeoutMs: 20_000 });
}

/**
 * A server started as a child process: waits until `readyPath` answers 200
 * (showing the child's last output if it never does) and reads its CPU and
 * memory from /proc while it runs.
 */
export async function superviseChild(
  child: ChildProcess,
  target: Target,
  ready: { name: string; readyPath: string; timeoutMs: number },
): Promise<ServerUnderTest> {
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitReady(target, child, ready);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.join('')}`);
  }
  const pid = child.pid ?? null;
  return {
    target,
    pid,
    resources: () => (pid === null ? null : sampleResources(pid)),
    stop: () => stopChild(child),
  };
}

export function externalServer(target: Target, pid: number | null): ServerUnderTest {
  return { target, pid, resources: () => (pid === null ? null : sampleResources(pid)), stop: async () => {} };
}

async function waitReady(target: Target, child: ChildProcess, ready: { name: string; readyPath: string; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + ready.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${ready.name} exited with code ${child.exitCode} before it was ready`);
    if (await answers(target, ready.readyPath)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ready.name} did not answer ${ready.readyPath} within ${ready.timeoutMs} ms`);
}

function answers(target: Target, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: target.host, port: target.port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
