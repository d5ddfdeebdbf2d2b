// A thin layer over find-my-way: a handler returns the JSON to answer (or
// throws an HttpError), so every route answers errors the same way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Router from 'find-my-way';
import { HttpError } from './http-error.js';
import { sendJson } from './request.js';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Record<string, string | undefined>;
  readonly query: URLSearchParams;
}

/** Returns the body to send as JSON with 200, or undefined when the handler answered itself. */
export type RouteHandler = (ctx: RouteContext) => unknown;

export interface Routes {
  get(path: string, handler: RouteHandler): void;
  post(path: string, handler: RouteHandler): void;
}

export function routes(router: Router.Instance<Router.HTTPVersion.V1>, onError: (err: Error) => void): Routes {
  const add = (method: 'GET' | 'POST', path: string, handler: RouteHandler) =>
    router.on(method, path, (req, res, params) => {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      void (async () => {
        try {
          const body = await handler({ req, res, params, query });
          if (body !== undefined && !res.headersSent) sendJson(res, 200, body);
        } catch (err) {
          if (res.headersSent) return;
          if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
          onError(err as Error);
          sendJson(res, 500, { error: 'internal error' });
        }
      })();
    });
  return {
    get: (path, handler) => add('GET', path, handler),
    post: (path, handler) => add('POST', path, handler),
  };
}
