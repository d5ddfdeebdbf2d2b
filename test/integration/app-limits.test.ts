// The per-app limits of the HTTP API, exceeded with the real pusher SDK while
// pusher-js clients listen: channels per event (400), events per second
// (429) and requests per second (429). A refused event reaches nobody, the
// answer says which limit it hit, and one app's limits never touch another's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hmacSha256Hex } from '../../src/protocol/signatures.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { outcome, type Outcome } from '../helpers/sdk.js';
import { connected, recordMessages, subscribed, waitFor, waitForMessage } from '../helpers/wait.js';

const NARROW = { id: 'narrow-app', key: 'narrow-key', secret: 'narrow-secret', maxChannelsPerEvent: 2 };
const EVENTS = { id: 'events-app', key: 'events-key', secret: 'events-secret', backendEventsPerSecond: 3 };
const REQUESTS = { id: 'requests-app', key: 'requests-key', secret: 'requests-secret', apiRequestsPerSecond: 3 };
/** Sequential requests sent to find the limit: far more than any window allows, so a 429 must come. */
const MAX_ATTEMPTS = 60;

let h: RunningHerald;
before(async () => {
  h = await startHerald({ apps: [{ ...APP, clientEvents: true, userAuthentication: true }, NARROW, EVENTS, REQUESTS] });
});
after(() => h.close());

const sdkFor = (app: { id: string; key: string; secret: string }) => h.sdk({ appId: app.id, key: app.key, secret: app.secret });

test('an event to more channels than the app allows is refused with 400 and reaches none of them', async (t) => {
  const names = [`a-${rid()}`, `b-${rid()}`, `c-${rid()}`];
  const client = h.client(t, {}, NARROW.key);
  const messages = recordMessages(client);
  await connected(client);
  for (const name of names) await subscribed(client, name);
  const sdk = sdkFor(NARROW);

  assert.equal((await outcome(sdk.trigger(names.slice(0, 2), 'two', {}))).status, 200);
  const refused = await outcome(sdk.trigger(names, 'three', {}));
  assert.equal(refused.status, 400);
  assert.match(JSON.parse(refused.body).error, /at most 2 channels per event/);

  await sdk.trigger(names[2]!, 'control', {});
  await waitForMessage(messages, (m) => m.event === 'control', 'the control event');
  assert.deepEqual(messages.filter((m) => m.event === 'two').map((m) => m.channel).sort(), names.slice(0, 2).sort());
  assert.equal(messages.filter((m) => m.event === 'three').length, 0);
  // The default (100) for the other app on the server.
  assert.equal((await outcome(h.sdk().trigger(names, 'three', {}))).status, 200);
});

test('backend events over the per-second limit get 429 with a JSON error; the refused ones reach nobody', async (t) => {
  const name = `limited-${rid()}`;
  const client = h.client(t, {}, EVENTS.key);
  const messages = recordMessages(client);
  await connected(client);
  await subscribed(client, name);
  const sdk = sdkFor(EVENTS);

  // More events in one request than a second allows: refused whatever the timing.
  const batch = [1, 2, 3, 4].map((n) => ({ channel: name, name: `batch-${n}`, data: '{}' }));
  const tooBig = await outcome(sdk.triggerBatch(batch));
  assert.equal(tooBig.status, 429);
  assert.match(JSON.parse(tooBig.body).error, /at most 3 events .* per second \(this request carries 4\)/);

  const accepted: string[] = [];
  let refused: { event: string; outcome: Outcome } | undefined;
  for (let i = 0; i < MAX_ATTEMPTS && !refused; i++) {
    const event = `single-${i}`;
    const result = await outcome(sdk.trigger(name, event, { i }));
    if (result.status === 200) accepted.push(event);
    else refused = { event, outcome: result };
  }
  assert.ok(refused, `no 429 after ${MAX_ATTEMPTS} events to an app allowing 3 per second`);
  assert.equal(refused.outcome.status, 429);
  assert.match(JSON.parse(refused.outcome.body).error, /Rate limit exceeded: this app may send at most 3 events/);

  // Budget comes back with the next second.
  const control = await waitFor(async () => (await outcome(sdk.trigger(name, 'control', {}))).status === 200, 'the next second to allow events again');
  assert.ok(control);
  await waitForMessage(messages, (m) => m.event === 'control', 'the control event');
  const delivered = messages.filter((m) => m.channel === name && m.event.startsWith('single-')).map((m) => m.event);
  assert.deepEqual(delivered, accepted);
  assert.equal(messages.filter((m) => m.event.startsWith('batch-')).length, 0);
});

test('HTTP API requests over the per-second limit get 429 with Retry-After; other apps are not limited', async () => {
  const sdk = sdkFor(REQUESTS);
  let refused: Outcome | undefined;
  for (let i = 0; i < MAX_ATTEMPTS && !refused; i++) {
    const result = await outcome(sdk.get({ path: '/channels' }));
    if (result.status !== 200) refused = result;
  }
  assert.ok(refused, `no 429 after ${MAX_ATTEMPTS} requests to an app allowing 3 per second`);
  assert.equal(refused.status, 429);
  assert.match(JSON.parse(refused.body).error, /at most 3 HTTP API requests per second/);
  // An unlimited app on the same server is answered meanwhile.
  assert.equal((await outcome(h.sdk().get({ path: '/channels' }))).status, 200);

  // The raw answer: JSON error and a Retry-After the SDKs could honour.
  let raw: Response | undefined;
  for (let i = 0; i < MAX_ATTEMPTS && !raw; i++) {
    const res = await signedGet(REQUESTS, `/apps/${REQUESTS.id}/channels`);
    if (res.status === 429) raw = res;
    else await res.arrayBuffer();
  }
  assert.ok(raw, 'a raw request over the limit is refused too');
  assert.match(raw.headers.get('content-type') ?? '', /application\/json/);
  assert.ok(Number(raw.headers.get('retry-after')) >= 1);
  assert.match(((await raw.json()) as { error: string }).error, /HTTP API requests per second/);
});

/** A GET signed as the SDKs sign it. */
function signedGet(app: { key: string; secret: string }, path: string): Promise<Response> {
  const params: Record<string, string> = { auth_key: app.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = hmacSha256Hex(app.secret, `GET\n${path}\n${query}`);
  return fetch(`${h.url}${path}?${query}&auth_signature=${signature}`);
}

