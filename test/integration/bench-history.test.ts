// The history scenario of `npm run bench` at a tiny size: it runs end to end
// against a real Herald and reports exact delivery and a whole replay, with
// history off and on. Behaviour only: the figures are not asserted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface BenchLine {
  scenario: string;
  problems: string[];
  details: Record<string, unknown>;
}

test('the history scenario measures fanout and publish with history off and on, and one replay of 1000 events', { timeout: 180_000 }, async () => {
  const args = ['--json', '--workers', '1', '--scenario', 'history', '--subscribers', '20', '--messages', '5', '--saturation-rate', '50', '--publish-seconds', '1', '--publish-concurrency', '2'];
  const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, timeout: 170_000 }, (err, out, errOut) => resolve({ stdout: out, stderr: errOut, failed: err !== null }));
  });
  assert.equal(failed, false, stderr);
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as BenchLine);
  assert.deepEqual(lines.map((l) => l.scenario), ['history-fanout-off', 'history-fanout-on', 'history-publish-off', 'history-publish-on', 'history-replay']);
  for (const line of lines) assert.deepEqual(line.problems, [], `${line.scenario}: ${line.problems.join('; ')}`);
  assert.deepEqual(lines.map((l) => l.details.history ?? 'replay'), [false, true, false, true, 'replay']);
  assert.equal(lines.at(-1)?.details.replayed, 1000);
});
