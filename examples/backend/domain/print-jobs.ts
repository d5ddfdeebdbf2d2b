// Print jobs: created by staff, printed by the print agent, which claims each
// one before printing so that a job it hears about twice (an event and its
// catch-up after a reconnect) is printed once.
import { conflict, notFound } from '../http/http-error.js';

export type PrintJobStatus = 'pending' | 'printing' | 'completed' | 'failed';

export interface PrintJob {
  readonly id: number;
  readonly document: string;
  readonly copies: number;
  status: PrintJobStatus;
  readonly createdAt: string;
  finishedAt?: string;
  failureReason?: string;
}

export class PrintJobs {
  private readonly jobs = new Map<number, PrintJob>();
  private nextId = 1;

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

  claim(id: number): PrintJob {
    const job = this.require(id);
    if (job.status !== 'pending') throw conflict(`job ${id} is ${job.status}`);
    job.status = 'printing';
    return job;
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
