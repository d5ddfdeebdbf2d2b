import type { OutgoingHttpHeaders } from 'node:http';

/** What a JSON answer is written to: an HTTP response, or a reply forwarded to another node. */
export interface JsonAnswerTarget {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  end(text?: string): unknown;
}

/** Answers with a JSON body, unless an answer has already begun. */
export function sendJson(res: JsonAnswerTarget, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
