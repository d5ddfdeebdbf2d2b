// The container image, checked as an operator runs it: `docker run` with the
// data directory on a volume and settings in the environment, on the host's
// network (the engine here has no bridge). Run by `npm run test:image`
// (scripts/test-image.sh), which builds the image and names it in
// HERALD_TEST_IMAGE; it is not part of `npm test` (it needs a Docker engine).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { rid } from '../helpers/ids.js';
import { localOptions, PusherJS } from '../helpers/pusher-js.js';
import { connected, subscribed, waitFor, withTimeout } from '../helpers/wait.js';
import { named, startWebhookReceiver, unusedPort, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { docker, inspect, logsOf, removeAll } from './docker.js';

const IMAGE = process.env.HERALD_TEST_IMAGE ?? '';
const CONFORMANCE = resolve(import.meta.dirname, '../../../shared/conformance/run.sh');

/** The app of the conformance checks, and one whose webhooks go to a receiver on this machine. */
const CONFORMANCE_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
const HOOKS_APP = { id: 'hooks', key: 'hooks-key', secret: 'hooks-secret' };
/** The image's HERALD_SHUTDOWN_TIMEOUT_MS; `docker stop` waits a little longer before it kills. */
const SHUTDOWN_TIMEOUT_S = 8;
const STOP_GRACE_S = SHUTDOWN_TIMEOUT_S + 5;

const run = rid();
const volume = `herald-check-${run}`;
const containers: string[] = [];
const clients: PusherJS[] = [];
let receiver: WebhookReceiver | null = null;

const configDir = mkdtempSync(join(tmpdir(), 'herald-image-config-'));
after(async () => {
  for (const c of clients) c.disconnect();
  await receiver?.close();
  await removeAll(containers, [volume]);
  rmSync(configDir, { recursive: true, force: true });
});

const port = await unusedPort();
const receiverPort = await unusedPort();
const marker = `image-check-${run}`;

// Read by the unprivileged user inside the container.
chmodSync(configDir, 0o755);
writeFileSync(
  join(configDir, 'herald.json'),
  JSON.stringify({
    apps: [
      { ...CONFORMANCE_APP, clientEvents: true, userAuthentication: true },
      { ...HOOKS_APP, webhooks: [{ url: `http://127.0.0.1:${receiverPort}/hooks`, events: ['channel_occupied', 'channel_vacated'] }] },
    ],
  }),
  { mode: 0o644 },
);

/** `docker run` of the image on the shared volume, every setting in the environment. */
async function startContainer(name: string): Promise<string> {
  const env = {
    HERALD_CONFIG: '/etc/herald/herald.json',
    HERALD_PORT: String(port),
    HERALD_APP_STORE: 'sqlite',
    HERALD_WEBHOOK_BATCH_MS: '50',
    HERALD_WEBHOOK_RETRY_BASE_MS: '200',
    HERALD_WEBHOOK_RETRY_MAX_MS: '500',
  };
  containers.push(name);
  await docker(
    'run', '-d', '--name', name, '--network', 'host',
    // The image checks every 10 s; here every second, so that the wait is short. The command is the image's own.
    '--health-interval', '1s', '--health-start-period', '30s',
    '-v', `${volume}:/data`, '-v', `${configDir}:/etc/herald:ro`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    IMAGE,
  );
  await waitFor(
    async () => {
      const [running, health] = (await inspect(name, '{{.State.Running}} {{.State.Health.Status}}')).split(' ');
      if (running !== 'true') throw new Error(`the container stopped before it was healthy:\n${await logsOf(name)}`);
      return health === 'healthy';
    },
    'the container to be healthy',
    60_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await logsOf(name)}`);
  });
  return name;
}

function client(key: string): PusherJS {
  const c = new PusherJS(key, localOptions(port));
  clients.push(c);
  return c;
}

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** `herald apps …` inside the container, with its environment (the volume's SQLite store); the JSON it prints. */
async function apps(container: string, ...args: string[]): Promise<{ id: string; key: string }> {
  return JSON.parse(await docker('exec', container, 'herald', 'apps', ...args, '--json')) as { id: string; key: string };
}

describe(`the container image ${IMAGE || '(none given)'}`, () => {
  let first = '';
  let storedKey = '';

  test('is given by npm run test:image', () => {
    assert.ok(IMAGE !== '', 'HERALD_TEST_IMAGE is not set: run this check with `npm run test:image`, which builds the image');
  });

  test('runs and becomes healthy by its own HEALTHCHECK', async () => {
    first = await startContainer(`herald-check-${run}-1`);
  });

  test('runs Herald as PID 1 and not as root', async () => {
    const status = await docker('exec', first, 'cat', '/proc/1/status');
    const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    assert.ok(uid, status);
    assert.notEqual(uid[1], '0', 'the real uid of PID 1 is root');
    assert.notEqual(uid[2], '0', 'the effective uid of PID 1 is root');
    const cmdline = (await docker('exec', first, 'cat', '/proc/1/cmdline')).split('\0').join(' ');
    assert.match(cmdline, /^node \S*dist\/cli\/index\.js start/, 'PID 1 is Herald itself, so that it gets docker stop\'s SIGTERM');
  });

  test('keeps apps created with `herald apps` in the SQLite store of its volume, and serves them', async () => {
    const created = await apps(first, 'create', '--id', '4242');
    assert.equal(created.id, '4242');
    storedKey = created.key;
    const c = client(storedKey);
    await connected(c);
    c.disconnect();
  });

  test('passes the shared conformance checks', async () => {
    assert.ok(existsSync(CONFORMANCE), `${CONFORMANCE} not found: the conformance checks cannot run`);
    // Without NODE_TEST_CONTEXT: inherited from this run, it makes the checks' own `node --test` run nothing.
    const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
    const checks = spawn('bash', [CONFORMANCE], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...env, HOST: '127.0.0.1', PORT: String(port), APP_ID: CONFORMANCE_APP.id, APP_KEY: CONFORMANCE_APP.key, APP_SECRET: CONFORMANCE_APP.secret },
    });
    let output = '';
    checks.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    const [code] = (await once(checks, 'exit')) as [number | null];
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(output.trimEnd().split('\n').at(-1) ?? '');
    assert.ok(summary, 'the conformance run ended without its summary line (output above)');
    assert.equal(summary[2], '0', 'conformance checks failed (output above)');
    assert.ok(Number(summary[1]) > 0, 'the conformance run checked nothing');
    assert.equal(code, 0, 'the conformance run failed (output above)');
  });

  test('on docker stop, closes its pusher-js clients with 4200 and exits 0, keeping the webhooks it could not deliver', async () => {
    const c = client(HOOKS_APP.key);
    const closeCodes: number[] = [];
    // pusher-js reports the server's close code as an error event of the connection.
    c.connection.bind('error', (e: { data?: { code?: number }; error?: { data?: { code?: number } } }) => {
      const code = e.data?.code ?? e.error?.data?.code;
      if (code !== undefined) closeCodes.push(code);
    });
    await connected(c);
    await subscribed(c, marker);
    // Nothing listens at the receiver's port yet: the channel_occupied request fails and stays queued.
    await waitFor(async () => (await metric(/^herald_webhook_failures_total\{reason="network"\} (\d+)/m)) > 0, 'a failed webhook delivery', 15_000);
    assert.ok((await metric(/^herald_webhook_queue_depth (\d+)/m)) > 0, 'a webhook request is queued');

    await docker('stop', '-t', String(STOP_GRACE_S), first);
    await waitFor(() => closeCodes.includes(4200), 'pusher-js to be closed with 4200', 5000).catch((err: Error) => {
      throw new Error(`${err.message} (close codes seen: ${closeCodes.join(', ') || 'none'})`);
    });
    c.disconnect();
    const [exitCode, oomKilled] = (await inspect(first, '{{.State.ExitCode}} {{.State.OOMKilled}}')).split(' ');
    // 0, not 137: Herald finished its shutdown before docker stop's grace ran out and it was killed.
    assert.equal(exitCode, '0', await logsOf(first));
    assert.equal(oomKilled, 'false');
    assert.match(await logsOf(first), /"msg":"stopped"/, 'Herald logged the end of its graceful shutdown');
  });

  test('a new container on the same volume serves the stored apps and delivers the queued webhooks', async () => {
    assert.ok(storedKey !== '', 'the app was stored by an earlier test');
    receiver = await startWebhookReceiver({ port: receiverPort, key: HOOKS_APP.key, secret: HOOKS_APP.secret });
    await docker('rm', first);
    // The image runs any herald command given to `docker run`, here on the volume alone.
    const offline = JSON.parse(await docker('run', '--rm', '--network', 'none', '-v', `${volume}:/data`, '-e', 'HERALD_APP_STORE=sqlite', IMAGE, 'apps', 'show', '4242', '--json')) as { key: string };
    assert.equal(offline.key, storedKey);
    const second = await startContainer(`herald-check-${run}-2`);
    const shown = await apps(second, 'show', '4242');
    assert.equal(shown.key, storedKey);
    const c = client(storedKey);
    await connected(c);
    c.disconnect();
    const hooks = receiver;
    await withTimeout(
      waitFor(() => named(hooks.events, 'channel_occupied', marker).length > 0 && named(hooks.events, 'channel_vacated', marker).length > 0, 'the webhooks queued before the stop', 20_000),
      'the queued webhooks',
      21_000,
    );
    assert.equal(hooks.invalid, 0, 'every webhook was signed with the app secret');
    await docker('stop', '-t', String(STOP_GRACE_S), second);
    assert.equal(await inspect(second, '{{.State.ExitCode}}'), '0', await logsOf(second));
  });
});
