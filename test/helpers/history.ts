// Raw-socket helpers for channel history tests: the exact text of frames,
// signed subscriptions, and the kept events of a channel; the apps they use.
import assert from 'node:assert/strict';
import type Pusher from 'pusher';
import type { RawSocket, ServerFrame } from './raw-socket.js';
import { withTimeout } from './wait.js';

export interface KeptFrame extends ServerFrame {
  readonly serial?: string;
}

export interface HistorySocket extends RawSocket {
  readonly socketId: string;
  /** Every frame as the text the server sent, in order. */
  readonly texts: string[];
  /** The text of the next frame matching `match` (after the last one this returned). */
  nextRaw(match: (frame: ServerFrame) => boolean): Promise<string>;
}

export async function historySocket(opening: Promise<RawSocket & { readonly socketId: string }>): Promise<HistorySocket> {
  const socket = await opening;
  // Frames before this listener (connection_established) are not needed here.
  const texts: string[] = [];
  const before = socket.frames.length;
  socket.ws.on('message', (data: Buffer) => texts.push(data.toString()));
  const nextRaw = async (match: (frame: ServerFrame) => boolean): Promise<string> => {
    const frame = await socket.next(match, 'a frame');
    // The parsed frames and the texts are pushed by listeners of the same messages, in the same order.
    return texts[socket.frames.indexOf(frame) - before] as string;
  };
  return Object.assign(socket, { texts, nextRaw });
}

/** Subscribes (signing private and presence channels with the SDK) and waits for subscription_succeeded. */
export async function subscribeRaw(socket: RawSocket & { socketId: string }, channel: string, sdk: Pusher, presence?: Pusher.PresenceChannelData): Promise<void> {
  const data: Record<string, unknown> = { channel };
  if (channel.startsWith('private-') || channel.startsWith('presence-')) Object.assign(data, sdk.authorizeChannel(socket.socketId, channel, presence));
  socket.send({ event: 'pusher:subscribe', data });
  await socket.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel, `subscribed to ${channel}`);
}

/** The next `count` app events on a channel (neither pusher: nor herald: frames). */
export async function keptEvents(socket: RawSocket, channel: string, count: number): Promise<KeptFrame[]> {
  const out: KeptFrame[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await socket.next(
        (f) => f.channel === channel && !f.event.startsWith('pusher') && !f.event.startsWith('herald:'),
        `event ${i + 1} of ${count} on ${channel}`,
      ),
    );
  }
  return out;
}

/** The resume_succeeded or resume_failed of a channel, whenever it came. */
export function resumeOutcome(socket: RawSocket, channel: string): Promise<ServerFrame> {
  const found = socket.frames.find((f) => f.channel === channel && f.event.startsWith('herald:resume_') && !answered.has(f));
  if (found) {
    answered.add(found);
    return Promise.resolve(found);
  }
  return withTimeout(
    new Promise<ServerFrame>((resolve) => {
      const check = () => {
        const f = socket.frames.find((x) => x.channel === channel && x.event.startsWith('herald:resume_') && !answered.has(x));
        if (!f) return;
        socket.ws.off('message', check);
        answered.add(f);
        resolve(f);
      };
      socket.ws.on('message', check);
    }),
    `the resume outcome of ${channel}`,
  );
}
const answered = new WeakSet<ServerFrame>();

/** The apps of the history tests: one keeping history by channel pattern (short, brief and orders channels), one keeping none. */
export const HIST = { id: 'hist-app', key: 'hist-key', secret: 'hist-secret' } as const;
export const PLAIN = { id: 'plain-app', key: 'plain-key', secret: 'plain-secret' } as const;
export const HISTORY_APPS = [
  {
    ...HIST,
    clientEvents: true,
    history: [
      { channels: 'short-*', maxEvents: 3, maxAgeSeconds: 300 },
      { channels: 'brief-*', maxEvents: 100, maxAgeSeconds: 1 },
      { channels: '*orders-*', maxEvents: 100, maxAgeSeconds: 300 },
    ],
  },
  { ...PLAIN, clientEvents: true },
];

/**
 * A client that opted in, subscribed to `channel`, saw one event published
 * through `sdk` and went away: the serial it would resume from.
 */
export async function serialSeenBeforeLeaving(opening: Promise<HistorySocket>, channel: string, sdk: Pusher, presence?: Pusher.PresenceChannelData): Promise<string> {
  const client = await opening;
  client.send({ event: 'herald:recovery', data: {} });
  await subscribeRaw(client, channel, sdk, presence);
  await sdk.trigger(channel, 'order', { n: 0 });
  const [seen] = await keptEvents(client, channel, 1);
  client.ws.terminate();
  assert.ok(seen?.serial, 'the event carried a serial');
  return seen.serial;
}
