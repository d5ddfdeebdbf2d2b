// `npm run bench` at a tiny size: every scenario runs end to end against a
// real Herald (and the baseline broadcaster) and reports exact delivery with
// no problems. Behaviour only: the figures themselves are not asserted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface BenchLine {
  scenario: string;
  workers: number;
  throughput: number;
  serverCpuMicrosPerUnit: number | null;
  problems: string[];
  details: Record<string, unknown>;
}

function runBench(args: string[]): Promise<{ code: number; lines: BenchLine[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--json', ...args], { cwd: ROOT, timeout: 240_000 }, (err, stdout, stderr) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as BenchLine);
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, lines, stderr });
    });
  });
}

test('every scenario of the benchmark runs at a small size and delivers exactly what it sent', { timeout: 300_000 }, async () => {
  const { code, lines, stderr } = await runBench([
    '--workers', '1',
    '--baseline',
    '--scenario', 'connect,fanout,publish,channels,presence,transports',
    '--connections', '60',
    '--subscribers', '40',
    '--messages', '10',
    '--rate', '50',
    '--saturation-rate', '100',
    '--saturation-seconds', '1',
    '--publish-seconds', '1',
    '--publish-concurrency', '4',
    '--channels', '30',
    '--channel-rate', '200',
    '--channel-seconds', '1',
    '--presence-channels', '3',
    '--presence-churners', '12',
    '--presence-rate', '30',
    '--presence-seconds', '1',
    '--transport-clients', '2',
    '--transport-messages', '5',
    '--transport-rate', '50',
  ]);
  const names = lines.map((l) => l.scenario);
  assert.deepEqual(names, [
    'connect',
    'connect [baseline]',
    'fanout',
    'fanout-saturation',
    'fanout [baseline]',
    'fanout-saturation [baseline]',
    'publish',
    'publish [baseline]',
    'channels',
    'presence',
    'transport-ws',
    'transport-xhr_streaming',
    'transport-xhr_polling',
  ], stderr);
  for (const line of lines) {
    assert.deepEqual(line.problems, [], `${line.scenario}: ${line.problems.join('; ')}`);
    assert.ok(line.throughput > 0, `${line.scenario} did some work`);
    // /proc counts CPU in 10 ms ticks: at this size a figure may round to 0, but it must be measured.
    assert.ok(line.serverCpuMicrosPerUnit !== null && line.serverCpuMicrosPerUnit >= 0, `${line.scenario} measured the server's CPU`);
  }
  const byName = new Map(lines.map((l) => [l.scenario, l]));
  assert.equal(byName.get('connect')?.details.established, 60);
  for (const name of ['fanout', 'fanout-saturation', 'fanout [baseline]', 'fanout-saturation [baseline]']) {
    assert.equal(byName.get(name)?.details.deliveryRatio, 1, name);
    assert.equal(byName.get(name)?.details.outOfOrder, 0, name);
  }
  for (const name of ['channels', 'transport-ws', 'transport-xhr_streaming', 'transport-xhr_polling']) {
    assert.equal(byName.get(name)?.details.deliveryRatio, 1, name);
  }
  assert.equal(code, 0);
});

test('a bad flag is refused with the usage, before anything starts', async () => {
  const { code, lines, stderr } = await runBench(['--scenario', 'nonsense']);
  assert.equal(code, 2);
  assert.equal(lines.length, 0);
  assert.match(stderr, /unknown scenario 'nonsense'/);
});

test('--peer takes only a known peer, and never with a running server (--port), before anything starts', async () => {
  const unknown = await runBench(['--peer', 'nonsense']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.lines.length, 0);
  assert.match(unknown.stderr, /unknown peer 'nonsense': choose from soketi/);
  const external = await runBench(['--peer', 'soketi', '--port', '6001']);
  assert.equal(external.code, 2);
  assert.match(external.stderr, /--peer starts its own servers/);
});
