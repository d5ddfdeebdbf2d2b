import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import WebSocket, { WebSocketServer } from 'ws';
import { MAX_HEAD_BYTES, readUpgradeHead, switchingProtocols, type HeadReading, type UpgradeHead } from './upgrade-head.js';

const PLAIN = { deflate: false } as const;
const DEFLATE = { deflate: true } as const;

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A head as Chrome sends it to Herald (pusher-js's path and query), lines joined with CR LF. */
function browserHead(overrides: Readonly<Record<string, string | null>> = {}, requestLine = 'GET /app/test-key?protocol=7&client=js&version=8.6.0&flash=false HTTP/1.1'): string {
  const headers: Record<string, string | null> = {
    Host: 'ws.example.com',
    Connection: 'Upgrade',
    Pragma: 'no-cache',
    'Cache-Control': 'no-cache',
    'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    Upgrade: 'websocket',
    Origin: 'https://app.example.com',
    'Sec-WebSocket-Version': '13',
    'Accept-Encoding': 'gzip, deflate, br, zstd',
    'Accept-Language': 'en-US,en;q=0.9',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
    ...overrides,
  };
  const lines = Object.entries(headers).flatMap(([name, value]) => (value === null ? [] : [`${name}: ${value}`]));
  return `${requestLine}\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A minimal valid head, with `extra` header lines added before the blank line. */
function minimalHead(extra: string[] = [], target = '/app/k'): string {
  return [`GET ${target} HTTP/1.1`, 'Host: h', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13', ...extra, '', ''].join('\r\n');
}

const readText = (head: string, rules: { deflate: boolean } = PLAIN): HeadReading => readUpgradeHead(Buffer.from(head, 'latin1'), rules);

function accepted(reading: HeadReading): UpgradeHead {
  assert.equal(typeof reading, 'object', `expected an upgrade head, got ${JSON.stringify(reading)}`);
  return reading as UpgradeHead;
}

/** The exact bytes a `ws` client sends to open a WebSocket, caught by a plain TCP server. */
async function wsClientHead(path: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const connection = once(server, 'connection') as Promise<[Socket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
  client.on('error', () => {});
  const [socket] = await connection;
  const chunks: Buffer[] = [];
  while (!Buffer.concat(chunks).includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    chunks.push(chunk);
  }
  client.terminate();
  socket.destroy();
  server.close();
  return Buffer.concat(chunks);
}

describe('readUpgradeHead: what real clients send', () => {
  test('a ws client (as pusher-js on Node) is served: target, key, and a length that ends at the blank line', async () => {
    const head = await wsClientHead('/app/test-key?protocol=7&client=js&version=8.6.0&flash=false', { perMessageDeflate: false, origin: 'https://origin.example' });
    const reading = accepted(readUpgradeHead(head, PLAIN));
    assert.equal(reading.target, '/app/test-key?protocol=7&client=js&version=8.6.0&flash=false');
    assert.match(reading.key, /^[+/0-9A-Za-z]{22}==$/);
    assert.ok(head.toString('latin1').includes(`Sec-WebSocket-Key: ${reading.key}\r\n`));
    assert.equal(reading.origin, 'https://origin.example');
    assert.equal(reading.forwardedFor, undefined);
    assert.equal(reading.length, head.length);
    assert.equal(head.subarray(reading.length - 4, reading.length).toString(), '\r\n\r\n');
  });

  test('a ws client offering permessage-deflate (its default) is served when deflate is off, and is elsewhere when it is on', async () => {
    const head = await wsClientHead('/app/test-key');
    assert.match(head.toString(), /Sec-WebSocket-Extensions: permessage-deflate/i);
    assert.equal(accepted(readUpgradeHead(head, PLAIN)).target, '/app/test-key');
    assert.equal(readUpgradeHead(head, DEFLATE), 'elsewhere');
  });

  test('a ws client asking for a subprotocol is elsewhere', async () => {
    const head = await wsClientHead('/app/test-key', { perMessageDeflate: false }, ['foo']);
    assert.equal(readUpgradeHead(head, PLAIN), 'elsewhere');
  });

  test('a browser-like head: target with query, key, origin; nothing forwarded', () => {
    const head = browserHead();
    const reading = accepted(readText(head));
    assert.deepEqual(reading, {
      target: '/app/test-key?protocol=7&client=js&version=8.6.0&flash=false',
      key: KEY,
      origin: 'https://app.example.com',
      forwardedFor: undefined,
      forwarded: undefined,
      length: Buffer.byteLength(head),
    });
  });

  test('Firefox-style "Connection: keep-alive, Upgrade" is served', () => {
    accepted(readText(browserHead({ Connection: 'keep-alive, Upgrade' })));
  });

  test('header names in any case, and "WebSocket" in any case, are served', () => {
    const lower = minimalHead()
      .replace(/^([^:\r\n]+):/gm, (_, name: string) => `${name.toLowerCase()}:`)
      .replace('upgrade: websocket', 'upgrade: WebSocket')
      .replace('connection: Upgrade', 'connection: UPGRADE');
    assert.match(lower, /\r\nsec-websocket-key: /);
    accepted(readText(lower));
  });

  test('Connection tokens spread over several lines are all read', () => {
    const split = minimalHead(['Connection: Upgrade']).replace('Connection: Upgrade\r\n', 'Connection: keep-alive\r\n');
    assert.match(split, /Connection: keep-alive\r\n[^]*Connection: Upgrade\r\n/);
    accepted(readText(split));
  });

  test('every X-Forwarded-For line is joined, in order, as one list', () => {
    const head = browserHead({ 'X-Forwarded-For': '203.0.113.7, 10.0.0.1', 'X-Real-IP': '1.1.1.1' }).replace('\r\n\r\n', '\r\nx-forwarded-for:   198.51.100.2  \r\nX-FORWARDED-FOR: 10.0.0.2\r\n\r\n');
    assert.equal(accepted(readText(head)).forwardedFor, '203.0.113.7, 10.0.0.1, 198.51.100.2, 10.0.0.2');
  });

  test('every Forwarded line is joined, in order, as one list; none: undefined', () => {
    const head = browserHead({}).replace('\r\n\r\n', '\r\nForwarded: for=203.0.113.7;proto=https\r\nforwarded:  for="[2001:db8::1]"  \r\n\r\n');
    assert.equal(accepted(readText(head)).forwarded, 'for=203.0.113.7;proto=https, for="[2001:db8::1]"');
    assert.equal(accepted(readText(browserHead({}))).forwarded, undefined);
  });

  test('no Origin: origin is undefined', () => {
    assert.equal(accepted(readText(browserHead({ Origin: null }))).origin, undefined);
  });

  test('header values are trimmed of surrounding spaces and tabs', () => {
    const reading = accepted(readText(minimalHead(['Origin: \t https://o.example \t']).replace(`Sec-WebSocket-Key: ${KEY}`, `Sec-WebSocket-Key:   ${KEY}  `)));
    assert.equal(reading.origin, 'https://o.example');
    assert.equal(reading.key, KEY);
  });

  test('the bytes after the head are left alone: length points at the first frame', () => {
    const head = Buffer.from(minimalHead());
    const frames = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]);
    // A frame that itself holds CR LF CR LF must not confuse the reader either.
    const tricky = Buffer.concat([Buffer.from([0x81, 0x84, 0, 0, 0, 0]), Buffer.from('\r\n\r\n')]);
    const bytes = Buffer.concat([head, frames, tricky]);
    const reading = accepted(readUpgradeHead(bytes, PLAIN));
    assert.equal(reading.length, head.length);
    assert.deepEqual(bytes.subarray(reading.length), Buffer.concat([frames, tricky]));
  });
});

describe('readUpgradeHead: incomplete', () => {
  test('every proper prefix of a valid head is incomplete', () => {
    const head = Buffer.from(browserHead());
    for (let n = 0; n < head.length; n++) {
      assert.equal(readUpgradeHead(head.subarray(0, n), PLAIN), 'incomplete', `prefix of ${n} bytes: ${JSON.stringify(head.subarray(0, n).toString())}`);
    }
    accepted(readUpgradeHead(head, PLAIN));
  });

  test('a head whose only missing part is the final CR LF is still incomplete', () => {
    assert.equal(readText(minimalHead().slice(0, -2)), 'incomplete');
    assert.equal(readText(minimalHead().slice(0, -1)), 'incomplete');
  });

  test('a prefix of another request is elsewhere as soon as it differs from "GET /app/"', () => {
    assert.equal(readText('G'), 'incomplete');
    assert.equal(readText('GET /ap'), 'incomplete');
    assert.equal(readText('GET /apps'), 'elsewhere');
    assert.equal(readText('POST'), 'elsewhere');
    assert.equal(readText('\x16\x03\x01'), 'elsewhere'); // a TLS ClientHello on a plain port
  });
});

describe('readUpgradeHead: elsewhere', () => {
  const elsewhere: [string, string][] = [
    ['the HTTP API path /apps/…', minimalHead([], '/apps/test-app/events')],
    ['GET /health', minimalHead([], '/health')],
    ['GET /', minimalHead([], '/')],
    ['a path that only starts like /app', minimalHead([], '/application/x')],
    ['POST to /app/…', minimalHead().replace(/^GET/, 'POST')],
    ['a lowercase method', minimalHead().replace(/^GET/, 'get')],
    ['HTTP/1.0', minimalHead().replace('HTTP/1.1', 'HTTP/1.0')],
    ['HTTP/2.0', minimalHead().replace('HTTP/1.1', 'HTTP/2.0')],
    ['no HTTP version', minimalHead().replace(' HTTP/1.1', '')],
    ['a space inside the target', minimalHead([], '/app/k ey')],
    ['a non-ASCII byte in the target', minimalHead([], '/app/k\xe9')],
    ['no Host', minimalHead().replace('Host: h\r\n', '')],
    ['two Host lines', minimalHead(['Host: other'])],
    ['no Upgrade', minimalHead().replace('Upgrade: websocket\r\n', '')],
    ['Upgrade: h2c', minimalHead().replace('Upgrade: websocket', 'Upgrade: h2c')],
    ['two Upgrade lines', minimalHead(['Upgrade: websocket'])],
    ['no Connection', minimalHead().replace('Connection: Upgrade\r\n', '')],
    ['Connection without the upgrade token', minimalHead().replace('Connection: Upgrade', 'Connection: keep-alive')],
    ['Connection with a token that only contains "upgrade"', minimalHead().replace('Connection: Upgrade', 'Connection: upgraded')],
    ['no Sec-WebSocket-Version', minimalHead().replace('Sec-WebSocket-Version: 13\r\n', '')],
    ['Sec-WebSocket-Version: 8', minimalHead().replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8')],
    ['Sec-WebSocket-Version: 13, 8', minimalHead().replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 13, 8')],
    ['two Sec-WebSocket-Version lines', minimalHead(['Sec-WebSocket-Version: 13'])],
    ['no Sec-WebSocket-Key', minimalHead().replace(`Sec-WebSocket-Key: ${KEY}\r\n`, '')],
    ['a key that is not base64', minimalHead().replace(KEY, 'not a key at all!!!!!!==')],
    ['a key of 15 bytes', minimalHead().replace(KEY, Buffer.alloc(15, 1).toString('base64'))],
    ['a key of 17 bytes', minimalHead().replace(KEY, Buffer.alloc(17, 1).toString('base64'))],
    ['a key whose last character leaves bits set', minimalHead().replace(KEY, 'dGhlIHNhbXBsZSBub25jZR==')],
    ['two Sec-WebSocket-Key lines', minimalHead([`Sec-WebSocket-Key: ${KEY}`])],
    ['a subprotocol', minimalHead(['Sec-WebSocket-Protocol: foo'])],
    ['an empty subprotocol header', minimalHead(['Sec-WebSocket-Protocol:'])],
    ['Content-Length', minimalHead(['Content-Length: 0'])],
    ['Transfer-Encoding', minimalHead(['Transfer-Encoding: chunked'])],
    // Folded lines that also hold a colon, so that only the fold (not a missing colon) can send them elsewhere.
    ['an obs-fold line (space)', minimalHead(['Origin: https://a.example', ' continued: https://b.example'])],
    ['an obs-fold line (tab)', minimalHead(['X-Thing: a', '\tSec-WebSocket-Protocol: foo'])],
    ['an obs-fold line with no colon', minimalHead(['X-Thing: a', ' continued'])],
    ['a header line without a colon', minimalHead(['NoColonHere'])],
    ['a header name with a space', minimalHead(['X Thing: a'])],
    ['a space between a header name and its colon', minimalHead(['X-Thing : a'])],
    ['an empty header name', minimalHead([': a'])],
    ['a header name with a separator', minimalHead(['X(Thing): a'])],
    ['a header name with a non-ASCII byte', minimalHead(['X-Th\xe9: a'])],
    ['a lone LF ending a line', minimalHead().replace('Host: h\r\n', 'Host: h\n')],
    ['a lone CR inside a line', minimalHead(['X-Thing: a\rb'])],
    ['a lone LF inside a value', minimalHead(['X-Thing: a\nb'])],
    ['a lone LF after the request line', minimalHead().replace('HTTP/1.1\r\n', 'HTTP/1.1\n')],
    ['two Origin lines', minimalHead(['Origin: https://a.example', 'Origin: https://b.example'])],
    ['a NUL in Origin', minimalHead(['Origin: https://a.example\x00.evil'])],
    ['an ESC in Origin', minimalHead(['Origin: https://a\x1b[31m.example'])],
    ['DEL in Origin', minimalHead(['Origin: https://a.example\x7f'])],
    ['a control character in X-Forwarded-For', minimalHead(['X-Forwarded-For: 1.2.3.4\x01'])],
  ];
  for (const [name, head] of elsewhere) {
    test(name, () => {
      assert.equal(readText(head), 'elsewhere');
      assert.equal(readText(head, DEFLATE), 'elsewhere');
    });
  }

  // RFC 9110 §5.5 takes only spaces and tabs from around a value: String.prototype.trim would also
  // strip VT, FF and NBSP (silently dropping what Node's parser refuses, or keeps).
  test(
    'a VT or FF at either end of Origin or X-Forwarded-For is a control character: elsewhere, as Node refuses it',
    () => {
      for (const line of ['Origin: https://a.example\x0b', 'Origin: \x0chttps://a.example', 'X-Forwarded-For: 203.0.113.7\x0b']) {
        assert.equal(readText(minimalHead([line])), 'elsewhere', JSON.stringify(line));
      }
    },
  );

  test(
    'an Origin ending in a no-break space (0xA0, obs-text) keeps it, as Node does: the same origin on both paths',
    () => {
      assert.equal(accepted(readText(minimalHead(['Origin: https://a.example\xa0']))).origin, 'https://a.example\xa0');
    },
  );

  test(
    'a control character in Host, or in another token of Connection, is elsewhere, as Node refuses it',
    () => {
      assert.equal(readText(minimalHead().replace('Host: h', 'Host: a\x01b')), 'elsewhere');
      assert.equal(readText(minimalHead().replace('Connection: Upgrade', 'Connection: Upgrade, \x01')), 'elsewhere');
    },
  );

  test('control checks: a tab in Origin is allowed, as it is in any header value', () => {
    assert.equal(accepted(readText(minimalHead(['Origin: https://a.example\tx']))).origin, 'https://a.example\tx');
  });

  test('the minimal head those cases start from is served', () => {
    assert.deepEqual(accepted(readText(minimalHead())), { target: '/app/k', key: KEY, origin: undefined, forwardedFor: undefined, forwarded: undefined, length: minimalHead().length });
  });

  test('a permessage-deflate offer is elsewhere when deflate is on, and served when it is off', () => {
    for (const offer of ['permessage-deflate', 'permessage-deflate; client_max_window_bits', 'x-webkit-deflate-frame, PerMessage-Deflate']) {
      const head = minimalHead([`Sec-WebSocket-Extensions: ${offer}`]);
      assert.equal(readText(head, DEFLATE), 'elsewhere', offer);
      accepted(readText(head, PLAIN));
    }
    // Another extension, which nobody agrees to, does not send the client elsewhere.
    accepted(readText(minimalHead(['Sec-WebSocket-Extensions: x-webkit-deflate-frame']), DEFLATE));
    // A second Sec-WebSocket-Extensions line is read too.
    assert.equal(readText(minimalHead(['Sec-WebSocket-Extensions: foo', 'Sec-WebSocket-Extensions: permessage-deflate']), DEFLATE), 'elsewhere');
  });

  test('a head longer than MAX_HEAD_BYTES is elsewhere, whole or not', () => {
    const padding = `X-Padding: ${'p'.repeat(MAX_HEAD_BYTES)}`;
    assert.equal(readText(minimalHead([padding])), 'elsewhere');
    // No blank line yet, but already past the limit: not waited for.
    assert.equal(readText(minimalHead([padding]).slice(0, MAX_HEAD_BYTES + 100)), 'elsewhere');
    assert.equal(readText(minimalHead([padding]).slice(0, MAX_HEAD_BYTES)), 'elsewhere');
  });

  test('a head just under MAX_HEAD_BYTES is served', () => {
    const base = minimalHead(['X-Padding: ']).length;
    const head = minimalHead([`X-Padding: ${'p'.repeat(MAX_HEAD_BYTES - base - 10)}`]);
    assert.ok(head.length < MAX_HEAD_BYTES);
    accepted(readText(head));
  });

  test('property: random bytes never make it throw, and are rarely served', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withPrefix) => {
        const input = withPrefix ? Buffer.concat([Buffer.from('GET /app/'), bytes]) : Buffer.from(bytes);
        const reading = readUpgradeHead(input, PLAIN);
        assert.ok(reading === 'incomplete' || reading === 'elsewhere' || typeof reading === 'object');
      }),
      { seed: 20261203, numRuns: 500 },
    );
  });

  test('property: any header line that holds a lone CR or LF makes the head elsewhere', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.constantFrom('\r', '\n'), fc.string({ maxLength: 20 }), (before, stray, after) => {
        const line = `X-Stray: ${before}${stray}${after}`.replace(/\r\n/g, '');
        // Skip inputs where the stray becomes part of a CR LF pair or of the blank line.
        fc.pre(!/\r\n/.test(line) && !line.endsWith('\r') && !line.startsWith('\n'));
        assert.equal(readText(minimalHead([line])), 'elsewhere');
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });
});

describe('switchingProtocols', () => {
  test('RFC 6455 §1.3: key dGhlIHNhbXBsZSBub25jZQ== is accepted as s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
    const answer = switchingProtocols(KEY);
    assert.equal(
      answer,
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });

  test('the accept value is the SHA-1 of key + GUID for any key', () => {
    const key = Buffer.alloc(16, 0xab).toString('base64');
    const expected = hash('sha1', `${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`, 'base64');
    assert.match(switchingProtocols(key), new RegExp(`\r\nSec-WebSocket-Accept: ${expected.replace(/[+/]/g, '\\$&')}\r\n\r\n$`));
  });

  test('a ws client accepts the answer and opens', async () => {
    const server = createServer((socket) => {
      let got = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        const reading = readUpgradeHead(got, PLAIN);
        if (typeof reading === 'object') socket.write(switchingProtocols(reading.key));
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = new WebSocket(`ws://127.0.0.1:${port}/app/k`, { perMessageDeflate: false });
    try {
      await once(client, 'open');
      assert.equal(client.readyState, WebSocket.OPEN);
    } finally {
      client.terminate();
      server.close();
    }
  });
});

