// The demo back end: in-memory state, the JSON API, /broadcasting/auth and
// the pages, on one HTTP server. Events go to Herald through the `pusher` SDK.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import { Broadcaster, type HeraldConnection } from './broadcaster.js';
import { channelRules } from './channels.js';
import type { DemoContext } from './context.js';
import { Inventory } from './domain/inventory.js';
import { Invoices } from './domain/invoices.js';
import { Exchange } from './domain/matching.js';
import { Orders } from './domain/orders.js';
import { PrintJobs } from './domain/print-jobs.js';
import { Users } from './domain/users.js';
import { AppEvents } from './events.js';
import { sendJson } from './http/request.js';
import { routes } from './http/routes.js';
import { bundlePages, servePage } from './pages.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerInvoiceRoutes } from './routes/invoices.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerPrintJobRoutes } from './routes/print-jobs.js';
import { registerTradeRoutes } from './routes/trade.js';

export interface DemoBackendOptions {
  readonly herald: HeraldConnection;
  /** Where browsers reach Herald when it is not where the back end reaches it; the page's own host by default. */
  readonly publicHeraldHost?: string;
  /** The port browsers reach Herald on when it differs from the back end's (a proxy in front of it). */
  readonly publicHeraldPort?: number;
  readonly host?: string;
  /** 0 for a free port. */
  readonly port?: number;
  readonly log?: (message: string) => void;
}

export interface DemoBackend {
  readonly context: DemoContext;
  /** Bundles the pages, then listens; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** The invoices the demo starts with, so the invoice pages have something to show. */
function seedInvoices(invoices: Invoices): void {
  invoices.create('1', 'March subscription', 12_000);
  invoices.create('2', 'March subscription', 9_000);
}

export function createDemoBackend(options: DemoBackendOptions): DemoBackend {
  const log = options.log ?? ((message: string) => console.log(`[demo] ${message}`));
  const broadcaster = new Broadcaster(options.herald, log);
  const inventory = new Inventory();
  const invoices = new Invoices();
  seedInvoices(invoices);
  const context: DemoContext = {
    users: new Users(),
    inventory,
    orders: new Orders(inventory),
    invoices,
    exchange: new Exchange(),
    printJobs: new PrintJobs(),
    channelRules: channelRules(invoices),
    broadcaster,
    events: new AppEvents(broadcaster),
    publicHerald: { host: options.publicHeraldHost ?? null, port: options.publicHeraldPort ?? options.herald.port },
  };

  let bundles: Awaited<ReturnType<typeof bundlePages>> = new Map();
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const r = routes(router, (err) => log(`error: ${err.stack ?? err.message}`));
  registerAuthRoutes(r, context);
  registerOrderRoutes(r, context);
  registerAdminRoutes(r, context);
  registerInvoiceRoutes(r, context);
  registerTradeRoutes(r, context);
  registerPrintJobRoutes(r, context);

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith('/api/') || path.startsWith('/broadcasting/')) {
      if (router.find(req.method as 'GET', path)) return router.lookup(req, res);
      return sendJson(res, 404, { error: 'not found' });
    }
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' });
    void servePage(path, bundles, res).then((served) => {
      if (!served) sendJson(res, 404, { error: 'not found' });
    });
  });

  return {
    context,
    listen: async () => {
      bundles = await bundlePages();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
