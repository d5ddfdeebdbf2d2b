// Flow 1 (order board) and flow 2 (vendor inbox): placing orders and moving them on.
import type { DemoContext } from '../context.js';
import { boardView, VENDOR_STATUSES, type OrderStatus } from '../domain/orders.js';
import { hasRole } from '../domain/users.js';
import { badRequest, forbidden } from '../http/http-error.js';
import { idParam, readBody, requireUser, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';

const isVendorStatus = (status: string): status is (typeof VENDOR_STATUSES)[number] => (VENDOR_STATUSES as readonly string[]).includes(status);

export function registerOrderRoutes(r: Routes, ctx: DemoContext): void {
  // The order board's polling fallback reads this while Herald is unreachable.
  r.get('/api/orders', () => ctx.orders.list().map(boardView));

  r.get('/api/vendors', () => ctx.orders.vendors.map((v) => ({ ...v, menu: v.menu.map((m) => ({ ...m, stock: ctx.inventory.get(m.sku)?.quantity ?? 0 })) })));

  r.get('/api/my/orders', ({ req }) => ctx.orders.forCustomer(requireUser(req, ctx.users).id));

  r.post('/api/orders', async ({ req }) => {
    const customer = requireUser(req, ctx.users);
    if (!hasRole(customer, 'customer')) throw forbidden('only customers place orders');
    const body = await readBody(req);
    const { order, stockAlert } = ctx.orders.place(customer, stringField(body, 'vendorId'), stringField(body, 'sku'));
    await ctx.events.orderPlaced(order, stockAlert);
    return order;
  });

  r.get('/api/vendor/orders', ({ req }) => {
    const user = requireUser(req, ctx.users);
    if (user.vendorId === undefined) throw forbidden('vendor staff only');
    return ctx.orders.forVendor(user.vendorId);
  });

  r.post('/api/vendor/orders/:id/status', async ({ req, params }) => {
    const user = requireUser(req, ctx.users);
    if (user.vendorId === undefined) throw forbidden('vendor staff only');
    const status = stringField(await readBody(req), 'status');
    if (!isVendorStatus(status)) throw badRequest(`status must be one of ${VENDOR_STATUSES.join(', ')}`);
    const order = ctx.orders.setStatus(user.vendorId, idParam(params), status satisfies OrderStatus);
    await ctx.events.orderStatusChanged(order);
    return order;
  });
}
