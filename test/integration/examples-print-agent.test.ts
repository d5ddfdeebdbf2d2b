// The print agent of examples/ as its own process (the command line a desktop
// would run) against a real Herald (keeping private-print-jobs' history) and
// the demo back end: jobs sent before it ever ran (caught up from the back
// end), while it is up, while its network is cut and while it is stopped
// (both replayed by Herald's resume), and while Herald itself is down (Herald
// restarts without its in-memory history: the resume fails, the agent catches
// up) are all printed, each exactly once; a job that cannot be printed is
// marked failed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDemoBackend, type DemoBackend } from '../../examples/backend/app.js';
import type { PrintJob } from '../../examples/backend/domain/print-jobs.js';
import { historyRules } from '../../examples/backend/events.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Starting the agent (tsx compiles it) and pusher-js finding a restarted Herald both take a while on a busy machine. */
const AGENT_WAIT_MS = 40_000;

let herald: RunningHerald | null;
let heraldPort: number;
let backend: DemoBackend;
let backendUrl: string;
let outDir: string;
let stateDir: string;
let staffToken: string;
/** Between the agent and Herald, to cut its network; the back end reaches Herald directly. */
let relay: TcpRelay;

const apps = [{ ...APP, history: [...historyRules] }];

before(async () => {
  herald = await startHerald({ apps });
  heraldPort = herald.port;
  relay = new TcpRelay(heraldPort);
  backend = createDemoBackend({
    herald: { appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: heraldPort },
    publicHeraldPort: await relay.listen(),
    port: 0,
    log: () => {},
  });
  backendUrl = `http://127.0.0.1:${await backend.listen()}`;
  outDir = mkdtempSync(join(tmpdir(), 'herald-print-agent-'));
  stateDir = mkdtempSync(join(tmpdir(), 'herald-print-agent-state-'));
  staffToken = (await call<{ token: string }>('POST', '/api/tokens', { username: 'luigi' })).token;
});

after(async () => {
  await backend?.close();
  await relay?.close();
  await herald?.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${backendUrl}${path}`, {
    method,
    headers: { ...(staffToken ? { authorization: `Bearer ${staffToken}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

const sendJob = (document: string, copies = 1) => call<PrintJob>('POST', '/api/print-jobs', { document, copies });

async function finished(ids: number[]): Promise<PrintJob[]> {
  const jobs = await waitFor(
    async () => {
      const jobs = await Promise.all(ids.map((id) => call<PrintJob>('GET', `/api/print-jobs/${id}`)));
      return jobs.every((j) => j.status === 'completed' || j.status === 'failed') ? jobs : null;
    },
    `print jobs ${ids.join(', ')} to be finished`,
    AGENT_WAIT_MS,
  );
  return jobs ?? [];
}

interface RunningAgent {
  readonly process: ChildProcess;
  readonly output: string[];
  stop(): Promise<void>;
}

function startAgent(): RunningAgent {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/print-agent/agent.ts', '--backend', backendUrl, '--out', outDir, '--state', join(stateDir, 'state.json')], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    output.push(...lines);
  });
  child.stderr!.on('data', (chunk: Buffer) => output.push(`stderr: ${chunk.toString('utf8')}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await withTimeout(exited, 'the print agent to exit', AGENT_WAIT_MS);
    },
  };
}

/** Waits for the agent to log a line starting with `prefix` after the first `from` lines. */
async function logged(agent: RunningAgent, prefix: string, from = 0): Promise<void> {
  await waitFor(() => agent.output.slice(from).some((line) => line.startsWith(prefix)), `the agent to log "${prefix}"`, AGENT_WAIT_MS);
}

test('no print job is lost: sent before the agent ran, while it is up, cut off, stopped, or Herald is down', async (t) => {
  const whileDown = [await sendJob('Receipt #1'), await sendJob('Receipt #2', 2)];

  let agent = startAgent();
  t.after(() => agent.stop());
  await finished(whileDown.map((j) => j.id));
  // Its first run: no serial to resume from, so it asks the back end.
  assert.ok(agent.output.some((line) => line.startsWith('catching up on 2 waiting job(s)')), agent.output.join('\n'));

  const whileUp = [await sendJob('Receipt #3'), await sendJob('   ')];
  const [third, blank] = await finished(whileUp.map((j) => j.id));
  assert.equal(third!.status, 'completed');
  assert.equal(blank!.status, 'failed');
  assert.equal(blank!.failureReason, 'nothing to print');

  // The agent's network drops; Herald keeps the job and replays it when the agent is back.
  relay.cut();
  await logged(agent, 'connection connecting');
  const beforeCut = agent.output.length;
  const whileCut = await sendJob('Receipt #4');
  relay.restore();
  await finished([whileCut.id]);
  await logged(agent, 'resumed: 1 job event(s) missed while away', beforeCut);
  assert.ok(!agent.output.slice(beforeCut).some((line) => line.startsWith('catching up')), agent.output.join('\n'));

  await agent.stop();
  const firstRun = agent.output;
  const whileStopped = [await sendJob('Receipt #5'), await sendJob('Receipt #6')];
  agent = startAgent();
  await finished(whileStopped.map((j) => j.id));
  // Restarted, it resumes from the serial its first run left in its state file: no catch-up needed.
  await logged(agent, 'resumed: 2 job event(s)');
  assert.ok(!agent.output.some((line) => line.startsWith('catching up')), agent.output.join('\n'));

  // Herald goes away: the back end cannot announce the job. Herald restarts with an empty history
  // (kept in memory), the agent cannot resume, and finds the job at the back end.
  await herald!.close();
  herald = null;
  const beforeRestart = agent.output.length;
  const whileHeraldDown = await sendJob('Receipt #7');
  herald = await startHerald({ apps, overrides: { port: heraldPort } });
  await finished([whileHeraldDown.id]);
  await logged(agent, 'could not resume (expired)', beforeRestart);

  const lastRun = agent.output;
  await agent.stop();

  const printedIds = [...whileDown, whileUp[0]!, whileCut, ...whileStopped, whileHeraldDown].map((j) => j.id).sort((a, b) => a - b);
  assert.deepEqual(
    readdirSync(outDir).sort(),
    printedIds.map((id) => `job-${id}.txt`).sort(),
  );
  assert.equal(readFileSync(join(outDir, `job-${whileDown[1]!.id}.txt`), 'utf8'), 'Receipt #2\n\f\nReceipt #2\n');
  // Heard of by event, by replay and by catch-up alike, every job was printed once.
  const printed = [...firstRun, ...lastRun].filter((line) => line.startsWith('printed job ')).map((line) => Number(line.slice('printed job '.length)));
  assert.deepEqual(printed.sort((a, b) => a - b), printedIds);
  const jobs = await call<PrintJob[]>('GET', '/api/print-jobs');
  assert.deepEqual(
    jobs.map((j) => [j.id, j.status]),
    jobs.map((j) => [j.id, j.id === blank!.id ? 'failed' : 'completed']),
  );
});