describe('readUpgradeHead agrees with Node and ws', () => {
  test('property: a head it serves is one Node and ws serve too, with the same target and origin', async () => {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    let seen: { url: string | undefined; origin: string | undefined } | null = null;
    const server = createHttpServer((_req, res) => res.end());
    server.on('upgrade', (req, socket, head) => {
      seen = { url: req.url, origin: req.headers.origin };
      wss.handleUpgrade(req, socket, head, (client) => client.terminate());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    /** The status line Node (and ws, for an upgrade) answers `bytes` with. */
    const nodeAnswer = (bytes: Buffer) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
        let got = '';
        socket.on('data', (chunk: Buffer) => {
          got += chunk.toString('latin1');
          if (got.includes('\r\n')) socket.destroy();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      });

    // Values of visible ASCII, spaces, tabs and obs-text; not the control characters and the
    // no-break space the tests above are about.
    const piece = fc.oneof(
      fc.string({ maxLength: 6 }).map((t) => [...t].filter((c) => c >= ' ' && c !== '\x7f').join('')),
      fc.constantFrom(' ', '\t', ',', ';', ':', 'é', 'ÿ', 'upgrade', 'Upgrade', 'websocket', '13', 'keep-alive', 'permessage-deflate'),
    );
    const value = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));
    const name = fc.constantFrom(
      ...['Origin', 'origin', 'X-Forwarded-For', 'Host', 'Upgrade', 'Connection', 'Sec-WebSocket-Version', 'Sec-WebSocket-Key', 'Sec-WebSocket-Extensions', 'User-Agent'],
      // Names that are not tokens, which Node refuses.
      ...['X Thing', 'Origin ', '', 'X(y)', 'X@y', 'Xé', 'X"y', "X!#$%&'*+-.^_`|~y"],
    );
    const required = ['Host: h', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13', 'Origin: https://o.example'];
    const target = fc.constantFrom('/app/k', '/app/test-key?protocol=7&client=js', '/app/k%20y', '/app/k/', '/app/', '/app/k?a=%ZZ');
    let served = 0;
    try {
      await fc.assert(
        fc.asyncProperty(target, fc.subarray(required, { minLength: 4 }), fc.array(fc.tuple(name, value), { maxLength: 3 }), async (path, base, extra) => {
          const lines = [...base, ...extra.map(([n, v]) => `${n}: ${v}`)];
          const bytes = Buffer.from([`GET ${path} HTTP/1.1`, ...lines, '', ''].join('\r\n'), 'latin1');
          const direct = readUpgradeHead(bytes, PLAIN);
          if (typeof direct !== 'object') return;
          served++;
          seen = null;
          const status = await nodeAnswer(bytes);
          assert.match(status, /^HTTP\/1\.1 101 /, `Node answers ${status} to ${JSON.stringify(lines)}`);
          assert.deepEqual(seen, { url: direct.target, origin: direct.origin });
        }),
        { seed: 20261203, numRuns: 300 },
      );
    } finally {
      wss.close();
      server.close();
    }
    assert.ok(served > 30, `only ${served} heads were served: the property checked too little`);
  });
});
