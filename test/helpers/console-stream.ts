// Reads the debug console's Server-Sent Events stream the way the page does, for tests without a browser.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { withTimeout } from './wait.js';

export interface StreamMessage {
  event: string;
  data: { type?: string; event?: string; channel?: string; socketId?: string; [k: string]: unknown };
}

/** Reads an app's console stream; `until` waits (bounded) for the first message that matches. */
export function openConsoleStream(t: TestContext, baseUrl: string, appId: string, token: string) {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const seen: StreamMessage[] = [];
  const waiters: Array<{ match: (m: StreamMessage) => boolean; resolve: (m: StreamMessage) => void }> = [];
  const response = fetch(`${baseUrl}/console/api/apps/${appId}/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const ready = (async () => {
    const res = await response;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const message = { event, data: JSON.parse(data) } as StreamMessage;
          seen.push(message);
          for (const w of waiters.splice(0)) {
            if (w.match(message)) w.resolve(message);
            else waiters.push(w);
          }
        }
      }
    })();
  })();
  return {
    seen,
    ready,
    until(match: (m: StreamMessage) => boolean, what: string): Promise<StreamMessage> {
      const already = seen.find(match);
      if (already) return Promise.resolve(already);
      return withTimeout(new Promise((resolve) => waiters.push({ match, resolve })), what);
    },
  };
}
