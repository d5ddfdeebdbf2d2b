// Property-based fuzzing of every pure parser at Herald's edge: whatever a
// client, an HTTP caller or a config file hands them, they answer with their
// documented refusal (a problem string, an HttpError, a SettingsError) and
// never with any other exception.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { verifySignature } from '../../src/api/signature.js';
import { appSchema } from '../../src/apps/app-schema.js';
import { loadSettings, SettingsError } from '../../src/config/settings.js';
import { channelNameProblem, eventNameProblem, SERVER_TO_USER_PREFIX, userIdProblem } from '../../src/protocol/channel-names.js';
import { HttpError, quoted } from '../../src/protocol/errors.js';
import { dataAsObject, parseInboundFrame } from '../../src/protocol/frames.js';
import { hmacSha256Hex, md5Hex } from '../../src/protocol/signatures.js';
import { parseSendBody, parseSessionRoute, requestNumber } from '../../src/transport/http-session-protocol.js';
import { fitCloseReason, MAX_CLOSE_REASON_BYTES } from '../../src/transport/websocket/frame-writer.js';
import { anyJson } from './arbitraries.js';
import { fuzzParameters } from './fuzz-runs.js';

/** Text far past every length limit: ASCII, or two-, three- and four-byte characters (and lone surrogates). */
const longText = fc.oneof(
  fc.string({ minLength: 100, maxLength: 2000 }),
  fc.string({ unit: 'binary', minLength: 100, maxLength: 1000 }),
  fc.tuple(fc.constantFrom('', 'x', 'xy', 'xyz', 'presence-', 'private-'), fc.constantFrom('é', '鍵', '🎉', '\ud800', 'x'), fc.integer({ min: 40, max: 3000 })).map(
    ([prefix, char, n]) => prefix + char.repeat(n),
  ),
);

/** Text of every kind: ASCII, any code point (lone surrogates too), JSON-looking text, and very long text. */
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.json(), longText);

/** Frames shaped like Pusher's, with each field of any type. */
const frameLike = fc.record(
  {
    event: fc.oneof(fc.constantFrom('pusher:subscribe', 'pusher:ping', 'pusher:signin', 'client-x', ''), fc.string(), anyJson),
    channel: fc.oneof(fc.string(), anyJson),
    data: anyJson,
  },
  { requiredKeys: [] },
);

describe('fuzz: WebSocket frame parsing', () => {
  test('parseInboundFrame never throws and only accepts a string event', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, frameLike.map((f) => JSON.stringify(f))), (text) => {
        const parsed = parseInboundFrame(text);
        if (parsed.ok) {
          assert.equal(typeof parsed.frame.event, 'string');
          assert.ok(parsed.frame.event.length > 0);
          assert.ok(parsed.frame.channel === undefined || typeof parsed.frame.channel === 'string');
        } else {
          assert.equal(typeof parsed.problem, 'string');
        }
      }),
      fuzzParameters(2000),
    );
  });

  test('a well-formed frame always parses back to what was sent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), fc.option(fc.string({ unit: 'binary' }), { nil: undefined }), anyJson, (event, channel, data) => {
        const parsed = parseInboundFrame(JSON.stringify({ event, channel, data }));
        assert.ok(parsed.ok);
        assert.equal(parsed.frame.event, JSON.parse(JSON.stringify(event)));
      }),
      fuzzParameters(500),
    );
  });

  test('dataAsObject never throws and returns a plain object or null', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, anyText, anyJson.map((v) => JSON.stringify(v))), (data) => {
        const out = dataAsObject(data);
        assert.ok(out === null || (typeof out === 'object' && !Array.isArray(out)));
      }),
      fuzzParameters(2000),
    );
  });

  test('frames nested far deeper than any client sends are refused, not crashed on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 50_000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const text = `{"event":"pusher:subscribe","data":${open.repeat(depth)}1${close.repeat(depth)}}`;
        const parsed = parseInboundFrame(text);
        if (parsed.ok) assert.equal(dataAsObject(parsed.frame.data)?.channel, undefined);
      }),
      fuzzParameters(20),
    );
  });
});

describe('fuzz: client input quoted in refusals', () => {
  test('any close reason fits a WebSocket close frame, as a prefix of itself cut between characters', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, longText.map((text) => `Origin ${text} is not allowed to connect to this app`)), (reason) => {
        const fitted = fitCloseReason(reason);
        assert.ok(Buffer.byteLength(fitted) <= MAX_CLOSE_REASON_BYTES, `${Buffer.byteLength(fitted)} bytes`);
        if (fitted === reason) return;
        const kept = fitted.slice(0, -1);
        assert.ok(reason.startsWith(kept));
        assert.ok(!(/[\ud800-\udbff]/.test(kept.at(-1) ?? '') && /[\udc00-\udfff]/.test(reason[kept.length] ?? '')), 'a surrogate pair was split');
      }),
      fuzzParameters(2000),
    );
  });

  test('quoted input is at most the length asked for, plus the ellipsis', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 100 }), (input, maxChars) => {
        const text = quoted(input, maxChars);
        assert.ok(text.length <= maxChars + 1);
        assert.ok(input.startsWith(text.endsWith('…') && text !== input ? text.slice(0, -1) : text));
      }),
      fuzzParameters(2000),
    );
  });
});

