/**
 * The path and query of a request target as HTTP/1.1 servers receive it
 * (origin form, `/path?query`). Cheaper than a whole URL, and the path stays
 * exactly as the client wrote it, which is what request signatures cover.
 */
export function splitTarget(target: string): { pathname: string; query: URLSearchParams } {
  const mark = target.indexOf('?');
  return mark < 0
    ? { pathname: target, query: new URLSearchParams() }
    : { pathname: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) };
}
