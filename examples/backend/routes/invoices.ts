// Flow 4 (invoice payments): a customer's invoices, issued by an admin and paid by the customer.
import type { DemoContext } from '../context.js';
import { hasRole } from '../domain/users.js';
import { forbidden, notFound } from '../http/http-error.js';
import { idParam, numberField, readBody, requireUser, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';

export function registerInvoiceRoutes(r: Routes, ctx: DemoContext): void {
  r.get('/api/invoices', ({ req }) => ctx.invoices.forUser(requireUser(req, ctx.users).id));

  r.get('/api/invoices/:id', ({ req, params }) => {
    const user = requireUser(req, ctx.users);
    const invoice = ctx.invoices.get(idParam(params));
    // Someone else's invoice is answered like a missing one: its existence is not theirs to know.
    if (!invoice || (invoice.userId !== user.id && !hasRole(user, 'admin'))) throw notFound('invoice');
    return invoice;
  });

  r.post('/api/invoices', async ({ req }) => {
    const user = requireUser(req, ctx.users);
    if (!hasRole(user, 'admin')) throw forbidden('admins only');
    const body = await readBody(req);
    const customer = ctx.users.get(stringField(body, 'userId'));
    if (!customer) throw notFound('user');
    const invoice = ctx.invoices.create(customer.id, stringField(body, 'title'), numberField(body, 'amount'));
    await ctx.events.invoiceCreated(invoice);
    return invoice;
  });

  // Stands in for the payment provider's confirmation reaching the back end.
  r.post('/api/invoices/:id/payments', async ({ req, params }) => {
    const user = requireUser(req, ctx.users);
    const invoice = ctx.invoices.get(idParam(params));
    if (!invoice || invoice.userId !== user.id) throw notFound('invoice');
    const outcome = ctx.invoices.pay(invoice.id, numberField(await readBody(req), 'amount'));
    await ctx.events.invoicePaid(outcome, user);
    return outcome.invoice;
  });
}
