// Flow 5 (trade matches): placing limit orders on the tiny exchange.
import type { DemoContext } from '../context.js';
import type { Side } from '../domain/matching.js';
import type { TraderView } from '../events.js';
import { numberField, readBody, requireUser, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';

/** Enough history for a dashboard, and an event payload well under Herald's size limit. */
const HISTORY_SHOWN = 20;

export function registerTradeRoutes(r: Routes, ctx: DemoContext): void {
  const viewOf = (userId: string): TraderView => ({
    balances: { ...ctx.exchange.balances(userId) },
    openOrders: ctx.exchange.openOrders(userId),
    history: ctx.exchange.history(userId).slice(0, HISTORY_SHOWN),
  });

  r.get('/api/trade/me', ({ req }) => viewOf(requireUser(req, ctx.users).id));

  r.post('/api/trade/orders', async ({ req }) => {
    const user = requireUser(req, ctx.users);
    const body = await readBody(req);
    const { order, trades } = ctx.exchange.place(user.id, stringField(body, 'side') as Side, numberField(body, 'price'), numberField(body, 'quantity'));
    await ctx.events.tradesMatched(trades, viewOf);
    return { order, trades, ...viewOf(user.id) };
  });
}
