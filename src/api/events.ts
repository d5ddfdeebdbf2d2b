import type { App } from '../apps/app.js';
import { channelKind, channelNameProblem, eventNameProblem } from '../protocol/channel-names.js';
import { HttpError } from '../protocol/errors.js';
import { SOCKET_ID_PATTERN } from '../protocol/socket-id.js';
import type { ChannelName, EventName, SocketId } from '../protocol/types.js';
import { parseInfo, type InfoAttribute } from './channel-info.js';

/** One event as the HTTP API receives it, validated. */
export interface TriggerRequest {
  readonly name: EventName;
  readonly data: string;
  readonly channels: ChannelName[];
  readonly socketId?: SocketId;
  readonly info: Set<InfoAttribute>;
}

/**
 * Validates one event body (`POST /events` or one entry of
 * `batch_events`) against the protocol's rules and the app's limits.
 */
export function parseTriggerRequest(app: App, body: Record<string, unknown>, where = 'event'): TriggerRequest {
  const name = body.name;
  const nameProblem = eventNameProblem(name);
  if (nameProblem) throw new HttpError('badRequest', `${where}: ${nameProblem}`);

  let channels: unknown;
  if (body.channels !== undefined) channels = body.channels;
  else if (body.channel !== undefined) channels = [body.channel];
  else throw new HttpError('badRequest', `${where}: give 'channels' (an array) or 'channel'`);
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new HttpError('badRequest', `${where}: 'channels' must be a non-empty array of channel names`);
  }
  if (channels.length > app.maxChannelsPerEvent) {
    throw new HttpError('badRequest', `${where}: at most ${app.maxChannelsPerEvent} channels per event for this app, got ${channels.length}`);
  }
  for (const channel of channels) {
    const problem = channelNameProblem(channel);
    if (problem) throw new HttpError('badRequest', `${where}: ${problem}`);
  }
  const names = channels as ChannelName[];
  if (names.length > 1 && names.some((c) => channelKind(c).encrypted)) {
    throw new HttpError('badRequest', `${where}: an event to an encrypted channel must target that channel alone`);
  }

  const rawData = body.data;
  if (rawData === undefined) throw new HttpError('badRequest', `${where}: 'data' is missing`);
  let data: string;
  try {
    data = typeof rawData === 'string' ? rawData : JSON.stringify(rawData);
  } catch {
    // JSON.parse accepts any depth; JSON.stringify runs out of stack on absurd nesting.
    throw new HttpError('badRequest', `${where}: 'data' is nested too deeply`);
  }
  const size = Buffer.byteLength(data);
  if (size > app.maxEventPayloadBytes) {
    throw new HttpError('payloadTooLarge', `${where}: data is ${size} bytes, more than this app's limit of ${app.maxEventPayloadBytes}`);
  }

  const socketId = body.socket_id;
  if (socketId !== undefined && socketId !== null && (typeof socketId !== 'string' || !SOCKET_ID_PATTERN.test(socketId))) {
    throw new HttpError('badRequest', `${where}: socket_id must look like '123.456'`);
  }

  // user_count is reported for the presence channels among them and left out for the others.
  const info = parseInfo(body.info);
  return { name: name as string, data, channels: names, socketId: (socketId as string | undefined) ?? undefined, info };
}
