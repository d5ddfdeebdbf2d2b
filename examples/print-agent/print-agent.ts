// A desktop-style print agent: listens on private-print-jobs through Herald,
// prints each job (to a file here), and reports it completed or failed
// through the back end's API. It resumes the channel with herald/client,
// keeping the last serial in a state file, so the jobs sent while it was
// offline (a network cut, a restart of the agent) are replayed by Herald.
// Only when Herald cannot resume (no serial yet, or a gap older than the
// history kept) does it ask the back end for the jobs still waiting.
// Claiming a job before printing it means a job heard about twice is printed once.
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { attachRecovery, type SerialStorage } from 'herald/client';
import PusherModule from 'pusher-js';
import type { Options } from 'pusher-js';
import type * as PusherTypes from 'pusher-js/types/src/core/pusher.js';

// pusher-js is CommonJS with typings of an ES default export; under NodeNext the default import is the class.
const Pusher = PusherModule as unknown as new (key: string, options: Options) => PusherTypes.default;

export const PRINT_CHANNEL = 'private-print-jobs';
export const PRINT_EVENT = 'print-job.created';

export interface PrintJob {
  readonly id: number;
  readonly document: string;
  readonly copies: number;
}

export interface PrintAgentOptions {
  /** The back end's base URL, e.g. http://127.0.0.1:3000. */
  readonly backendUrl: string;
  /** A Bearer token of a user with the printer role. */
  readonly token: string;
  /** Where printed jobs are written, one file per job. */
  readonly outDir: string;
  /** Where the last serial seen is kept between runs (JSON); without it, each start catches up from the back end. */
  readonly stateFile?: string;
  readonly log?: (message: string) => void;
}

class BackendError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PrintAgent {
  private client: PusherTypes.default | null = null;
  /** Jobs are printed one at a time, in the order they were heard of. */
  private queue: Promise<void> = Promise.resolve();
  private readonly log: (message: string) => void;

  constructor(private readonly options: PrintAgentOptions) {
    this.log = options.log ?? ((message) => console.log(message));
  }

  async start(): Promise<void> {
    await mkdir(this.options.outDir, { recursive: true });
    const config = await this.call<{ key: string; wsHost: string | null; wsPort: number }>('GET', '/api/config');
    const client = new Pusher(config.key, {
      cluster: 'mt1',
      wsHost: config.wsHost ?? new URL(this.options.backendUrl).hostname,
      wsPort: config.wsPort,
      forceTLS: false,
      enabledTransports: ['ws'],
      enableStats: false,
      channelAuthorization: {
        endpoint: `${this.options.backendUrl}/broadcasting/auth`,
        transport: 'ajax',
        headers: { Authorization: `Bearer ${this.options.token}` },
      },
    });
    this.client = client;
    client.connection.bind('state_change', ({ current }: { current: string }) => this.log(`connection ${current}`));
    const storage = this.options.stateFile === undefined ? undefined : fileStorage(this.options.stateFile);
    const recovery = attachRecovery(client, {
      storage,
      onResumed: (_channel, replayed) => this.log(`resumed: ${replayed} job event(s) missed while away`),
      onResumeFailed: (_channel, reason) => {
        this.log(`could not resume (${reason})`);
        void this.catchUp();
      },
    });
    const channel = client.subscribe(PRINT_CHANNEL);
    channel.bind(PRINT_EVENT, ({ job }: { job: PrintJob }) => this.enqueue(job));
    let first = true;
    channel.bind('pusher:subscription_succeeded', () => {
      this.log('listening for print jobs');
      // After a reconnect Herald resumes (or says it cannot, and we catch up then). At start there is
      // nothing to resume from unless an earlier run left a serial.
      if (first && recovery.lastSerial(PRINT_CHANNEL) === null) void this.catchUp();
      first = false;
    });
    channel.bind('pusher:subscription_error', (error: { status?: number }) => this.log(`cannot listen for print jobs (${error.status ?? 'error'})`));
  }

  /** Finishes the job being printed, then disconnects. */
  async stop(): Promise<void> {
    this.client?.disconnect();
    this.client = null;
    await this.queue;
  }

  private async catchUp(): Promise<void> {
    try {
      const waiting = await this.call<PrintJob[]>('GET', '/api/print-jobs/claimable');
      if (waiting.length > 0) this.log(`catching up on ${waiting.length} waiting job(s)`);
      for (const job of waiting) this.enqueue(job);
    } catch (err) {
      this.log(`could not fetch waiting jobs: ${(err as Error).message}`);
    }
  }

  private enqueue(job: PrintJob): void {
    this.queue = this.queue.then(() => this.print(job)).catch((err: Error) => this.log(`job ${job.id}: ${err.message}`));
  }

  private async print(job: PrintJob): Promise<void> {
    try {
      await this.call('POST', `/api/print-jobs/${job.id}/claim`);
    } catch (err) {
      // Already printed (or being printed): an event and a catch-up both named it.
      if (err instanceof BackendError && err.status === 409) return;
      throw err;
    }
    if (job.document.trim() === '') {
      await this.call('POST', `/api/print-jobs/${job.id}/fail`, { reason: 'nothing to print' });
      this.log(`failed job ${job.id}: nothing to print`);
      return;
    }
    const copies = Array.from({ length: Math.max(1, job.copies) }, () => job.document).join('\n\f\n');
    await writeFile(join(this.options.outDir, `job-${job.id}.txt`), `${copies}\n`);
    await this.call('POST', `/api/print-jobs/${job.id}/complete`);
    this.log(`printed job ${job.id}`);
  }

  private async call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.options.backendUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const payload = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new BackendError(response.status, `${method} ${path}: ${response.status} ${payload.error ?? ''}`);
    return payload;
  }
}

/** Serials in a small JSON file, written whole (through a temporary file) each time one moves on. */
function fileStorage(path: string): SerialStorage {
  let serials: Record<string, string> = {};
  try {
    serials = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    // No state yet (first run) or unreadable: start without, and catch up from the back end.
  }
  let writing: Promise<void> = Promise.resolve();
  return {
    get: (channel) => serials[channel],
    set: (channel, serial) => {
      serials = { ...serials, [channel]: serial };
      const snapshot = JSON.stringify(serials);
      writing = writing
        .then(async () => {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(`${path}.tmp`, snapshot);
          await rename(`${path}.tmp`, path);
        })
        .catch(() => {});
    },
  };
}

/** Asks the back end for a token (the demo's stand-in for a device pairing step). */
export async function requestToken(backendUrl: string, username: string): Promise<string> {
  const response = await fetch(`${backendUrl}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!response.ok) throw new Error(`could not get a token for ${username}: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
