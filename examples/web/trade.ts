// Flow 5, trade matches: place buy and sell orders; when one matches, the
// back end sends order.matched to private-user.{id} of the buyer and of the
// seller, each with their own balances, open orders and history.
import { api, requireLogin } from './lib/api.js';
import { connectEcho, joinOnline, showConnection } from './lib/echo.js';
import { byId, el, header, showError, time, toast } from './lib/ui.js';

interface TradeOrder {
  readonly id: number;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly quantity: number;
  readonly remaining: number;
}
interface Trade {
  readonly id: number;
  readonly buyerId: string;
  readonly price: number;
  readonly quantity: number;
  readonly at: string;
}
interface Dashboard {
  readonly balances: { USD: number; ACME: number };
  readonly openOrders: TradeOrder[];
  readonly history: Trade[];
}
interface OrderMatched extends Dashboard {
  readonly trade: Trade;
  readonly side: 'buy' | 'sell';
}

let myId = '';

function render(view: Dashboard): void {
  byId('usd').textContent = `$${view.balances.USD.toLocaleString('en-US')}`;
  byId('acme').textContent = String(view.balances.ACME);
  byId('open-orders').replaceChildren(
    ...view.openOrders.map((o) => el('tr', { 'data-testid': `open-${o.id}` }, el('td', {}, `${o.side === 'buy' ? 'Buy' : 'Sell'} ${o.remaining}/${o.quantity} ACME at $${o.price}`))),
  );
  byId('history').replaceChildren(
    ...view.history.map((t) =>
      el('tr', { 'data-testid': `trade-${t.id}` }, el('td', {}, `${t.buyerId === myId ? 'Bought' : 'Sold'} ${t.quantity} ACME at $${t.price}`), el('td', {}, time(t.at))),
    ),
  );
}

function orderForm(): HTMLElement {
  const side = el('select', { 'data-testid': 'side' }, el('option', { value: 'buy' }, 'Buy'), el('option', { value: 'sell' }, 'Sell'));
  const quantity = el('input', { type: 'number', min: '1', value: '1', style: 'width:5rem', 'data-testid': 'quantity' });
  const price = el('input', { type: 'number', min: '1', value: '100', style: 'width:6rem', 'data-testid': 'price' });
  const form = el('form', { class: 'inline' }, side, quantity, 'ACME at $', price, el('button', { type: 'submit', class: 'primary', 'data-testid': 'place' }, 'Place order'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api<Dashboard>('/api/trade/orders', { body: { side: side.value, quantity: Number(quantity.value), price: Number(price.value) } })
      .then(render)
      .catch(showError);
  });
  return form;
}

async function main(): Promise<void> {
  const me = await requireLogin();
  myId = me.id;
  const live = el('span', { class: 'pill', 'data-testid': 'live' }, 'Connecting…');
  document.body.append(
    header('Trade ACME', `Logged in as ${me.name}`),
    el(
      'main',
      {},
      el(
        'section',
        {},
        el('h2', {}, 'Balances', live),
        el('dl', { class: 'kv' }, el('dt', {}, 'USD'), el('dd', { id: 'usd', 'data-testid': 'usd' }), el('dt', {}, 'ACME'), el('dd', { id: 'acme', 'data-testid': 'acme' })),
      ),
      el('section', {}, el('h2', {}, 'New order'), orderForm()),
      el('section', {}, el('h2', {}, 'Open orders'), el('table', {}, el('tbody', { id: 'open-orders', 'data-testid': 'open-orders' }))),
      el('section', {}, el('h2', {}, 'History'), el('table', {}, el('tbody', { id: 'history', 'data-testid': 'history' }))),
    ),
  );
  render(await api<Dashboard>('/api/trade/me'));

  const echo = await connectEcho();
  showConnection(echo, live);
  joinOnline(echo);
  echo.private(`user.${me.id}`).listen('.order.matched', (match: OrderMatched) => {
    render(match);
    toast(`${match.side === 'buy' ? 'Bought' : 'Sold'} ${match.trade.quantity} ACME at $${match.trade.price}`, 'success');
  });
}

main().catch(showError);
