// The app's broadcast events: which channels each goes to, under which name,
// with which payload (what a Laravel event's broadcastOn / broadcastAs /
// broadcastWith say). Routes call these after the change is made.
import type { Broadcaster } from './broadcaster.js';
import type { StockAlert } from './domain/inventory.js';
import type { Invoice, PaymentOutcome } from './domain/invoices.js';
import type { Balances, Trade, TradeOrder } from './domain/matching.js';
import { boardView, type Order } from './domain/orders.js';
import type { PrintJob } from './domain/print-jobs.js';
import type { User } from './domain/users.js';

/** Laravel broadcasts an event under its class name; Echo's default namespace (App.Events) expects that. */
const laravelEvent = (name: string) => `App\\Events\\${name}`;

export const channels = {
  orderBoard: 'orders',
  vendorOrders: (vendorId: string) => `private-vendor-orders.${vendorId}`,
  customerOrders: (userId: string) => `private-customer-orders.${userId}`,
  adminOrders: 'private-admin-orders',
  adminPayments: 'private-admin-payments',
  adminInventory: 'private-admin-inventory',
  adminSystem: 'private-admin-system',
  invoice: (invoiceId: number) => `private-invoice.${invoiceId}`,
  userInvoices: (userId: string) => `private-user.${userId}.invoices`,
  user: (userId: string) => `private-user.${userId}`,
  printJobs: 'private-print-jobs',
} as const;

/**
 * The channels whose recent events Herald keeps, so that the order board and
 * the print agent resume after a reconnect (herald/client) instead of
 * refetching: the app's `history` setting in Herald's config.
 */
export const historyRules = [
  { channels: channels.orderBoard, maxEvents: 200, maxAgeSeconds: 600 },
  { channels: channels.printJobs, maxEvents: 500, maxAgeSeconds: 3600 },
] as const;

export const eventNames = {
  orderCreated: 'order.created',
  orderUpdated: 'order.updated',
  orderReceived: laravelEvent('OrderReceived'),
  orderStatusChanged: laravelEvent('OrderStatusChanged'),
  newOrder: laravelEvent('NewOrder'),
  paymentReceived: laravelEvent('PaymentReceived'),
  stockAlert: laravelEvent('StockAlert'),
  systemAlert: laravelEvent('SystemAlert'),
  invoiceCreated: 'invoice.created',
  invoicePaymentReceived: 'payment.received',
  invoiceStatusChanged: 'invoice.status.changed',
  invoiceUpdated: 'invoice.updated',
  orderMatched: 'order.matched',
  printJobCreated: 'print-job.created',
} as const;

/** What every invoice event carries: enough for a notification, and the id to refresh from. */
export interface InvoiceNotice {
  readonly title: string;
  readonly body: string;
  readonly type: 'info' | 'success' | 'warning';
  readonly invoiceId: number;
  readonly status?: Invoice['status'];
  readonly sentAt: string;
}

export type SystemAlertLevel = 'info' | 'warning' | 'critical';

const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export class AppEvents {
  constructor(private readonly broadcaster: Broadcaster) {}

  async orderPlaced(order: Order, stockAlert: StockAlert | null): Promise<void> {
    await Promise.all([
      this.broadcaster.send(channels.orderBoard, eventNames.orderCreated, boardView(order)),
      this.broadcaster.send(channels.vendorOrders(order.vendorId), eventNames.orderReceived, { order }),
      this.broadcaster.send(channels.adminOrders, eventNames.newOrder, { order }),
      stockAlert ? this.stockChanged(stockAlert) : null,
    ]);
  }

  async orderStatusChanged(order: Order): Promise<void> {
    await Promise.all([
      this.broadcaster.send(channels.orderBoard, eventNames.orderUpdated, boardView(order)),
      this.broadcaster.send([channels.vendorOrders(order.vendorId), channels.customerOrders(order.customerId)], eventNames.orderStatusChanged, {
        order,
        status: order.status,
      }),
    ]);
  }

  async stockChanged(alert: StockAlert): Promise<void> {
    await this.broadcaster.send(channels.adminInventory, eventNames.stockAlert, alert);
  }

  async systemAlert(level: SystemAlertLevel, message: string, raisedBy: User): Promise<void> {
    await this.broadcaster.send(channels.adminSystem, eventNames.systemAlert, { level, message, raisedBy: raisedBy.name, at: new Date().toISOString() });
  }

  async invoiceCreated(invoice: Invoice): Promise<void> {
    await this.broadcaster.send(channels.userInvoices(invoice.userId), eventNames.invoiceCreated, {
      title: 'New invoice',
      body: `${invoice.title}: ${dollars(invoice.amount)}`,
      type: 'info',
      invoiceId: invoice.id,
      status: invoice.status,
      sentAt: new Date().toISOString(),
    } satisfies InvoiceNotice);
  }

  async invoicePaid({ invoice, payment, previousStatus }: PaymentOutcome, payer: User): Promise<void> {
    const both = [channels.invoice(invoice.id), channels.userInvoices(invoice.userId)];
    const sentAt = new Date().toISOString();
    const notice = (title: string, body: string, type: InvoiceNotice['type']): InvoiceNotice => ({
      title,
      body,
      type,
      invoiceId: invoice.id,
      status: invoice.status,
      sentAt,
    });
    // In the order a listener expects them: the payment, what it changed, the invoice as it now is.
    await this.broadcaster.send(both, eventNames.invoicePaymentReceived, notice('Payment received', `${dollars(payment.amount)} paid on invoice #${invoice.id}`, 'success'));
    if (previousStatus !== null) {
      await this.broadcaster.send(
        both,
        eventNames.invoiceStatusChanged,
        notice('Invoice status changed', `Invoice #${invoice.id} is now ${invoice.status.replace('_', ' ')}`, invoice.status === 'paid' ? 'success' : 'info'),
      );
    }
    await this.broadcaster.send(both, eventNames.invoiceUpdated, notice('Invoice updated', `${dollars(invoice.amount - invoice.paid)} left to pay`, 'info'));
    await this.broadcaster.send(channels.adminPayments, eventNames.paymentReceived, {
      invoiceId: invoice.id,
      amount: payment.amount,
      payer: payer.name,
      at: payment.at,
    });
  }

  /** Each side of a trade hears about it on its own channel, with its own balances and orders. */
  async tradesMatched(trades: readonly Trade[], viewOf: (userId: string) => TraderView): Promise<void> {
    await Promise.all(
      trades.flatMap((trade) =>
        (['buy', 'sell'] as const).map((side) => {
          const userId = side === 'buy' ? trade.buyerId : trade.sellerId;
          return this.broadcaster.send(channels.user(userId), eventNames.orderMatched, { trade, side, ...viewOf(userId) });
        }),
      ),
    );
  }

  async printJobCreated(job: PrintJob): Promise<void> {
    await this.broadcaster.send(channels.printJobs, eventNames.printJobCreated, { job });
  }
}

/** A trader's dashboard: what the order.matched event carries and GET /api/trade/me answers. */
export interface TraderView {
  readonly balances: Balances;
  readonly openOrders: TradeOrder[];
  readonly history: Trade[];
}
