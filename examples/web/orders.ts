// Flow 1, the live order board: the public `orders` channel while Herald is
// reachable ("Real-time"), the back end's REST endpoint every few seconds
// while it is not ("Polling"), and back to real time when Herald returns.
import { api } from './lib/api.js';
import { connectEcho } from './lib/echo.js';
import { byId, el, header, money, showError, statusBadge, time } from './lib/ui.js';

interface BoardOrder {
  readonly id: number;
  readonly vendorName: string;
  readonly item: string;
  readonly total: number;
  readonly status: string;
  readonly updatedAt: string;
}

/** How often to poll while Herald is unreachable; `?poll=ms` overrides it. */
const POLL_MS = Number(new URLSearchParams(location.search).get('poll') ?? 5000);

const orders = new Map<number, BoardOrder>();

function render(freshId?: number): void {
  const rows = [...orders.values()].sort((a, b) => b.id - a.id);
  byId('orders').replaceChildren(
    ...rows.map((o) =>
      el(
        'tr',
        { 'data-testid': `order-${o.id}`, ...(o.id === freshId ? { class: 'fresh' } : {}) },
        el('td', {}, `#${o.id}`),
        el('td', {}, o.vendorName),
        el('td', {}, o.item),
        el('td', {}, money(o.total)),
        el('td', { 'data-testid': 'status' }, statusBadge(o.status)),
        el('td', {}, time(o.updatedAt)),
      ),
    ),
  );
  byId('empty').hidden = rows.length > 0;
}

function upsert(order: BoardOrder): void {
  orders.set(order.id, order);
  render(order.id);
}

async function refresh(): Promise<void> {
  const latest = await api<BoardOrder[]>('/api/orders');
  for (const order of latest) orders.set(order.id, order);
  render();
}

async function main(): Promise<void> {
  const mode = el('span', { class: 'pill', 'data-testid': 'mode' }, 'Connecting…');
  document.body.append(
    header('Live order board'),
    el(
      'main',
      {},
      el(
        'section',
        { class: 'wide' },
        el('h2', {}, 'Orders', mode),
        el('table', {}, el('thead', {}, el('tr', {}, ...['Order', 'Vendor', 'Item', 'Total', 'Status', 'Updated'].map((h) => el('th', {}, h)))), el('tbody', { id: 'orders' })),
        el('p', { id: 'empty', class: 'empty' }, 'No orders yet. Place one from the Shop.'),
      ),
    ),
  );
  await refresh();

  const echo = await connectEcho();
  echo
    .channel('orders')
    .listen('.order.created', upsert)
    .listen('.order.updated', upsert);

  let poller: ReturnType<typeof setInterval> | null = null;
  let everConnected = false;
  echo.connector.onConnectionChange((status) => {
    const realtime = status === 'connected';
    everConnected ||= realtime;
    mode.textContent = realtime ? 'Real-time' : everConnected || status !== 'connecting' ? 'Polling' : 'Connecting…';
    mode.dataset.state = realtime ? 'on' : 'off';
    if (realtime && poller !== null) {
      clearInterval(poller);
      poller = null;
      // Whatever happened while we were away, once, then events again.
      refresh().catch(showError);
    } else if (!realtime && poller === null) {
      poller = setInterval(() => refresh().catch(() => {}), POLL_MS);
    }
  });
}

main().catch(showError);
