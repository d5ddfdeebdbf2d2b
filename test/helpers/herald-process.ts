// The `herald` command as a child process, started from the CLI entry point
// through tsx: for what only a process shows (flags and environment, signals,
// exit codes, a SIGKILL that a durable queue must survive, worker processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'src/cli/index.ts';
/** Starting a TypeScript entry point through tsx takes a while on a busy machine. */
export const SPAWN_WAIT_MS = 20_000;

/** One JSON line of Herald's log (pino). */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * The test run's environment without any Herald, Pusher or Reverb setting,
 * plus `extra`: a variable set where the tests run must not change what a
 * test configured.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HERALD_') && !k.startsWith('PUSHER_') && !k.startsWith('REVERB_')) env[k] = v;
  }
  return { ...env, ...extra };
}

export interface HeraldProcess {
  readonly process: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Every JSON log line it printed so far. */
  readonly logs: readonly LogLine[];
  /** Sends `signal` (SIGTERM unless told) if it still runs, and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A running `herald start`, with the port it said it is ready on. */
export interface StartedHerald extends HeraldProcess {
  readonly port: number;
  readonly url: string;
}

export interface StartOptions {
  /** Arguments after `herald start`. */
  readonly args?: readonly string[];
  /** Settings for the process, on top of a clean environment. */
  readonly env?: Record<string, string>;
  /** Adds `--host 127.0.0.1 --port 0` unless false (for a test of where the address comes from). */
  readonly loopbackFreePort?: boolean;
}

/**
 * `herald start`, resolved once it logs "ready" with its port; rejected with
 * its output if it exits first. Logs at info, since "ready" is an info line.
 */
export async function startHeraldProcess(t: TestContext | null, options: StartOptions = {}): Promise<StartedHerald> {
  const address = options.loopbackFreePort === false ? [] : ['--host', '127.0.0.1', '--port', '0'];
  const started = launch(['start', ...address, ...(options.args ?? [])], { HERALD_LOG_LEVEL: 'info', ...options.env });
  t?.after(async () => {
    if (started.running()) await started.stop('SIGKILL');
  });
  const ready = new Promise<number>((resolve, reject) => {
    started.onLog((entry) => {
      if (entry.msg === 'ready' && typeof entry.port === 'number') resolve(entry.port);
    });
    void started.exited.then(([code]) => reject(new Error(`herald start exited (${code}) before it was ready`)));
  });
  // A start that failed must not leave a process behind, with or without a test context to clean up.
  const port = await withTimeout(ready, 'herald start to be ready', SPAWN_WAIT_MS).catch(async (err: Error) => {
    await started.stop('SIGKILL');
    throw new Error(`${err.message}\n${started.output()}`);
  });
  return { process: started.process, logs: started.logs, output: started.output, stop: started.stop, port, url: `http://127.0.0.1:${port}` };
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `herald <args>` for a command that ends on its own (apps, trigger, a refused start): its exit code and output. */
export async function runHerald(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const launched = launch(args, env);
  try {
    const [code] = await withTimeout(launched.exited, `herald ${args.join(' ')} to exit`, SPAWN_WAIT_MS);
    return { code, stdout: launched.stdout(), stderr: launched.stderr() };
  } finally {
    if (launched.running()) await launched.stop('SIGKILL');
  }
}

interface Launched extends HeraldProcess {
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  running(): boolean;
  stdout(): string;
  stderr(): string;
  onLog(listener: (entry: LogLine) => void): void;
}

function launch(args: readonly string[], env: Record<string, string>): Launched {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let output = '';
  let stdout = '';
  let stderr = '';
  const logs: LogLine[] = [];
  const listeners: ((entry: LogLine) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
    stderr += d.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const entry = parseLogLine(line);
    if (!entry) return;
    logs.push(entry);
    for (const listener of listeners) listener(entry);
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (running()) child.kill(signal);
    const [code] = await withTimeout(exited, `herald ${args[0] ?? ''} to exit after ${signal}`, SPAWN_WAIT_MS).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
    return code;
  };
  return {
    process: child,
    exited,
    logs,
    running,
    stop,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    onLog: (listener) => void listeners.push(listener),
  };
}

function parseLogLine(line: string): LogLine | null {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === 'object' && entry !== null && 'msg' in entry ? (entry as LogLine) : null;
  } catch {
    return null;
  }
}
