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
 */
export class PipelinedApiClient {
  private readonly socket: Socket;
  private readonly waiting: Array<{ resolve(r: PostResult): void; reject(err: Error): void }> = [];
  private unread: Buffer = Buffer.alloc(0);

  constructor(private readonly target: Target) {
    this.socket = connect({ host: target.host, port: target.port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    const failAll = (err: Error) => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.socket.on('error', failAll);
    this.socket.on('close', () => failAll(new Error('the API connection closed')));
  }

  trigger(event: BenchEvent): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/events`, JSON.stringify(event));
  }

  triggerBatch(events: readonly BenchEvent[]): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/batch_events`, JSON.stringify({ batch: events }));
  }

  post(path: string, body: string): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(
        `POST ${signedPath(this.target.app, path, body)} HTTP/1.1\r\nHost: ${this.target.host}:${this.target.port}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
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
      this.waiting.shift()?.resolve({ status, body });
    }
  }

  close(): void {
    this.socket.destroy();
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
