// Print jobs: created by staff, printed by the print agent, which claims each
// one before printing so that a job it hears about twice (an event and its
// catch-up after a reconnect) is printed once. A claim is a lease: a job whose
// agent died while printing it becomes claimable again, so it is not lost.
import { conflict, notFound } from '../http/http-error.js';

export type PrintJobStatus = 'pending' | 'printing' | 'completed' | 'failed';

export interface PrintJob {
  readonly id: number;
  readonly document: string;
  readonly copies: number;
  status: PrintJobStatus;
  readonly createdAt: string;
  claimedAt?: string;
  finishedAt?: string;
  failureReason?: string;
}

/** How long an agent has to finish a job it claimed before another claim may take it. */
export const PRINT_LEASE_MS = 30_000;

export class PrintJobs {
  private readonly jobs = new Map<number, PrintJob>();
  private nextId = 1;

  constructor(private readonly leaseMs = PRINT_LEASE_MS) {}

  create(document: string, copies: number): PrintJob {
    const job: PrintJob = { id: this.nextId++, document, copies, status: 'pending', createdAt: new Date().toISOString() };
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: number): PrintJob | undefined {
    return this.jobs.get(id);
  }

  list(status?: PrintJobStatus): PrintJob[] {
    return [...this.jobs.values()].filter((j) => status === undefined || j.status === status);
  }

  /** Jobs an agent should print now: pending ones and those whose lease ran out. */
  claimable(now = Date.now()): PrintJob[] {
    return this.list().filter((j) => this.isClaimable(j, now));
  }

  claim(id: number, now = Date.now()): PrintJob {
    const job = this.require(id);
    if (!this.isClaimable(job, now)) throw conflict(`job ${id} is ${job.status}`);
    job.status = 'printing';
    job.claimedAt = new Date(now).toISOString();
    return job;
  }

  private isClaimable(job: PrintJob, now: number): boolean {
    if (job.status === 'pending') return true;
    return job.status === 'printing' && job.claimedAt !== undefined && now - Date.parse(job.claimedAt) > this.leaseMs;
  }

  finish(id: number, outcome: { failureReason?: string } = {}): PrintJob {
    const job = this.require(id);
    if (job.status !== 'printing') throw conflict(`job ${id} is ${job.status}, not printing`);
    job.status = outcome.failureReason === undefined ? 'completed' : 'failed';
    if (outcome.failureReason !== undefined) job.failureReason = outcome.failureReason;
    job.finishedAt = new Date().toISOString();
    return job;
  }

  private require(id: number): PrintJob {
    const job = this.jobs.get(id);
    if (!job) throw notFound(`print job ${id}`);
    return job;
  }
}
