// Flow 2, the vendor's side: an inbox on private-vendor-orders.{vendorId},
// authorized by /broadcasting/auth with a Bearer token (as a vendor tablet
// app would send), with a toast for each new order and buttons to move it on.
import { api, ApiError, type Me } from './lib/api.js';
import { connectEcho, showConnection, type AppEcho } from './lib/echo.js';
import { byId, el, header, money, showError, statusBadge, time, toast } from './lib/ui.js';

interface Order {
  readonly id: number;
  readonly customerName: string;
  readonly item: string;
  readonly total: number;
  readonly status: string;
  readonly createdAt: string;
}

const TOKEN_KEY = 'vendor-token';
const NEXT_STATUSES: Record<string, [string, string][]> = {
  placed: [
    ['accepted', 'Accept'],
    ['cancelled', 'Cancel'],
  ],
  accepted: [
    ['ready_for_pickup', 'Ready for pickup'],
    ['cancelled', 'Cancel'],
  ],
};

const inbox = new Map<number, Order>();

function renderInbox(token: string): void {
  const rows = [...inbox.values()].sort((a, b) => b.id - a.id);
  byId('inbox').replaceChildren(
    ...rows.map((o) => {
      const actions = (NEXT_STATUSES[o.status] ?? []).map(([status, label]) => {
        const button = el('button', { type: 'button', 'data-testid': `set-${status}` }, label);
        button.addEventListener('click', () => {
          api<Order>(`/api/vendor/orders/${o.id}/status`, { body: { status }, bearerToken: token })
            .then((updated) => {
              inbox.set(updated.id, updated);
              renderInbox(token);
            })
            .catch(showError);
        });
        return button;
      });
      return el(
        'tr',
        { 'data-testid': `inbox-${o.id}` },
        el('td', {}, `#${o.id}`),
        el('td', {}, o.item),
        el('td', {}, o.customerName),
        el('td', {}, money(o.total)),
        el('td', { 'data-testid': 'status' }, statusBadge(o.status)),
        el('td', {}, time(o.createdAt)),
        el('td', {}, ...actions),
      );
    }),
  );
  byId('empty').hidden = rows.length > 0;
}

/** The token login: a vendor tablet keeps its token, not a cookie. */
function showLogin(): void {
  const username = el('input', { name: 'username', placeholder: 'luigi or yuki', 'data-testid': 'username', required: '' });
  const form = el('form', { class: 'inline' }, username, el('button', { type: 'submit', class: 'primary', 'data-testid': 'get-token' }, 'Get token'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api<{ token: string }>('/api/tokens', { body: { username: username.value } })
      .then(({ token }) => {
        sessionStorage.setItem(TOKEN_KEY, token);
        location.reload();
      })
      .catch(showError);
  });
  document.body.append(header('Vendor inbox'), el('main', {}, el('section', {}, el('h2', {}, 'Vendor login'), form)));
}

async function showInbox(token: string): Promise<void> {
  const me = await api<Me>('/api/me', { bearerToken: token });
  if (me.vendorId === null) throw new Error(`${me.name} is not vendor staff`);
  for (const order of await api<Order[]>('/api/vendor/orders', { bearerToken: token })) inbox.set(order.id, order);
  const live = el('span', { class: 'pill', 'data-testid': 'live' }, 'Connecting…');
  const logout = el('button', { type: 'button' }, 'Log out');
  logout.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  document.body.append(
    header('Vendor inbox', `${me.name}`),
    el(
      'main',
      {},
      el(
        'section',
        { class: 'wide' },
        el('h2', {}, 'Incoming orders', live, logout),
        el('table', {}, el('tbody', { id: 'inbox' })),
        el('p', { id: 'empty', class: 'empty' }, 'Waiting for orders…'),
      ),
    ),
  );
  renderInbox(token);

  const echo: AppEcho = await connectEcho({ bearerToken: token });
  showConnection(echo, live);
  echo
    .private(`vendor-orders.${me.vendorId}`)
    .listen('OrderReceived', ({ order }: { order: Order }) => {
      inbox.set(order.id, order);
      renderInbox(token);
      toast(`New order #${order.id}: ${order.item} for ${order.customerName}`, 'success');
    })
    .listen('OrderStatusChanged', ({ order }: { order: Order }) => {
      inbox.set(order.id, order);
      renderInbox(token);
    })
    .error((error: { status?: number }) => toast(`Inbox unavailable (${error.status ?? 'error'})`, 'error'));
}

async function main(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin();
  try {
    await showInbox(token);
  } catch (err) {
    // A token from before the back end restarted: ask for a new one.
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin();
    }
    throw err;
  }
}

main().catch(showError);
