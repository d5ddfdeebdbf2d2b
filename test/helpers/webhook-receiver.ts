// A real HTTP endpoint receiving Herald's webhooks, as an app's back end
// would: each request is checked with the official `pusher` SDK's webhook
// helper (key and HMAC signature), and its events are kept in order.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import { APP } from './herald.js';

export interface ReceivedEvent {
  readonly name: string;
  readonly channel: string;
  readonly [field: string]: unknown;
}

/** An event with the `time_ms` of the request that carried it: what a receiver orders events by. */
export interface TimedEvent {
  readonly event: ReceivedEvent;
  readonly timeMs: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** Events of every accepted (2xx) request, in arrival order. */
  readonly events: ReceivedEvent[];
  /** The same events with their request's `time_ms`. */
  readonly timed: TimedEvent[];
  /** Every request that arrived, answered or not. */
  requests: number;
  /** Requests that did not pass the SDK's verification (wrong key or signature). */
  invalid: number;
  /** The next `n` requests are answered 500 (their events are not kept). */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { port?: number; secret?: string; key?: string } = {}): Promise<WebhookReceiver> {
  const verifier = new Pusher({ appId: APP.id, key: options.key ?? APP.key, secret: options.secret ?? APP.secret, host: '127.0.0.1' });
  let failing = 0;
  const receiver = {
    url: '',
    port: 0,
    events: [] as ReceivedEvent[],
    timed: [] as TimedEvent[],
    requests: 0,
    invalid: 0,
    failNext: (n: number) => {
      failing = n;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      if (failing > 0) {
        failing--;
        res.writeHead(500).end('not now');
        return;
      }
      const webhook = verifier.webhook({ headers: req.headers as Record<string, string>, rawBody: Buffer.concat(chunks).toString() });
      if (!webhook.isValid()) {
        receiver.invalid++;
        res.writeHead(401).end('invalid signature');
        return;
      }
      const events = webhook.getEvents() as unknown as ReceivedEvent[];
      receiver.events.push(...events);
      const timeMs = webhook.getTime().getTime();
      receiver.timed.push(...events.map((event) => ({ event, timeMs })));
      res.writeHead(200).end('ok');
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/pusher/webhooks`;
  return receiver;
}

/** A port nothing listens on (yet): webhooks sent there fail until a receiver starts on it. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Events named `name` (on `channel` when given). */
export const named = (events: readonly ReceivedEvent[], name: string, channel?: string) =>
  events.filter((e) => e.name === name && (channel === undefined || e.channel === channel));
