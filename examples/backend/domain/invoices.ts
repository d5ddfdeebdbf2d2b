// Invoices and the payments made against them.
import { badRequest, conflict, notFound } from '../http/http-error.js';

export type InvoiceStatus = 'open' | 'partially_paid' | 'paid';

export interface Payment {
  /** In cents. */
  readonly amount: number;
  readonly at: string;
}

export interface Invoice {
  readonly id: number;
  readonly userId: string;
  title: string;
  /** In cents. */
  readonly amount: number;
  paid: number;
  status: InvoiceStatus;
  readonly payments: Payment[];
  readonly createdAt: string;
  updatedAt: string;
}

export interface PaymentOutcome {
  readonly invoice: Invoice;
  readonly payment: Payment;
  /** The status before the payment when the payment changed it. */
  readonly previousStatus: InvoiceStatus | null;
}

export class Invoices {
  private readonly invoices = new Map<number, Invoice>();
  private nextId = 1001;

  get(id: number): Invoice | undefined {
    return this.invoices.get(id);
  }

  forUser(userId: string): Invoice[] {
    return [...this.invoices.values()].filter((i) => i.userId === userId).reverse();
  }

  create(userId: string, title: string, amount: number): Invoice {
    if (!Number.isInteger(amount) || amount <= 0) throw badRequest('amount must be a positive number of cents');
    const now = new Date().toISOString();
    const invoice: Invoice = { id: this.nextId++, userId, title, amount, paid: 0, status: 'open', payments: [], createdAt: now, updatedAt: now };
    this.invoices.set(invoice.id, invoice);
    return invoice;
  }

  pay(id: number, amount: number): PaymentOutcome {
    const invoice = this.invoices.get(id);
    if (!invoice) throw notFound(`invoice ${id}`);
    if (invoice.status === 'paid') throw conflict('this invoice is already paid');
    if (!Number.isInteger(amount) || amount <= 0) throw badRequest('amount must be a positive number of cents');
    const payment: Payment = { amount: Math.min(amount, invoice.amount - invoice.paid), at: new Date().toISOString() };
    const previous = invoice.status;
    invoice.payments.push(payment);
    invoice.paid += payment.amount;
    invoice.status = invoice.paid >= invoice.amount ? 'paid' : 'partially_paid';
    invoice.updatedAt = payment.at;
    return { invoice, payment, previousStatus: previous === invoice.status ? null : previous };
  }
}
