// A lean client of Herald's signed HTTP API: requests are signed here with
// node:crypto exactly as the Pusher SDKs sign them, and sent over a
// keep-alive connection so that the benchmark measures the server, not TCP
// handshakes or the load generator's own HTTP client.
import { createHash, createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface AppCredentials {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly app: AppCredentials;
}

export interface BenchEvent {
  readonly channel: string;
  readonly name: string;
  readonly data: string;
}

/** The path and query of a signed POST with this body (auth_version 1.0, body_md5). */
export function signedPath(app: AppCredentials, path: string, body: string): string {
  const params: Array<[string, string]> = [
    ['auth_key', app.key],
    ['auth_timestamp', String(Math.floor(Date.now() / 1000))],
    ['auth_version', '1.0'],
    ['body_md5', createHash('md5').update(body).digest('hex')],
  ];
  const query = params.map(([k, v]) => `${k}=${v}`).join('&');
  const signature = createHmac('sha256', app.secret).update(`POST\n${path}\n${query}`).digest('hex');
  return `${path}?${query}&auth_signature=${signature}`;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection that sends each request as soon as it is made,
 * without waiting for the answers before it (HTTP/1.1 pipelining; the server
 * answers in order). Events so leave in a fixed order, as over one
 * connection, yet a busy server finds every request that has arrived since
 * its last turn and can handle them together, as it would the requests of a
 * back end's many concurrent workers.
 *
 * A server that closes its connection after every answer (Soketi does, with
 * `Connection: close`) cannot be pipelined to: what it read past the answer
 * it closed on is handled or dropped, the client cannot tell which. So the
 * first request goes alone, and its answer decides: kept alive, the rest are
 * pipelined; closed, they go one at a time, each on a new connection, still
 * in order.
 */
export class PipelinedApiClient {
  private socket: Socket | null = null;
  /** Requests not answered yet, oldest first; the first `written` of them are on the current connection. */
  private readonly waiting: Array<{ request: string; resolve(r: PostResult): void; reject(err: Error): void }> = [];
  private written = 0;
  private unread: Buffer = Buffer.alloc(0);
  private mode: 'unknown' | 'pipelined' | 'one-at-a-time' = 'unknown';
  private closed = false;

  constructor(private readonly target: Target) {
    this.socket = this.open();
  }

  trigger(event: BenchEvent): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/events`, JSON.stringify(event));
  }

  triggerBatch(events: readonly BenchEvent[]): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/batch_events`, JSON.stringify({ batch: events }));
  }

  post(path: string, body: string): Promise<PostResult> {
    const request =
      `POST ${signedPath(this.target.app, path, body)} HTTP/1.1\r\nHost: ${this.target.host}:${this.target.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  /** Writes what may be written now: everything when pipelining, else the oldest request once nothing is in flight. */
  private pump(): void {
    if (this.closed) return;
    const limit = this.mode === 'pipelined' ? this.waiting.length : Math.min(1, this.waiting.length);
    if (this.written >= limit) return;
    this.socket ??= this.open();
    for (; this.written < limit; this.written++) this.socket.write((this.waiting[this.written] as { request: string }).request);
  }

  private open(): Socket {
    const socket = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) this.read(chunk);
    });
    socket.on('error', (err: Error) => this.lost(socket, err));
    socket.on('close', () => this.lost(socket, new Error('the API connection closed')));
    return socket;
  }

  /** The connection ended with requests on it unanswered: those fail (never sent twice: they may have been handled). */
  private lost(socket: Socket, err: Error): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.unread = Buffer.alloc(0);
    for (const w of this.waiting.splice(0, this.written)) w.reject(err);
    this.written = 0;
    this.pump();
  }

  /** Answers arrive in order: each settles the oldest request still waiting. */
  private read(chunk: Buffer): void {
    this.unread = this.unread.length === 0 ? chunk : Buffer.concat([this.unread, chunk]);
    for (;;) {
      const headEnd = this.unread.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const head = this.unread.subarray(0, headEnd).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const bodyStart = headEnd + HEAD_END.length;
      if (this.unread.length < bodyStart + length) return;
      const status = Number(head.slice(9, 12));
      const body = this.unread.subarray(bodyStart, bodyStart + length).toString();
      this.unread = this.unread.subarray(bodyStart + length);
      this.written--;
      this.waiting.shift()?.resolve({ status, body });
      const closing = /\r\nconnection: *close/i.test(head);
      if (this.mode === 'unknown') this.mode = closing ? 'one-at-a-time' : 'pipelined';
      if (closing) {
        // The server is closing this one: the next request goes on a new connection.
        const done = this.socket;
        this.socket = null;
        this.unread = Buffer.alloc(0);
        done?.destroy();
        // Only a server that changed its mind has more on it: those may have been handled, so they fail rather than go twice.
        for (const w of this.waiting.splice(0, this.written)) w.reject(new Error('the server closed the connection with requests unanswered'));
        this.written = 0;
        this.pump();
        return;
      }
      this.pump();
    }
  }
}

/** A ~`bytes`-long JSON event payload carrying a sequence number and its send time. */
export function benchPayload(seq: number, sentAtMs: number, bytes: number): string {
  const head = `{"s":${seq},"t":${sentAtMs.toFixed(3)},"p":"`;
  const pad = Math.max(0, bytes - head.length - 2);
  return `${head}${'x'.repeat(pad)}"}`;
}

/** The channel auth signature a Pusher app back end would return for this socket and channel. */
export function channelAuth(app: AppCredentials, socketId: string, channel: string, channelData?: string): string {
  const message = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${createHmac('sha256', app.secret).update(message).digest('hex')}`;
}
