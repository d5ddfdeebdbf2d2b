// Waiting helpers: every wait is bounded and names what it waited for.
import type { PusherJS } from './pusher-js.js';

export const WAIT_MS = 3000;

export function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Bindable {
  bind(event: string, cb: (...args: never[]) => void): unknown;
  unbind(event: string, cb: (...args: never[]) => void): unknown;
}

/** The next `event` on a pusher-js channel, connection or user facade. */
export function nextEvent<T = unknown>(emitter: Bindable, event: string, what = event, ms = WAIT_MS): Promise<T> {
  let cb: (data: T) => void;
  const p = new Promise<T>((resolve) => {
    cb = (data: T) => {
      emitter.unbind(event, cb as never);
      resolve(data);
    };
    emitter.bind(event, cb as never);
  });
  return withTimeout(p, what, ms);
}

export async function connected(client: PusherJS): Promise<string> {
  if (client.connection.state !== 'connected') await nextEvent(client.connection, 'connected', 'pusher-js to connect');
  return client.connection.socket_id;
}

/** Subscribes and waits for success; rejects on pusher:subscription_error. */
export async function subscribed(client: PusherJS, name: string): Promise<ReturnType<PusherJS['subscribe']>> {
  const channel = client.subscribe(name);
  if (channel.subscribed) return channel;
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', () => resolve());
      channel.bind('pusher:subscription_error', (e: unknown) => reject(new Error(`subscription_error on ${name}: ${JSON.stringify(e)}`)));
    }),
    `subscription to ${name}`,
  );
  return channel;
}

/** A message as pusher-js decoded it, before it reaches a channel. */
export interface ReceivedMessage {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
}

/** Records every message the client receives from now on, oldest first. */
export function recordMessages(client: PusherJS): ReceivedMessage[] {
  const messages: ReceivedMessage[] = [];
  client.connection.bind('message', (m: ReceivedMessage) => messages.push(m));
  return messages;
}

/** The first recorded message, already received or still to come, that matches. */
export function waitForMessage(
  messages: ReceivedMessage[],
  match: (m: ReceivedMessage) => boolean,
  what: string,
): Promise<ReceivedMessage> {
  return waitFor(() => messages.find(match), what) as Promise<ReceivedMessage>;
}
