// Flow 2, the customer's side: order from a vendor, then hear each status
// change (accepted, cancelled, ready for pickup) on the customer's own
// private channel, as a toast and in the list.
import { api, requireLogin } from './lib/api.js';
import { connectEcho, joinOnline, showConnection } from './lib/echo.js';
import { byId, el, header, money, showError, statusBadge, time, toast } from './lib/ui.js';

interface MenuItem {
  readonly sku: string;
  readonly name: string;
  readonly price: number;
  readonly stock: number;
}
interface Vendor {
  readonly id: string;
  readonly name: string;
  readonly menu: MenuItem[];
}
interface Order {
  readonly id: number;
  readonly vendorName: string;
  readonly item: string;
  readonly total: number;
  readonly status: string;
  readonly updatedAt: string;
}

const STATUS_MESSAGES: Record<string, string> = {
  accepted: 'was accepted',
  cancelled: 'was cancelled',
  ready_for_pickup: 'is ready for pickup',
};

const myOrders = new Map<number, Order>();

function renderOrders(): void {
  const rows = [...myOrders.values()].sort((a, b) => b.id - a.id);
  byId('my-orders').replaceChildren(
    ...rows.map((o) =>
      el('tr', { 'data-testid': `my-order-${o.id}` }, el('td', {}, `#${o.id}`), el('td', {}, `${o.item} · ${o.vendorName}`), el('td', { 'data-testid': 'status' }, statusBadge(o.status)), el('td', {}, time(o.updatedAt))),
    ),
  );
}

function vendorCard(vendor: Vendor): HTMLElement {
  return el(
    'section',
    {},
    el('h2', {}, vendor.name),
    el(
      'table',
      {},
      el(
        'tbody',
        {},
        ...vendor.menu.map((item) => {
          const order = el('button', { type: 'button', class: 'primary', 'data-testid': `order-${item.sku}` }, 'Order');
          order.addEventListener('click', () => {
            api<Order>('/api/orders', { body: { vendorId: vendor.id, sku: item.sku } })
              .then((placed) => {
                myOrders.set(placed.id, placed);
                renderOrders();
                toast(`Order #${placed.id} placed with ${vendor.name}`);
              })
              .catch(showError);
          });
          return el('tr', {}, el('td', {}, item.name), el('td', {}, money(item.price)), el('td', {}, order));
        }),
      ),
    ),
  );
}

async function main(): Promise<void> {
  const me = await requireLogin();
  const [vendors, orders] = await Promise.all([api<Vendor[]>('/api/vendors'), api<Order[]>('/api/my/orders')]);
  for (const order of orders) myOrders.set(order.id, order);
  const live = el('span', { class: 'pill', 'data-testid': 'live' }, 'Connecting…');
  document.body.append(
    header('Shop', `Logged in as ${me.name}`),
    el(
      'main',
      {},
      ...vendors.map(vendorCard),
      el('section', { class: 'wide' }, el('h2', {}, 'My orders', live), el('table', {}, el('tbody', { id: 'my-orders' }))),
    ),
  );
  renderOrders();

  const echo = await connectEcho();
  showConnection(echo, live);
  joinOnline(echo);
  echo.private(`customer-orders.${me.id}`).listen('OrderStatusChanged', ({ order }: { order: Order }) => {
    myOrders.set(order.id, order);
    renderOrders();
    toast(`Order #${order.id} ${STATUS_MESSAGES[order.status] ?? order.status}`, order.status === 'cancelled' ? 'warning' : 'success');
  });
}

main().catch(showError);
