// Flow 3 (admin monitoring): stock levels and system alerts, for admins only.
import type { DemoContext } from '../context.js';
import { hasRole, type User } from '../domain/users.js';
import type { SystemAlertLevel } from '../events.js';
import { badRequest, forbidden, notFound } from '../http/http-error.js';
import { numberField, readBody, requireUser, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';
import type { IncomingMessage } from 'node:http';

const ALERT_LEVELS: readonly SystemAlertLevel[] = ['info', 'warning', 'critical'];

function requireAdmin(req: IncomingMessage, ctx: DemoContext): User {
  const user = requireUser(req, ctx.users);
  if (!hasRole(user, 'admin')) throw forbidden('admins only');
  return user;
}

export function registerAdminRoutes(r: Routes, ctx: DemoContext): void {
  r.get('/api/admin/overview', ({ req }) => {
    requireAdmin(req, ctx);
    return { orders: ctx.orders.list().slice(0, 20), inventory: ctx.inventory.list() };
  });

  r.post('/api/inventory/:sku', async ({ req, params }) => {
    requireAdmin(req, ctx);
    const sku = params.sku ?? '';
    if (!ctx.inventory.get(sku)) throw notFound(`item ${sku}`);
    const alert = ctx.inventory.setQuantity(sku, numberField(await readBody(req), 'quantity'));
    if (alert) await ctx.events.stockChanged(alert);
    return { item: ctx.inventory.get(sku), alert };
  });

  r.post('/api/system/alerts', async ({ req }) => {
    const admin = requireAdmin(req, ctx);
    const body = await readBody(req);
    const level = stringField(body, 'level') as SystemAlertLevel;
    if (!ALERT_LEVELS.includes(level)) throw badRequest(`level must be one of ${ALERT_LEVELS.join(', ')}`);
    await ctx.events.systemAlert(level, stringField(body, 'message'), admin);
    return { ok: true };
  });
}
