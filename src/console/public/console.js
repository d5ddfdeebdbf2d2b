// @ts-check
/* global document, window, fetch, EventSource, URLSearchParams */
// The console page: plain DOM and an EventSource on the console's own stream.
// Everything from the server is written with textContent, never as HTML.
import { LineChart } from './charts.js';

const MAX_ENTRIES = 1000;
const MAX_ROWS = 500;

/**
 * @typedef {{ type: string, at: number, channel?: string, event?: string, socketId?: string, data?: string,
 *   transport?: string, userId?: string, code?: number | null, message?: string, events?: string[],
 *   status?: number | null, error?: string, truncated?: boolean, limit?: number, bufferedBytes?: number,
 *   action?: string }} Entry
 * @typedef {{ name: string, subscriptions: number, presence?: { count: number, members: { id: string, info: unknown }[] } }} Channel
 * @typedef {{ connections: number, totalChannels: number, channels: Channel[] }} Snapshot
 * @typedef {{ at: number, connections: number, messagesPerSecond: number }} Stats
 * @typedef {{ id: string, key: string, enabled: boolean, clientEvents: boolean, userAuthentication: boolean }} AppInfo
 */

/** @template {HTMLElement} T @param {string} id @returns {T} */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return /** @type {T} */ (el);
}

const ui = {
  loginView: byId('login-view'),
  loginForm: /** @type {HTMLFormElement} */ (byId('login-form')),
  token: /** @type {HTMLInputElement} */ (byId('token')),
  loginError: byId('login-error'),
  consoleView: byId('console-view'),
  appBar: byId('app-bar'),
  appSelect: /** @type {HTMLSelectElement} */ (byId('app-select')),
  appKey: byId('app-key'),
  live: byId('live'),
  liveText: byId('live-text'),
  logout: byId('logout'),
  statConnections: byId('stat-connections'),
  statMessages: byId('stat-messages'),
  statChannels: byId('stat-channels'),
  statNote: byId('stat-note'),
  channels: byId('channels'),
  channelsEmpty: byId('channels-empty'),
  channelNames: byId('channel-names'),
  creator: /** @type {HTMLFormElement} */ (byId('creator')),
  creatorChannel: /** @type {HTMLInputElement} */ (byId('creator-channel')),
  creatorEvent: /** @type {HTMLInputElement} */ (byId('creator-event')),
  creatorData: /** @type {HTMLTextAreaElement} */ (byId('creator-data')),
  creatorError: byId('creator-error'),
  creatorSend: /** @type {HTMLButtonElement} */ (byId('creator-send')),
  creatorResult: byId('creator-result'),
  filterChannel: /** @type {HTMLInputElement} */ (byId('filter-channel')),
  filterEvent: /** @type {HTMLInputElement} */ (byId('filter-event')),
  filterSocket: /** @type {HTMLInputElement} */ (byId('filter-socket')),
  pause: byId('pause'),
  clear: byId('clear'),
  log: byId('log'),
  logEmpty: byId('log-empty'),
};

const charts = {
  connections: new LineChart(/** @type {HTMLCanvasElement} */ (byId('chart-connections')), { color: '#2563eb' }),
  messages: new LineChart(/** @type {HTMLCanvasElement} */ (byId('chart-messages')), { color: '#4f46e5' }),
};

const state = {
  /** @type {AppInfo[]} */ apps: [],
  /** @type {string | null} */ appId: null,
  /** @type {EventSource | null} */ source: null,
  /** @type {Entry[]} */ entries: [],
  /** @type {Entry[]} */ pending: [],
  paused: false,
};

// ---- API ----------------------------------------------------------------

class Unauthorized extends Error {}

/** @param {string} path @param {unknown} [body] */
async function api(path, body) {
  const res = await fetch(`/console/api/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) throw new Unauthorized(json.error ?? 'Unauthorized');
  if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`);
  return json;
}

// ---- Login ---------------------------------------------------------------

async function start() {
  try {
    const { apps } = await api('apps');
    showConsole(apps);
  } catch (err) {
    if (err instanceof Unauthorized) showLogin();
    else showLogin(`Cannot reach Herald: ${errorText(err)}`);
  }
}

/** @param {string} [problem] */
function showLogin(problem) {
  closeStream();
  ui.consoleView.hidden = true;
  ui.appBar.hidden = true;
  ui.loginView.hidden = false;
  setText(ui.loginError, problem ?? '');
  ui.loginError.hidden = !problem;
  ui.token.focus();
}

