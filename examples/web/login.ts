// The demo's front door: pick a demo user to log in as (a session cookie),
// then open a flow's page.
import { api, ApiError, type Me } from './lib/api.js';
import { el, header, showError } from './lib/ui.js';

interface DemoUser {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly roles: string[];
}

const PAGES_BY_ROLE: Record<string, string> = {
  customer: 'Shop, invoices and trading',
  admin: 'Admin monitor',
  vendor: 'Vendor inbox (logs in with a token)',
  printer: 'Print agent (command line)',
};

async function main(): Promise<void> {
  const me = await api<Me>('/api/me').catch((err: unknown) => (err instanceof ApiError && err.status === 401 ? null : Promise.reject(err)));
  const users = await api<DemoUser[]>('/api/users');
  const next = new URLSearchParams(location.search).get('next');
  const list = el(
    'div',
    { class: 'users' },
    ...users.map((user) => {
      const button = el('button', { type: 'button', 'data-testid': `login-${user.id}` }, user.name, el('small', {}, user.roles.map((r) => PAGES_BY_ROLE[r] ?? r).join(', ')));
      button.addEventListener('click', () => {
        api('/api/login', { body: { username: user.username } })
          .then(() => location.assign(next && next.startsWith('/') ? next : '/'))
          .catch(showError);
      });
      return button;
    }),
  );
  document.body.append(
    header('Herald demo', me ? `Logged in as ${me.name}` : 'Not logged in'),
    el(
      'main',
      {},
      el('section', { class: 'wide' }, el('h2', {}, 'Log in as a demo user'), el('p', { class: 'empty' }, 'No passwords: this stands in for your app\'s own login.'), list),
    ),
  );
}

main().catch(showError);
