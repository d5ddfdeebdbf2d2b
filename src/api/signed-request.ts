// What every signed request of the HTTP API goes through before its route
// sees it, in this order: the app, the body (bounded), the signature over
// both, the app being enabled, and the app's request budget. The stats
// endpoint for tenants takes the same path.
import type { IncomingMessage } from 'node:http';
import type { AppRateLimiter, RateLimitedAction } from '../adapter/rate-limit.js';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import type { DomainEvents } from '../events/domain-events.js';
import { readBody } from '../http/body.js';
import type { Logger } from '../logging/logger.js';
import { HttpError, quoted } from '../protocol/errors.js';
import { splitTarget } from '../protocol/request-target.js';
import { verifySignature } from './signature.js';

export interface SignedRequestDeps {
  readonly apps: AppStore;
  readonly activity: DomainEvents;
  readonly log: Logger;
  readonly maxRequestBodyBytes: number;
  /** Per-app budgets: API requests and published events per second. */
  readonly rateLimits: AppRateLimiter;
}

/** A signed request that passed every check. */
export interface SignedRequest {
  readonly app: App;
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

export async function authenticate(deps: SignedRequestDeps, req: IncomingMessage, appId: string): Promise<SignedRequest> {
  const { pathname, query } = splitTarget(req.url ?? '/');
  const app = await deps.apps.findById(appId);
  if (!app) throw new HttpError('notFound', `No app with id '${quoted(appId)}'`);
  const body = await readBody(req, deps.maxRequestBodyBytes);
  verifySignature(app, req.method ?? 'GET', pathname, query, body);
  if (!app.enabled) throw new HttpError('forbidden', 'Application disabled');
  // Only signed requests count, so nobody but the app itself can spend its budget.
  await enforceRate(deps, app, 'api_request', app.apiRequestsPerSecond, 1);
  return { app, query, body };
}

const RATE_LIMITED_WHAT: Record<RateLimitedAction, string> = {
  api_request: 'HTTP API requests',
  backend_event: 'events (one per channel an event is sent to)',
};

/** Takes `cost` from the app's budget for `action`; a 429 saying which limit when it does not fit. */
export async function enforceRate(deps: SignedRequestDeps, app: App, action: RateLimitedAction, limit: number | null, cost: number): Promise<void> {
  if (limit === null) return;
  const decision = await deps.rateLimits.take(app.id, action, limit, cost);
  if (decision.allowed) return;
  // The 429 tells the caller; the activity feed lets metrics count rejections without a log line per request.
  deps.activity.emit('rate_limited', { appId: app.id, action, limit });
  deps.log.debug({ appId: app.id, action, limit, cost }, 'HTTP API request rate-limited');
  const asked = cost > 1 ? ` (this request carries ${cost})` : '';
  throw new HttpError(
    'tooManyRequests',
    `Rate limit exceeded: this app may send at most ${limit} ${RATE_LIMITED_WHAT[action]} per second${asked}; try again shortly`,
    Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
  );
}

