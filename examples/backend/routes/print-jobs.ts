// The print agent's side of the API: jobs to print, claimed, then completed or failed.
import type { IncomingMessage } from 'node:http';
import type { DemoContext } from '../context.js';
import type { PrintJobStatus } from '../domain/print-jobs.js';
import { hasRole } from '../domain/users.js';
import { forbidden, notFound } from '../http/http-error.js';
import { idParam, numberField, readBody, requireUser, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';

function requirePrinter(req: IncomingMessage, ctx: DemoContext): void {
  if (!hasRole(requireUser(req, ctx.users), 'printer')) throw forbidden('print agents only');
}

export function registerPrintJobRoutes(r: Routes, ctx: DemoContext): void {
  // Any logged-in staff member or customer may print (a receipt, an order ticket).
  r.post('/api/print-jobs', async ({ req }) => {
    requireUser(req, ctx.users);
    const body = await readBody(req);
    const copies = body.copies === undefined ? 1 : numberField(body, 'copies');
    const job = ctx.printJobs.create(typeof body.document === 'string' ? body.document : '', copies);
    await ctx.events.printJobCreated(job);
    return job;
  });

  r.get('/api/print-jobs', ({ req, query }) => {
    requireUser(req, ctx.users);
    return ctx.printJobs.list((query.get('status') ?? undefined) as PrintJobStatus | undefined);
  });

  r.get('/api/print-jobs/:id', ({ req, params }) => {
    requireUser(req, ctx.users);
    const job = ctx.printJobs.get(idParam(params));
    if (!job) throw notFound('print job');
    return job;
  });

  // What an agent catches up with when it (re)connects.
  r.get('/api/print-jobs/claimable', ({ req }) => {
    requirePrinter(req, ctx);
    return ctx.printJobs.claimable();
  });

  r.post('/api/print-jobs/:id/claim', ({ req, params }) => {
    requirePrinter(req, ctx);
    return ctx.printJobs.claim(idParam(params));
  });

  r.post('/api/print-jobs/:id/complete', ({ req, params }) => {
    requirePrinter(req, ctx);
    return ctx.printJobs.finish(idParam(params));
  });

  r.post('/api/print-jobs/:id/fail', async ({ req, params }) => {
    requirePrinter(req, ctx);
    return ctx.printJobs.finish(idParam(params), { failureReason: stringField(await readBody(req), 'reason') });
  });
}
