// The operator's endpoints: liveness (/health), readiness (/ready) and
// Prometheus metrics (/metrics). Health and readiness are on the main port,
// where load balancers look for them, and on the metrics port when there is
// one, which then alone serves /metrics so that the main port may face the
// internet.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type FindMyWay from 'find-my-way';
import type { Adapter } from '../adapter/adapter.js';
import { answer } from '../http/answer.js';
import { sendJson } from '../http/json.js';
import type { TokenGuard } from '../http/token-guard.js';
import { HttpError } from '../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import { WorkerMetricsError } from './worker-metrics.js';

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;

export function registerHealth(router: Router, adapter: Pick<Adapter, 'ready'>): void {
  router.on('GET', '/health', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  // Not ready while cluster-wide state is unreachable, so a load balancer sends new clients elsewhere.
  router.on('GET', '/ready', (_req, res) => (adapter.ready() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not ready' })));
}

export interface MetricsRouteDeps {
  /** The metrics in Prometheus text format: this process's, or every worker's summed. */
  readonly read: () => Promise<string>;
  readonly contentType: string;
  /**
   * The bearer token a scrape must present, with the budget of wrong ones per
   * client address (it is checked on every scrape, so a guesser would
   * otherwise get as many tries as requests); null: none.
   */
  readonly token: TokenGuard | null;
  readonly log: Logger;
}

/** `GET /metrics`, with `Authorization: Bearer <token>` when a metrics token is set. */
export function registerMetrics(router: Router, deps: MetricsRouteDeps): void {
  const how = { log: deps.log, what: 'metrics scrape' };
  router.on('GET', '/metrics', (req, res) =>
    answer(req, res, how, async () => {
      try {
        authorize(req, deps.token);
      } catch (err) {
        // Tells Prometheus (and curl users) which scheme is wanted; the realm names what the token is for.
        if (err instanceof HttpError && err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="herald metrics"');
        throw err;
      }
      const text = await deps.read().catch((err: unknown) => {
        if (!(err instanceof WorkerMetricsError)) throw err;
        deps.log.warn({ reason: err.message }, 'metrics scrape failed: the workers could not be read');
        throw new HttpError('unavailable', `Metrics unavailable: ${err.message}`);
      });
      res.writeHead(200, { 'content-type': deps.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return undefined;
    }),
  );
}

function authorize(req: IncomingMessage, token: TokenGuard | null): void {
  if (token === null) return;
  const authorization = req.headers.authorization;
  // No header at all is a scraper not set up yet, not a guess: it spends no budget.
  if (authorization === undefined) throw new HttpError('unauthorized', 'Metrics need the metrics token: send Authorization: Bearer <HERALD_METRICS_TOKEN>');
  const given = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
  if (!token.check(given, req)) throw new HttpError('unauthorized', 'Wrong metrics token');
}

/** Answers a request the router does not know: the same body on every listener. */
export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 404, { error: 'Not found' });
}
