// Flow 3, the admin monitor: the four private admin channels, who of the
// admins is here (presence-admin-presence), and how many users are online
// across the site (presence-online).
import { api, requireLogin } from './lib/api.js';
import { connectEcho, showConnection } from './lib/echo.js';
import { byId, el, header, money, showError, statusBadge, time, toast } from './lib/ui.js';

interface Member {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
}
interface Order {
  readonly id: number;
  readonly vendorName: string;
  readonly customerName: string;
  readonly item: string;
  readonly total: number;
  readonly createdAt: string;
}
interface StockItem {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
}
interface StockAlert extends StockItem {
  readonly level: 'low' | 'out' | 'restock';
}
interface Payment {
  readonly invoiceId: number;
  readonly amount: number;
  readonly payer: string;
  readonly at: string;
}
interface SystemAlert {
  readonly level: string;
  readonly message: string;
  readonly raisedBy: string;
  readonly at: string;
}

function feed(id: string, title: string): HTMLElement {
  return el('section', {}, el('h2', {}, title), el('ul', { class: 'feed', id, 'data-testid': id }, el('li', { class: 'empty' }, 'Nothing yet')));
}

function prepend(id: string, ...content: (Node | string)[]): void {
  const list = byId(id);
  list.querySelector('.empty')?.remove();
  list.prepend(el('li', {}, ...content));
}

function renderMembers(id: string, members: Map<string, Member>): void {
  byId(id).replaceChildren(...[...members.values()].map((m) => el('li', { 'data-testid': `member-${m.id}` }, m.name)));
}

function stockTable(items: StockItem[]): HTMLElement {
  return el(
    'table',
    {},
    el(
      'tbody',
      {},
      ...items.map((item) => {
        const quantity = el('input', { type: 'number', min: '0', value: String(item.quantity), style: 'width:5rem', 'data-testid': `stock-${item.sku}` });
        const save = el('button', { type: 'button', 'data-testid': `save-${item.sku}` }, 'Set');
        save.addEventListener('click', () => {
          api(`/api/inventory/${item.sku}`, { body: { quantity: Number(quantity.value) } }).catch(showError);
        });
        return el('tr', {}, el('td', {}, item.name), el('td', {}, quantity, ' ', save));
      }),
    ),
  );
}

function alertForm(): HTMLElement {
  const level = el('select', { 'data-testid': 'alert-level' }, ...['info', 'warning', 'critical'].map((l) => el('option', { value: l }, l)));
  const message = el('input', { placeholder: 'Message', 'data-testid': 'alert-message', required: '' });
  const form = el('form', { class: 'inline' }, level, message, el('button', { type: 'submit', 'data-testid': 'raise-alert' }, 'Raise'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api('/api/system/alerts', { body: { level: level.value, message: message.value } })
      .then(() => (message.value = ''))
      .catch(showError);
  });
  return form;
}

async function main(): Promise<void> {
  const me = await requireLogin();
  if (!me.roles.includes('admin')) {
    document.body.append(header('Admin monitor', `Logged in as ${me.name}`), el('main', {}, el('section', { 'data-testid': 'not-admin' }, 'Admins only.')));
    return;
  }
  const overview = await api<{ inventory: StockItem[] }>('/api/admin/overview');
  const live = el('span', { class: 'pill', 'data-testid': 'live' }, 'Connecting…');
  document.body.append(
    header('Admin monitor', `Logged in as ${me.name}`),
    el(
      'main',
      {},
      el('section', {}, el('h2', {}, 'Online now', live), el('div', { class: 'count', id: 'online-count', 'data-testid': 'online-count' }, '0'), el('p', { class: 'empty' }, 'users on the site')),
      el('section', {}, el('h2', {}, 'Admins here'), el('ul', { class: 'feed', id: 'admins', 'data-testid': 'admins' })),
      feed('feed-orders', 'New orders'),
      feed('feed-payments', 'Payments'),
      feed('feed-inventory', 'Stock alerts'),
      feed('feed-system', 'System alerts'),
      el('section', {}, el('h2', {}, 'Stock'), stockTable(overview.inventory)),
      el('section', {}, el('h2', {}, 'Raise a system alert'), alertForm()),
    ),
  );

  const echo = await connectEcho();
  showConnection(echo, live);

  const online = new Map<string, Member>();
  const renderOnline = () => (byId('online-count').textContent = String(online.size));
  echo
    .join('online')
    .here((members: Member[]) => {
      online.clear();
      for (const m of members) online.set(m.id, m);
      renderOnline();
    })
    .joining((m: Member) => {
      online.set(m.id, m);
      renderOnline();
    })
    .leaving((m: Member) => {
      online.delete(m.id);
      renderOnline();
    });

  const admins = new Map<string, Member>();
  echo
    .join('admin-presence')
    .here((members: Member[]) => {
      admins.clear();
      for (const m of members) admins.set(m.id, m);
      renderMembers('admins', admins);
    })
    .joining((m: Member) => {
      admins.set(m.id, m);
      renderMembers('admins', admins);
      toast(`${m.name} is here`);
    })
    .leaving((m: Member) => {
      admins.delete(m.id);
      renderMembers('admins', admins);
    });

  echo.private('admin-orders').listen('NewOrder', ({ order }: { order: Order }) => {
    prepend('feed-orders', `#${order.id} ${order.item} · ${order.vendorName} · ${order.customerName} · ${money(order.total)}`, el('small', {}, time(order.createdAt)));
  });
  echo.private('admin-payments').listen('PaymentReceived', (p: Payment) => {
    prepend('feed-payments', `${money(p.amount)} on invoice #${p.invoiceId} from ${p.payer}`, el('small', {}, time(p.at)));
  });
  echo.private('admin-inventory').listen('StockAlert', (a: StockAlert) => {
    prepend('feed-inventory', statusBadge(a.level), ` ${a.name}: ${a.quantity} left`);
    if (a.level === 'out') toast(`${a.name} is out of stock`, 'warning');
  });
  echo.private('admin-system').listen('SystemAlert', (a: SystemAlert) => {
    prepend('feed-system', statusBadge(a.level), ` ${a.message}`, el('small', {}, `${a.raisedBy} · ${time(a.at)}`));
    toast(a.message, a.level === 'critical' ? 'error' : 'warning');
  });
}

main().catch(showError);