ui.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  ui.loginError.hidden = true;
  try {
    await api('login', { token: ui.token.value });
    ui.token.value = '';
    await start();
  } catch (err) {
    showLogin(err instanceof Unauthorized ? 'Wrong token.' : errorText(err));
    ui.token.select();
  }
});

ui.logout.addEventListener('click', async () => {
  await api('logout', {}).catch(() => undefined);
  showLogin();
});

// ---- App selection and the live stream -----------------------------------

/** @param {AppInfo[]} apps */
function showConsole(apps) {
  state.apps = apps;
  ui.loginView.hidden = true;
  ui.consoleView.hidden = false;
  ui.appBar.hidden = false;
  ui.appSelect.replaceChildren(
    ...apps.map((app) => {
      const option = document.createElement('option');
      option.value = app.id;
      option.textContent = app.enabled ? app.id : `${app.id} (disabled)`;
      return option;
    }),
  );
  const wanted = new URLSearchParams(window.location.hash.slice(1)).get('app');
  const first = apps.find((a) => a.id === wanted) ?? apps[0];
  if (first) selectApp(first.id);
}

ui.appSelect.addEventListener('change', () => selectApp(ui.appSelect.value));

/** @param {string} appId */
function selectApp(appId) {
  closeStream();
  state.appId = appId;
  state.entries = [];
  state.pending = [];
  ui.appSelect.value = appId;
  const app = state.apps.find((a) => a.id === appId);
  setText(ui.appKey, app ? `key ${app.key}` : '');
  window.history.replaceState(null, '', `#app=${encodeURIComponent(appId)}`);
  charts.connections.reset();
  charts.messages.reset();
  renderChannels({ connections: 0, totalChannels: 0, channels: [] });
  renderLog();
  setLive('connecting');

  const source = new EventSource(`/console/api/apps/${encodeURIComponent(appId)}/stream`);
  state.source = source;
  source.addEventListener('open', () => setLive(state.paused ? 'paused' : 'live'));
  source.addEventListener('entry', (e) => addEntry(JSON.parse(/** @type {MessageEvent} */ (e).data)));
  source.addEventListener('snapshot', (e) => renderChannels(JSON.parse(/** @type {MessageEvent} */ (e).data)));
  source.addEventListener('stats', (e) => renderStats(JSON.parse(/** @type {MessageEvent} */ (e).data)));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      setLive('reconnecting');
      return;
    }
    // The server refused the stream (a session that ended, an app that went away): find out which.
    setLive('offline');
    api('apps')
      .then(() => window.setTimeout(() => state.source === source && selectApp(appId), 2000))
      .catch((err) => (err instanceof Unauthorized ? showLogin('Your session ended: log in again.') : undefined));
  });
}

function closeStream() {
  state.source?.close();
  state.source = null;
}

/** @param {'connecting' | 'live' | 'paused' | 'reconnecting' | 'offline'} live */
function setLive(live) {
  ui.live.dataset.state = live;
  setText(ui.liveText, live);
}

// ---- Stats and charts -----------------------------------------------------

/** @param {Stats} stats */
function renderStats(stats) {
  setText(ui.statConnections, String(stats.connections));
  setText(ui.statMessages, String(stats.messagesPerSecond));
  charts.connections.push(stats.connections);
  charts.messages.push(stats.messagesPerSecond);
}

window.addEventListener('resize', () => {
  charts.connections.draw();
  charts.messages.draw();
});

// ---- Channels and presence members ----------------------------------------

