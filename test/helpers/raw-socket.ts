// A raw WebSocket to Herald, for protocol edge cases no real client produces
// (bad frames, wrong paths, missing protocol versions, a client that never
// answers pings). Everything a real client can do, tests do with pusher-js.
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { WAIT_MS, withTimeout } from './wait.js';

/** A frame as the server sent it; `data` is the JSON string protocol 7 uses. */
export interface ServerFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface RawSocket {
  readonly ws: WebSocket;
  /** Every frame received so far, in order. */
  readonly frames: ServerFrame[];
  /** Resolves once the socket has closed, with the server's close code. */
  readonly closed: Promise<CloseInfo>;
  /** Sends a string as is, anything else JSON-encoded. */
  send(frame: unknown): void;
  /**
   * The first frame matching `match` after the last one a previous `next`
   * returned, received already or still to come.
   */
  next(match: (frame: ServerFrame) => boolean, what: string, ms?: number): Promise<ServerFrame>;
  /** The next frame named `event`. */
  nextEvent(event: string, ms?: number): Promise<ServerFrame>;
  /** Sends `pusher:ping` and waits for the `pusher:pong` that answers it. */
  pingPong(): Promise<void>;
}

export interface RawSocketOptions {
  /** The request path and query; defaults to `/app/{key}?protocol=7…`. */
  readonly path?: string;
  readonly key?: string;
  readonly origin?: string;
  /** The address to connect from (any of 127.0.0.0/8 on Linux), to be another client address. */
  readonly localAddress?: string;
  /** More request headers of the upgrade (`x-forwarded-for`, as a proxy would add). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const PUSHER_JS_QUERY = 'protocol=7&client=js&version=8.6.0&flash=false';

/** Opens a raw WebSocket to a running Herald; terminated when the test ends. */
export function rawSocket(port: number, t: TestContext | null, options: RawSocketOptions = {}): RawSocket {
  const path = options.path ?? `/app/${options.key ?? 'test-key'}?${PUSHER_JS_QUERY}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
    handshakeTimeout: WAIT_MS,
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  const frames: ServerFrame[] = [];
  const listeners = new Set<() => void>();
  let cursor = 0;

  ws.on('message', (data: Buffer) => {
    frames.push(parseServerFrame(data.toString()));
    for (const listener of [...listeners]) listener();
  });
  // Failures surface through `closed` and the waits; an unhandled 'error' would crash the run.
  ws.on('error', () => {});
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
  t?.after(() => ws.terminate());

  const next = (match: (frame: ServerFrame) => boolean, what: string, ms = WAIT_MS): Promise<ServerFrame> => {
    const take = (): ServerFrame | undefined => {
      for (let i = cursor; i < frames.length; i++) {
        const frame = frames[i]!;
        if (match(frame)) {
          cursor = i + 1;
          return frame;
        }
      }
      return undefined;
    };
    const found = take();
    if (found) return Promise.resolve(found);
    let listener: () => void = () => {};
    const waiting = new Promise<ServerFrame>((resolve) => {
      listener = () => {
        // Several frames can arrive in one tick: stop listening at once, so
        // this wait never takes a frame meant for the next one.
        const frame = take();
        if (!frame) return;
        listeners.delete(listener);
        resolve(frame);
      };
      listeners.add(listener);
    });
    return withTimeout(waiting, `${what} (received so far: ${JSON.stringify(frames).slice(0, 400)})`, ms).finally(() =>
      listeners.delete(listener),
    );
  };

  const socket: RawSocket = {
    ws,
    frames,
    closed,
    send: (frame) => {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else ws.once('open', () => ws.send(text));
    },
    next,
    nextEvent: (event, ms) => next((f) => f.event === event, event, ms),
    pingPong: async () => {
      const pong = next((f) => f.event === 'pusher:pong', 'pusher:pong');
      socket.send({ event: 'pusher:ping', data: {} });
      await pong;
    },
  };
  return socket;
}

/** The decoded `data` of a server frame (protocol 7 sends it as a JSON string). */
export function frameData<T = Record<string, unknown>>(frame: ServerFrame): T {
  return (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data) as T;
}

/** Waits for the server to close the socket. */
export function closedBy(socket: RawSocket, what = 'the server to close the socket', ms = WAIT_MS): Promise<CloseInfo> {
  return withTimeout(socket.closed, what, ms);
}

function parseServerFrame(text: string): ServerFrame {
  try {
    return JSON.parse(text) as ServerFrame;
  } catch {
    return { event: '(not JSON)', data: text };
  }
}
