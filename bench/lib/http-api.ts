// A lean client of Herald's signed HTTP API: requests are signed here with
// node:crypto exactly as the Pusher SDKs sign them, and sent over keep-alive
// connections so that the benchmark measures the server, not TCP handshakes.
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';

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

export class HttpApiClient {
  private readonly agent: Agent;

  /** `connections` keep-alive sockets; with one, requests are sent strictly in order. */
  constructor(
    private readonly target: Target,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  trigger(event: BenchEvent): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/events`, JSON.stringify(event));
  }

  /** Up to 10 events in one request (`batch_events`). */
  triggerBatch(events: readonly BenchEvent[]): Promise<PostResult> {
    return this.post(`/apps/${this.target.app.id}/batch_events`, JSON.stringify({ batch: events }));
  }

  post(path: string, body: string): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.target.host,
          port: this.target.port,
          method: 'POST',
          path: signedPath(this.target.app, path, body),
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('HTTP API request timed out after 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
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