/** @param {Snapshot} snapshot */
function renderChannels(snapshot) {
  // Snapshots follow connections opening and closing, so the count is fresher here than in the once-a-second stats.
  setText(ui.statConnections, String(snapshot.connections));
  setText(ui.statChannels, String(snapshot.totalChannels));
  setText(
    ui.statNote,
    snapshot.totalChannels > snapshot.channels.length ? `occupied now (${snapshot.channels.length} busiest shown)` : 'occupied now',
  );
  ui.channelsEmpty.hidden = snapshot.channels.length > 0;
  ui.channels.replaceChildren(
    ...snapshot.channels.map((channel) => {
      const li = document.createElement('li');
      li.dataset.channel = channel.name;
      const row = el('div', 'channel-row');
      row.title = 'Send an event to this channel';
      row.append(el('span', 'channel-name', channel.name), el('span', 'channel-count', countText(channel)));
      row.addEventListener('click', () => {
        ui.creatorChannel.value = channel.name;
        validateCreator();
        ui.creatorEvent.focus();
      });
      li.append(row);
      if (channel.presence) {
        const members = el('ul', 'members');
        members.dataset.testid = 'members';
        for (const member of channel.presence.members) {
          const chip = el('li', 'member', member.id);
          chip.dataset.userId = member.id;
          chip.title = member.info === undefined || member.info === null ? member.id : JSON.stringify(member.info);
          members.append(chip);
        }
        if (channel.presence.count > channel.presence.members.length) {
          members.append(el('li', 'member', `+${channel.presence.count - channel.presence.members.length} more`));
        }
        li.append(members);
      }
      return li;
    }),
  );
  ui.channelNames.replaceChildren(
    ...snapshot.channels.map((channel) => {
      const option = document.createElement('option');
      option.value = channel.name;
      return option;
    }),
  );
}

/** @param {Channel} channel */
function countText(channel) {
  const subs = `${channel.subscriptions} ${channel.subscriptions === 1 ? 'subscription' : 'subscriptions'}`;
  if (!channel.presence) return subs;
  return `${channel.presence.count} ${channel.presence.count === 1 ? 'member' : 'members'} · ${subs}`;
}

// ---- Event log --------------------------------------------------------------

/** @param {Entry} entry */
function addEntry(entry) {
  if (state.paused) {
    state.pending.push(entry);
    if (state.pending.length > MAX_ENTRIES) state.pending.shift();
    setText(ui.pause, `Resume (${state.pending.length} new)`);
    return;
  }
  remember(entry);
  if (!matches(entry)) return;
  ui.logEmpty.hidden = true;
  const row = logRow(entry);
  row.classList.add('fresh');
  ui.log.prepend(row);
  while (ui.log.childElementCount > MAX_ROWS) ui.log.lastElementChild?.remove();
}

/** @param {Entry} entry */
function remember(entry) {
  state.entries.push(entry);
  if (state.entries.length > MAX_ENTRIES) state.entries.shift();
}

function renderLog() {
  const shown = state.entries.filter(matches).slice(-MAX_ROWS).reverse();
  ui.log.replaceChildren(...shown.map(logRow));
  ui.logEmpty.hidden = shown.length > 0;
  setText(ui.logEmpty, state.entries.length === 0 ? 'Waiting for activity…' : 'No entries match the filters.');
}

/** @param {Entry} entry */
function matches(entry) {
  const has = (/** @type {string | undefined} */ value, /** @type {string} */ wanted) =>
    wanted === '' || (value ?? '').toLowerCase().includes(wanted.toLowerCase());
  return (
    has(entry.channel, ui.filterChannel.value.trim()) &&
    has(entry.event, ui.filterEvent.value.trim()) &&
    has(entry.socketId, ui.filterSocket.value.trim())
  );
}

/** @type {Record<string, [label: string, category: string]>} */
const KINDS = {
  connection_opened: ['connected', 'connection'],
  connection_closed: ['disconnected', 'connection'],
  subscribed: ['subscribed', 'subscription'],
  unsubscribed: ['unsubscribed', 'subscription'],
  channel_occupied: ['occupied', 'subscription'],
  channel_vacated: ['vacated', 'subscription'],
  member_added: ['member added', 'member'],
  member_removed: ['member removed', 'member'],
  api_event: ['api event', 'api'],
  client_event: ['client event', 'client'],
  error_sent: ['error', 'error'],
  connection_refused: ['refused', 'error'],
  client_event_rate_limited: ['rate limited', 'error'],
  slow_consumer_cut: ['slow client cut', 'error'],
  rate_limited: ['api rate limited', 'error'],
  webhook_sent: ['webhook', 'webhook'],
};