describe('fuzz: names that become map and Redis keys', () => {
  test('an accepted channel name is bounded and cannot break out of a key', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.string({ unit: 'binary' }).map((s) => `presence-${s}`), fc.string().map((s) => SERVER_TO_USER_PREFIX + s)), (name) => {
        const problem = channelNameProblem(name);
        if (problem !== null) {
          assert.equal(typeof problem, 'string');
          return;
        }
        assert.ok(name.length > 0 && name.length <= 164);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(name, /[\u0000-\u001f\u007f]/);
        // ':' separates Redis key parts: only a user id (always the last part) may hold it.
        if (!name.startsWith(SERVER_TO_USER_PREFIX)) assert.match(name, /^[A-Za-z0-9_\-=@,.;]+$/);
      }),
      fuzzParameters(3000),
    );
  });

  test('user ids and event names are refused with a reason, never with an exception', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, anyJson), (value) => {
        const user = userIdProblem(value);
        if (user === null) {
          assert.equal(typeof value, 'string');
          assert.ok((value as string).length <= 200);
          // eslint-disable-next-line no-control-regex
          assert.doesNotMatch(value as string, /[\u0000-\u001f\u007f]/);
        }
        const event = eventNameProblem(value);
        if (event === null) assert.ok(typeof value === 'string' && value.length > 0 && value.length <= 200);
      }),
      fuzzParameters(2000),
    );
  });
});

describe('fuzz: HTTP API signatures', () => {
  const app = appSchema.parse({ id: 'fuzz-app', key: 'fuzz-key', secret: 'fuzz-secret' });
  const now = 1_700_000_000_000;

  /** Signs as the Pusher SDKs do, written here from the protocol's description. */
  function signedQuery(method: string, path: string, params: Record<string, string>, body: Buffer): URLSearchParams {
    const all: Record<string, string> = { ...params, auth_key: app.key, auth_timestamp: String(now / 1000), auth_version: '1.0' };
    if (body.length > 0) all.body_md5 = md5Hex(body);
    const text = Object.keys(all)
      .map((k) => [k.toLowerCase(), all[k]!] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const query = new URLSearchParams(all);
    query.set('auth_signature', hmacSha256Hex(app.secret, `${method}\n${path}\n${text}`));
    return query;
  }

  const paramName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/).filter((k) => !k.startsWith('auth_') && k !== 'body_md5');

  test('random query strings are refused with 401 and nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.constantFrom('auth_key', 'auth_timestamp', 'auth_signature', 'auth_version', 'body_md5'), fc.string()), anyText), { maxLength: 8 }),
        fc.constantFrom('GET', 'POST', 'get', 'DELETE'),
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ maxLength: 64 }),
        (pairs, method, path, body) => {
          const query = new URLSearchParams();
          for (const [k, v] of pairs) query.append(k, v);
          try {
            verifySignature(app, method, `/apps/fuzz-app${path}`, query, Buffer.from(body), now);
            assert.fail('a random request must not verify');
          } catch (err) {
            assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
            assert.equal(err.status, 401);
          }
        },
      ),
      fuzzParameters(2000),
    );
  });

  test('a signed request verifies, and any change to it does not', () => {
    fc.assert(
      fc.property(
        fc.dictionary(paramName, fc.string({ unit: 'grapheme' }), { maxKeys: 5 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.stringMatching(/^\/[a-z0-9_\-/]{0,30}$/),
        fc.nat(),
        (params, bodyText, suffix, flip) => {
          const body = Buffer.from(bodyText);
          const path = `/apps/fuzz-app${suffix}`;
          const query = signedQuery('POST', path, params, body);
          verifySignature(app, 'POST', path, query, body, now);
          const signature = query.get('auth_signature')!;
          const at = flip % signature.length;
          const tampered = new URLSearchParams(query);
          tampered.set('auth_signature', signature.slice(0, at) + (signature[at] === '0' ? '1' : '0') + signature.slice(at + 1));
          assert.throws(() => verifySignature(app, 'POST', path, tampered, body, now), (err: unknown) => err instanceof HttpError && err.status === 401);
          assert.throws(() => verifySignature(app, 'POST', `${path}x`, query, body, now), (err: unknown) => err instanceof HttpError && err.status === 401);
          assert.throws(() => verifySignature(app, 'POST', path, query, Buffer.concat([body, Buffer.from('!')]), now), (err: unknown) => err instanceof HttpError && err.status === 401);
        },
      ),
      fuzzParameters(500),
    );
  });

  test('a timestamp outside the 600 s window is refused even with a valid signature', () => {
    fc.assert(
      fc.property(fc.integer({ min: 601, max: 10_000_000 }), fc.boolean(), (skew, ahead) => {
        const query = signedQuery('GET', '/apps/fuzz-app/channels', {}, Buffer.alloc(0));
        const at = now + (ahead ? skew : -skew) * 1000;
        assert.throws(() => verifySignature(app, 'GET', '/apps/fuzz-app/channels', query, Buffer.alloc(0), at), /Timestamp expired/);
      }),
      fuzzParameters(300),
    );
  });
});

