// GET /apps/{id}/channels/{name}/events: a back end reads a channel's kept
// events after a serial, oldest first, the same ones a resuming client gets.
import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import { historyPolicy } from '../apps/history-policy.js';
import { HttpError } from '../protocol/errors.js';
import { parseSerial } from '../protocol/serial.js';
import type { ChannelName } from '../protocol/types.js';

export const HISTORY_PAGE_DEFAULT = 100;
export const HISTORY_PAGE_MAX = 1000;

export interface HistoryPage {
  readonly events: ReadonlyArray<{ serial: string; event: string; channel: ChannelName; data: unknown }>;
  /** The serial to ask from next: the last one returned, or `since` when nothing was. */
  readonly next: string | null;
}

export async function readHistory(adapter: Adapter, app: App, channel: ChannelName, query: URLSearchParams): Promise<HistoryPage> {
  const policy = historyPolicy(app, channel);
  if (!policy) throw new HttpError('notFound', `${channel} keeps no history`);
  const sinceText = query.get('since');
  const since = sinceText === null || sinceText === '' ? null : parseSerial(sinceText);
  if (sinceText && !since) throw new HttpError('badRequest', "since must be a serial ('<ms>-<seq>') from an event of this channel");
  const limitText = query.get('limit');
  const limit = limitText === null || limitText === '' ? HISTORY_PAGE_DEFAULT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) {
    throw new HttpError('badRequest', `limit must be a whole number from 1 to ${HISTORY_PAGE_MAX}`);
  }
  const read = await adapter.history.read(app.id, channel, policy, since, limit);
  if (read.kind === 'expired') throw new HttpError('gone', `events after ${sinceText} on ${channel} are no longer kept`);
  if (read.kind === 'unknown_serial') throw new HttpError('badRequest', `${channel} has kept no event ${sinceText}`);
  const events = read.events.map(({ serial, frame }) => {
    const { event, data } = JSON.parse(frame) as { event: string; data: unknown };
    return { serial, event, channel, data };
  });
  return { events, next: events.at(-1)?.serial ?? sinceText ?? null };
}
