// A reverse proxy in front of Herald that passes plain HTTP through
// (streamed, so long responses arrive as they are written) and refuses every
// WebSocket upgrade, like the corporate proxies the HTTP fallback is for. It
// can hold chosen requests back, as a slower connection would, so that a
// request made later reaches Herald first.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BlockingProxy {
  readonly port: number;
  /** Path (with query) of every HTTP request passed through, oldest first. */
  readonly requests: string[];
  /** The same paths in the order they were passed on to Herald, after any hold. */
  readonly forwarded: string[];
  /** How many WebSocket upgrades were refused. */
  readonly refusedUpgrades: number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** How long to hold a request (by path) before passing it on; 0 or nothing passes it at once. */
  holdMs?: (path: string) => number;
}

export async function startWebSocketBlockingProxy(targetPort: number, options: ProxyOptions = {}): Promise<BlockingProxy> {
  const requests: string[] = [];
  const forwarded: string[] = [];
  let refusedUpgrades = 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const forward = () => {
      forwarded.push(path);
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      // A client that gives up on a request gives up on it upstream too.
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    };
    const hold = options.holdMs?.(path) ?? 0;
    if (hold > 0) setTimeout(forward, hold);
    else forward();
  });
  server.on('upgrade', (_req, socket) => {
    refusedUpgrades++;
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    forwarded,
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
