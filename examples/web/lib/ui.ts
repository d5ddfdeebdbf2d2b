// Small DOM helpers shared by the pages.
type Child = Node | string | number | null | undefined | false;

/** Creates an element; text children are escaped by construction. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

export const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export const time = (iso: string) => new Date(iso).toLocaleTimeString();

export type ToastKind = 'info' | 'success' | 'warning' | 'error';

/** A notice in the corner that goes away by itself. */
export function toast(message: string, kind: ToastKind = 'info'): void {
  let stack = document.getElementById('toasts');
  if (!stack) {
    stack = el('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.append(stack);
  }
  const item = el('div', { class: `toast toast-${kind}`, 'data-testid': 'toast' }, message);
  stack.append(item);
  setTimeout(() => item.remove(), 6000);
}

export function statusBadge(status: string): HTMLElement {
  return el('span', { class: `badge badge-${status}` }, status.replace(/_/g, ' '));
}

/** The page header: the demo's pages and who is logged in. */
export function header(title: string, who?: string): HTMLElement {
  const nav = el(
    'nav',
    {},
    ...[
      ['/', 'Log in'],
      ['/orders.html', 'Order board'],
      ['/shop.html', 'Shop'],
      ['/vendor.html', 'Vendor inbox'],
      ['/admin.html', 'Admin'],
      ['/invoices.html', 'Invoices'],
      ['/trade.html', 'Trade'],
    ].map(([href, label]) => el('a', { href: href!, ...(location.pathname === href ? { 'aria-current': 'page' } : {}) }, label!)),
  );
  return el('header', {}, el('h1', {}, title), nav, who ? el('span', { class: 'who', 'data-testid': 'who' }, who) : null);
}

export function showError(err: unknown): void {
  toast(err instanceof Error ? err.message : String(err), 'error');
}
