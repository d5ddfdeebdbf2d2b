// The one error path of Herald's HTTP edge: every route's work throws a
// catalogued HttpError (protocol/errors.ts) to refuse, and this turns it into
// its status, `Retry-After` when it has one, and a JSON `{error}` naming the
// problem. Anything else is a bug: logged, and a 500 that says nothing more.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { HttpError, HttpErrors } from '../protocol/errors.js';
import { sendJson } from './json.js';

export interface AnswerOptions {
  readonly log: Logger;
  /** What failed, for the log line of an unexpected error ("HTTP API request", "console request"). */
  readonly what: string;
  /** Headers every answer of these routes carries (the console's security headers). */
  readonly headers?: OutgoingHttpHeaders;
}

/**
 * Runs a route's work and answers for it: its result as JSON with 200, or
 * the error it threw. A result of `undefined` means the work answered by
 * itself (a stream).
 */
export function answer(req: IncomingMessage, res: ServerResponse, options: AnswerOptions, work: () => Promise<unknown>): void {
  work().then(
    (result) => {
      if (result !== undefined) sendJson(res, 200, result, options.headers);
    },
    (err: unknown) => answerError(req, res, options, err),
  );
}

export function answerError(req: IncomingMessage, res: ServerResponse, options: AnswerOptions, err: unknown): void {
  if (err instanceof HttpError) {
    const retry = err.retryAfterSeconds === undefined ? {} : { 'retry-after': String(err.retryAfterSeconds) };
    sendJson(res, err.status, { error: err.message }, { ...options.headers, ...retry });
    return;
  }
  options.log.error({ err, url: req.url?.split('?')[0] }, `${options.what} failed`);
  sendJson(res, HttpErrors.internal, { error: 'Internal server error' }, options.headers);
}
