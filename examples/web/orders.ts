// Flow 1, the live order board: the public `orders` channel, resumed after
// every reconnect with herald/client. When Herald or the network comes back,
// the orders published meanwhile arrive from Herald's history ("recovered N
// events"); only when Herald cannot resume (the gap is older than the
// history it keeps, or it restarted without it) does the board read the back
// end's REST endpoint again.
import { attachRecovery } from 'herald/client';
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

const ORDERS_CHANNEL = 'orders';

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
  const recovered = el('p', { class: 'empty', 'data-testid': 'recovered', hidden: '' });
  byId('orders').closest('section')!.append(recovered);
  const say = (text: string) => {
    recovered.textContent = text;
    recovered.hidden = false;
  };
  await refresh();

  const echo = await connectEcho();
  // Before the first subscription, so that its events' serials are kept from the start.
  attachRecovery(echo, {
    onResumed: (channel, replayed) => {
      if (channel === ORDERS_CHANNEL) say(`Back in real time: recovered ${replayed} event${replayed === 1 ? '' : 's'} missed while away.`);
    },
    onResumeFailed: (channel, reason) => {
      if (channel !== ORDERS_CHANNEL) return;
      // Whatever happened while we were away cannot be replayed: read it once from the back end.
      refresh()
        .then(() => say(`Back in real time: reloaded the orders (Herald could not resume: ${reason}).`))
        .catch(showError);
    },
  });
  const channel = echo
    .channel(ORDERS_CHANNEL)
    .listen('.order.created', upsert)
    .listen('.order.updated', upsert);

  // Real-time means this connection hears the channel: connected is not enough,
  // an order published before Herald confirmed the subscription would not come.
  let status = 'connecting';
  let listening = false;
  let everConnected = false;
  const showMode = () => {
    const realtime = status === 'connected' && listening;
    mode.textContent = realtime ? 'Real-time' : everConnected || status !== 'connecting' ? 'Offline, will catch up' : 'Connecting…';
    mode.dataset.state = realtime ? 'on' : 'off';
  };
  channel.subscribed(() => {
    listening = true;
    showMode();
  });
  echo.connector.onConnectionChange((next) => {
    status = next;
    everConnected ||= next === 'connected';
    // A new connection subscribes again: until Herald confirms it, events can be missed.
    if (next !== 'connected') listening = false;
    showMode();
  });
}

main().catch(showError);