describe('fuzz: HTTP fallback session protocol', () => {
  const segment = fc.oneof(fc.string(), fc.constantFrom('app', 'xhr', 'xhr_send', 'xhr_streaming', '..', '.', '%E0%A4%A', 'k'), fc.string({ unit: 'binary' }));

  test('parseSessionRoute never throws and accepts only its own paths', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 9 }), (parts) => {
        const route = parseSessionRoute(`/${parts.join('/')}`);
        if (route === null) return;
        assert.ok(['xhr_streaming', 'xhr', 'xhr_send'].includes(route.action));
        for (const part of route.sessionKey.split('/').slice(-2)) assert.ok(part.length > 0 && part.length <= 64);
      }),
      fuzzParameters(3000),
    );
  });

  test('parseSendBody takes a JSON array of strings and refuses anything else with 400', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, anyJson.map((v) => JSON.stringify(v)), fc.array(fc.string({ unit: 'binary' })).map((a) => JSON.stringify(a))), (text) => {
        try {
          const frames = parseSendBody(Buffer.from(text));
          assert.ok(Array.isArray(frames) && frames.every((f) => typeof f === 'string'));
        } catch (err) {
          assert.ok(err instanceof HttpError && err.status === 400, `expected a 400, got ${String(err)}`);
        }
      }),
      fuzzParameters(2000),
    );
  });

  test('requestNumber never throws and finds only a safe whole number', () => {
    const query = fc.array(fc.oneof(fc.string(), fc.constantFrom('n=', 'n=7', 't=1', 'n=-1', 'n=1e3', 'n=99999999999999999999'), fc.nat().map((v) => `n=${v}`)), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(fc.string(), query, (path, parts) => {
        const n = requestNumber(`${path}?${parts.join('&')}`);
        if (n !== null) assert.ok(Number.isSafeInteger(n) && n >= 0, String(n));
      }),
      fuzzParameters(2000),
    );
  });
});

describe('fuzz: config files and the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-fuzz-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  const anyValue = fc.oneof(anyJson, fc.string({ unit: 'binary' }), fc.integer(), fc.constant(-1), fc.constant(0), fc.double());
  const appLike = fc.record(
    {
      id: anyValue,
      key: anyValue,
      secret: anyValue,
      enabled: anyValue,
      maxConnections: anyValue,
      allowedOrigins: anyValue,
      clientEventsPerSecond: anyValue,
    },
    { requiredKeys: [] },
  );
  const configLike = fc.record(
    {
      host: anyValue,
      port: anyValue,
      logLevel: anyValue,
      activityTimeoutSeconds: anyValue,
      consoleToken: anyValue,
      adapter: anyValue,
      redisUrl: anyValue,
      workers: anyValue,
      maxBufferedBytes: anyValue,
      apps: fc.oneof(anyValue, fc.array(appLike, { maxLength: 3 })),
      unknownSetting: anyValue,
    },
    { requiredKeys: [] },
  );
  const envLike = fc.dictionary(
    fc.constantFrom('HERALD_PORT', 'HERALD_LOG_LEVEL', 'HERALD_ACTIVITY_TIMEOUT', 'HERALD_APP_ID', 'HERALD_APP_KEY', 'HERALD_APP_SECRET', 'HERALD_WORKERS', 'HERALD_ADAPTER', 'HERALD_NODE_TIMEOUT_MS', 'HERALD_CONSOLE_TOKEN', 'HERALD_MAX_BUFFERED_BYTES', 'HERALD_APP_STORE'),
    fc.string({ unit: 'binary' }),
    { maxKeys: 5 },
  );

  test('loadSettings returns settings or throws SettingsError, whatever the file and environment say', () => {
    fc.assert(
      fc.property(fc.oneof(configLike.map((c) => JSON.stringify(c)), anyText, fc.constant('')), envLike, (text, env) => {
        const path = join(dir, `config-${n++}.json`);
        writeFileSync(path, text);
        try {
          const settings = loadSettings({ env: { ...env, HERALD_CONFIG: path } });
          assert.ok(settings.apps.length > 0 || settings.appStore !== 'static');
          assert.ok(settings.port >= 0 && settings.port <= 65535);
        } catch (err) {
          assert.ok(err instanceof SettingsError, `expected a SettingsError, got ${(err as Error)?.constructor?.name}: ${String(err)}`);
          assert.ok(err.message.length > 0);
        }
      }),
      fuzzParameters(1000),
    );
  });

  test('a config file that does not exist is a SettingsError naming it', () => {
    assert.throws(() => loadSettings({ env: { HERALD_CONFIG: join(dir, 'missing.json') } }), (err: unknown) => err instanceof SettingsError && /missing\.json/.test(err.message));
  });
});
