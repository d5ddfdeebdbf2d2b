// Everything the routes share: the in-memory state of the demo app and the
// events it broadcasts.
import type { Broadcaster } from './broadcaster.js';
import type { ChannelRule } from './channels.js';
import type { Inventory } from './domain/inventory.js';
import type { Invoices } from './domain/invoices.js';
import type { Exchange } from './domain/matching.js';
import type { Orders } from './domain/orders.js';
import type { PrintJobs } from './domain/print-jobs.js';
import type { Users } from './domain/users.js';
import type { AppEvents } from './events.js';

export interface DemoContext {
  readonly users: Users;
  readonly orders: Orders;
  readonly inventory: Inventory;
  readonly invoices: Invoices;
  readonly exchange: Exchange;
  readonly printJobs: PrintJobs;
  readonly channelRules: readonly ChannelRule[];
  readonly broadcaster: Broadcaster;
  readonly events: AppEvents;
  /** Where the browser finds Herald; its host defaults to the page's own. */
  readonly publicHerald: { readonly host: string | null; readonly port: number };
}
