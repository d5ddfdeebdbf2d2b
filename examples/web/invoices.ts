// Flow 4, invoice payments: the user's invoices (private-user.{id}.invoices)
// and the open invoice (private-invoice.{id}). On a payment the invoice
// refreshes itself, a short sound plays and, when the user allowed it, a
// browser notification appears.
import { api, requireLogin } from './lib/api.js';
import { connectEcho, joinOnline, showConnection, type AppEcho } from './lib/echo.js';
import { byId, el, header, money, showError, statusBadge, time, toast } from './lib/ui.js';

interface Invoice {
  readonly id: number;
  readonly title: string;
  readonly amount: number;
  readonly paid: number;
  readonly status: string;
  readonly payments: { amount: number; at: string }[];
  readonly updatedAt: string;
}

/** What every invoice event carries. */
interface InvoiceNotice {
  readonly title: string;
  readonly body: string;
  readonly type: 'info' | 'success' | 'warning';
  readonly invoiceId: number;
  readonly status?: string;
  readonly sentAt: string;
}

const INVOICE_EVENTS = ['.invoice.created', '.payment.received', '.invoice.status.changed', '.invoice.updated'] as const;

let openInvoiceId: number | null = null;

/** A short two-tone chime, made on the spot: no audio file to ship. */
function chime(): void {
  const AudioContextClass = window.AudioContext;
  if (!AudioContextClass) return;
  const audio = new AudioContextClass();
  void audio.resume();
  [880, 1320].forEach((frequency, i) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.12, audio.currentTime + i * 0.12);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.12 + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start(audio.currentTime + i * 0.12);
    tone.stop(audio.currentTime + i * 0.12 + 0.3);
  });
  setTimeout(() => void audio.close(), 1000);
}

function notify(notice: InvoiceNotice): void {
  if ('Notification' in window && Notification.permission === 'granted') new Notification(notice.title, { body: notice.body, tag: `invoice-${notice.invoiceId}` });
}

function logNotice(notice: InvoiceNotice, event: string): void {
  const list = byId('notices');
  list.querySelector('.empty')?.remove();
  list.prepend(el('li', { 'data-testid': 'notice', 'data-event': event }, el('strong', {}, notice.title), ` ${notice.body}`, el('small', {}, time(notice.sentAt))));
}

async function renderList(): Promise<void> {
  const invoices = await api<Invoice[]>('/api/invoices');
  byId('invoices').replaceChildren(
    ...invoices.map((inv) => {
      const open = el('a', { href: `?id=${inv.id}` }, `#${inv.id}`);
      return el(
        'tr',
        { 'data-testid': `invoice-${inv.id}`, ...(inv.id === openInvoiceId ? { class: 'fresh' } : {}) },
        el('td', {}, open),
        el('td', {}, inv.title),
        el('td', {}, money(inv.amount)),
        el('td', { 'data-testid': 'status' }, statusBadge(inv.status)),
      );
    }),
  );
}

async function renderInvoice(id: number): Promise<void> {
  const invoice = await api<Invoice>(`/api/invoices/${id}`);
  const left = invoice.amount - invoice.paid;
  const pay = el('button', { type: 'button', class: 'primary', 'data-testid': 'pay', ...(left <= 0 ? { disabled: '' } : {}) }, left <= 0 ? 'Paid in full' : `Pay ${money(Math.min(left, 5000))}`);
  pay.addEventListener('click', () => {
    pay.setAttribute('disabled', '');
    // The payment provider would confirm this to the back end; the page hears about it from Herald like any other change.
    api(`/api/invoices/${id}/payments`, { body: { amount: Math.min(left, 5000) } }).catch((err: unknown) => {
      pay.removeAttribute('disabled');
      showError(err);
    });
  });
  byId('invoice').replaceChildren(
    el('h2', {}, `Invoice #${invoice.id}`, statusBadge(invoice.status)),
    el(
      'dl',
      { class: 'kv' },
      el('dt', {}, 'For'),
      el('dd', {}, invoice.title),
      el('dt', {}, 'Amount'),
      el('dd', {}, money(invoice.amount)),
      el('dt', {}, 'Paid'),
      el('dd', { 'data-testid': 'paid' }, money(invoice.paid)),
      el('dt', {}, 'Status'),
      el('dd', { 'data-testid': 'invoice-status' }, invoice.status.replace('_', ' ')),
      el('dt', {}, 'Payments'),
      el('dd', {}, invoice.payments.map((p) => `${money(p.amount)} at ${time(p.at)}`).join(', ') || 'none'),
    ),
    el('p', {}, pay),
  );
}

function subscribe(echo: AppEcho, userId: string): void {
  const list = echo.private(`user.${userId}.invoices`);
  for (const event of INVOICE_EVENTS) {
    list.listen(event, (notice: InvoiceNotice) => {
      logNotice(notice, event.slice(1));
      renderList().catch(showError);
      if (event === '.invoice.created') toast(`${notice.title}: ${notice.body}`, 'info');
    });
  }
  if (openInvoiceId === null) return;
  const invoiceId = openInvoiceId;
  echo
    .private(`invoice.${invoiceId}`)
    .listen('.payment.received', (notice: InvoiceNotice) => {
      chime();
      notify(notice);
      toast(notice.body, 'success');
      renderInvoice(invoiceId).catch(showError);
    })
    .listen('.invoice.updated', () => renderInvoice(invoiceId).catch(showError))
    .listen('.invoice.status.changed', () => renderInvoice(invoiceId).catch(showError));
}

async function main(): Promise<void> {
  const me = await requireLogin();
  const requested = new URLSearchParams(location.search).get('id');
  openInvoiceId = requested === null ? null : Number(requested);
  const live = el('span', { class: 'pill', 'data-testid': 'live' }, 'Connecting…');
  const allow = el('button', { type: 'button', 'data-testid': 'allow-notifications' }, 'Allow notifications');
  allow.hidden = !('Notification' in window) || Notification.permission !== 'default';
  allow.addEventListener('click', () => void Notification.requestPermission().then(() => (allow.hidden = true)));
  document.body.append(
    header('Invoices', `Logged in as ${me.name}`),
    el(
      'main',
      {},
      el('section', {}, el('h2', {}, 'My invoices', live, allow), el('table', {}, el('tbody', { id: 'invoices' }))),
      el('section', { id: 'invoice' }, el('p', { class: 'empty' }, 'Open an invoice to pay it.')),
      el('section', {}, el('h2', {}, 'Notifications'), el('ul', { class: 'feed', id: 'notices' }, el('li', { class: 'empty' }, 'Nothing yet'))),
    ),
  );
  await renderList();
  if (openInvoiceId !== null) await renderInvoice(openInvoiceId);

  const echo = await connectEcho();
  showConnection(echo, live);
  joinOnline(echo);
  subscribe(echo, me.id);
}

main().catch(showError);
