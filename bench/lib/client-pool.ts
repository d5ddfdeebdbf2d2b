// The client processes of a scenario: spawned, commanded over IPC with typed
// commands, and stopped when the scenario ends.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sampleResources } from './proc.js';
import type { CommandArgs, CommandName, CommandResults, Reply } from '../client/commands.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../client/worker.ts', import.meta.url));
/**
 * Source addresses for each client process's connections. Connections are
 * spread over many loopback addresses, and each run starts in a block of
 * its own: a closed connection leaves its client port in TIME_WAIT for a
 * minute, and when thousands of those sit on one address, finding a free
 * port for the next connection costs the client (and the figures) dearly.
 */
const ADDRESSES_PER_CLIENT = 32;
const runBlock = 1 + Math.floor(Math.random() * 250);
let nextClientBlock = 0;

export function sourceAddresses(): string[] {
  const block = nextClientBlock++ % 250;
  return Array.from({ length: ADDRESSES_PER_CLIENT }, (_, i) => `127.${runBlock}.${block + 1}.${i + 1}`);
}

class ClientProcess {
  private nextId = 1;
  readonly pid: number | undefined;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

  constructor(
    readonly index: number,
    readonly sourceAddresses: string[],
    private readonly child: ChildProcess,
  ) {
    this.pid = child.pid;
    child.on('message', (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.result);
      else w.reject(new Error(`client ${index}: ${reply.error}`));
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`client ${index} exited (${code ?? 'signal'})`));
      this.waiting.clear();
    });
  }

  run<K extends CommandName>(type: K, args: CommandArgs[K]): Promise<CommandResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: (v) => resolve(v as CommandResults[K]), reject });
      this.child.send({ id, type, args });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}

export class ClientPool {
  private constructor(readonly clients: readonly ClientProcess[]) {}

  static async start(count: number): Promise<ClientPool> {
    const clients = Array.from({ length: count }, (_, i) => {
      const child = fork(WORKER_SCRIPT, [], {
        execArgv: ['--import', 'tsx'],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new ClientProcess(i, sourceAddresses(), child);
    });
    await Promise.all(clients.map((c) => c.run('resetStats', {})));
    return new ClientPool(clients);
  }

  get size(): number {
    return this.clients.length;
  }

  /** CPU time (ms) the client processes have used so far: shows when the load generator, not the server, is the limit. */
  cpuMs(): number {
    return this.clients.reduce((sum, c) => sum + (c.pid === undefined ? 0 : sampleResources(c.pid).cpuMs), 0);
  }

  /** Runs a command on every client, with arguments chosen per client. */
  all<K extends CommandName>(type: K, args: (client: ClientProcess) => CommandArgs[K]): Promise<Array<CommandResults[K]>> {
    return Promise.all(this.clients.map((c) => c.run(type, args(c))));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.run('close', {})));
    await Promise.all(this.clients.map((c) => c.stop()));
  }
}

/** Splits `total` into `parts` near-equal shares. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