/** @param {Entry} entry */
function details(entry) {
  switch (entry.type) {
    case 'connection_opened':
    case 'connection_closed':
      return `transport: ${entry.transport}`;
    case 'member_added':
    case 'member_removed':
      return `user: ${entry.userId}`;
    case 'api_event':
    case 'client_event':
      return `${entry.userId ? `user ${entry.userId} · ` : ''}${entry.data ?? ''}${entry.truncated ? ' …(cut)' : ''}`;
    case 'error_sent':
      return `${entry.code ?? ''} ${entry.message ?? ''}`.trim();
    case 'connection_refused':
      return `${entry.code ?? ''} · transport: ${entry.transport}`;
    case 'client_event_rate_limited':
      return `client events over ${entry.limit}/s`;
    case 'slow_consumer_cut':
      return `${entry.bufferedBytes} bytes unsent (limit ${entry.limit}) · transport: ${entry.transport}`;
    case 'rate_limited':
      return `${entry.action === 'backend_event' ? 'events' : 'API requests'} over ${entry.limit}/s`;
    case 'webhook_sent':
      return `${(entry.events ?? []).join(', ')} → ${entry.status ?? entry.error ?? 'failed'}`;
    default:
      return '';
  }
}

/** @param {Entry} entry */
function logRow(entry) {
  const [label, category] = KINDS[entry.type] ?? [entry.type, ''];
  /** @param {string | undefined} text */
  const idCell = (text) => {
    const cell = el('td', 'mono', text ?? '');
    if (text) cell.title = text;
    return cell;
  };
  const tr = document.createElement('tr');
  tr.dataset.type = entry.type;
  const badge = el('span', `badge ${category}`, label);
  const typeCell = document.createElement('td');
  typeCell.append(badge);
  tr.append(
    el('td', 'time', clock(entry.at)),
    typeCell,
    idCell(entry.channel),
    idCell(entry.event),
    idCell(entry.socketId),
    el('td', 'details', details(entry)),
  );
  return tr;
}

for (const input of [ui.filterChannel, ui.filterEvent, ui.filterSocket]) input.addEventListener('input', renderLog);

ui.pause.addEventListener('click', () => {
  state.paused = !state.paused;
  ui.pause.setAttribute('aria-pressed', String(state.paused));
  if (state.paused) {
    setText(ui.pause, 'Resume');
    setLive('paused');
    return;
  }
  for (const entry of state.pending) remember(entry);
  state.pending = [];
  setText(ui.pause, 'Pause');
  setLive(state.source ? 'live' : 'offline');
  renderLog();
});

ui.clear.addEventListener('click', () => {
  state.entries = [];
  state.pending = [];
  if (state.paused) setText(ui.pause, 'Resume');
  renderLog();
});

// ---- Event creator ----------------------------------------------------------

/** Checks the form as it is typed in; returns the event to send, or null. */
function validateCreator() {
  const channel = ui.creatorChannel.value.trim();
  const event = ui.creatorEvent.value.trim();
  let problem = '';
  /** @type {unknown} */
  let data;
  try {
    data = JSON.parse(ui.creatorData.value);
  } catch (err) {
    problem = `Data is not valid JSON: ${errorText(err)}`;
  }
  ui.creatorData.classList.toggle('invalid', problem !== '');
  ui.creatorData.setAttribute('aria-invalid', String(problem !== ''));
  setText(ui.creatorError, problem);
  ui.creatorError.hidden = problem === '';
  const ready = problem === '' && channel !== '' && event !== '';
  ui.creatorSend.disabled = !ready;
  return ready ? { channel, name: event, data: JSON.stringify(data) } : null;
}

for (const input of [ui.creatorChannel, ui.creatorEvent, ui.creatorData]) input.addEventListener('input', validateCreator);

ui.creator.addEventListener('submit', async (e) => {
  e.preventDefault();
  const request = validateCreator();
  if (!request || !state.appId) return;
  ui.creatorSend.disabled = true;
  ui.creatorResult.className = 'muted small';
  setText(ui.creatorResult, 'Sending…');
  try {
    await api(`apps/${encodeURIComponent(state.appId)}/events`, request);
    ui.creatorResult.className = 'small ok';
    setText(ui.creatorResult, `Sent ${request.name} to ${request.channel}`);
  } catch (err) {
    if (err instanceof Unauthorized) {
      showLogin('Your session ended: log in again.');
      return;
    }
    ui.creatorResult.className = 'small failed';
    setText(ui.creatorResult, errorText(err));
  } finally {
    validateCreator();
  }
});

// ---- Small helpers ------------------------------------------------------------

/** @param {string} tag @param {string} className @param {string} [text] */
function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {HTMLElement} node @param {string} text */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** @param {number} at */
function clock(at) {
  const d = new Date(at);
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** @param {unknown} err */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}

validateCreator();
void start();
