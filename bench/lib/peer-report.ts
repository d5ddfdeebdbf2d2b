// The table of `--peer`: Herald's figures against the peer's, scenario by
// scenario, as ratios taken round by round (each Herald round is paired with
// the peer's round right after it) and summed up by their median and range.
import type { ScenarioResult } from '../scenarios/common.js';

interface Figure {
  readonly label: string;
  readonly unit: string;
  /** Whether a larger value is the better one (throughput) or the smaller (CPU, latency, memory). */
  readonly higherIsBetter: boolean;
  read(r: ScenarioResult): number | null;
}

const numberIn = (r: ScenarioResult, key: string): number | null => {
  const v = r.details[key];
  return typeof v === 'number' ? v : null;
};

const UNIT_OF_WORK: Record<string, string> = {
  'connections/s': 'connection',
  'deliveries/s': 'delivery',
  'triggers/s': 'trigger',
  'joins/s': 'join',
};

function figuresOf(scenario: string, sample: ScenarioResult): Figure[] {
  const unit = UNIT_OF_WORK[sample.throughputUnit] ?? 'unit';
  if (scenario === 'hold') {
    return [
      { label: 'connections held', unit: '', higherIsBetter: true, read: (r) => r.throughput },
      { label: 'RSS per connection', unit: 'KB', higherIsBetter: false, read: (r) => numberIn(r, 'serverRssPerConnectionKB') },
      { label: 'CPU while holding', unit: '%', higherIsBetter: false, read: (r) => numberIn(r, 'serverCpuPercentWhileHolding') },
    ];
  }
  const figures: Figure[] = [
    { label: `server CPU per ${unit}`, unit: 'µs', higherIsBetter: false, read: (r) => r.serverCpuMicrosPerUnit },
  ];
  if (scenario === 'connect') {
    figures.push({ label: 'RSS per connection', unit: 'KB', higherIsBetter: false, read: (r) => numberIn(r, 'serverRssPerConnectionKB') });
  }
  figures.push(
    { label: sample.throughputUnit, unit: '', higherIsBetter: true, read: (r) => r.throughput || null },
    { label: 'p99 latency', unit: 'ms', higherIsBetter: false, read: (r) => r.latency?.p99Ms ?? null },
  );
  return figures;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function show(value: number, unit: string): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 100) / 100);
  return unit ? `${rounded} ${unit}` : rounded;
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/**
 * One row per scenario and figure for which both servers gave a value in
 * the same rounds. `peer` is the label the peer's results carry
 * (`connect [soketi]`).
 */
export function formatPeerComparison(results: readonly ScenarioResult[], peer: string): string {
  const suffix = ` [${peer}]`;
  const ours = new Map<string, ScenarioResult[]>();
  const theirs = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    if (r.workers !== 1) continue;
    if (r.scenario.endsWith(suffix)) {
      const name = r.scenario.slice(0, -suffix.length);
      theirs.set(name, [...(theirs.get(name) ?? []), r]);
    } else if (!r.scenario.includes('[')) {
      ours.set(r.scenario, [...(ours.get(r.scenario) ?? []), r]);
    }
  }
  const header = ['scenario', 'figure', 'Herald', peer, `Herald/${peer}`, 'range', 'Herald is'];
  const rows: string[][] = [];
  let rounds = 0;
  for (const [scenario, peerRuns] of theirs) {
    const heraldRuns = ours.get(scenario) ?? [];
    const pairs = Math.min(heraldRuns.length, peerRuns.length);
    if (pairs === 0) continue;
    rounds = Math.max(rounds, pairs);
    const troubled = [...heraldRuns, ...peerRuns].some((r) => r.problems.length > 0);
    for (const figure of figuresOf(scenario, heraldRuns[0] as ScenarioResult)) {
      const ratios: number[] = [];
      const h: number[] = [];
      const p: number[] = [];
      for (let i = 0; i < pairs; i++) {
        const a = figure.read(heraldRuns[i] as ScenarioResult);
        const b = figure.read(peerRuns[i] as ScenarioResult);
        if (a === null || b === null) continue;
        h.push(a);
        p.push(b);
        if (b > 0) ratios.push(a / b);
      }
      if (h.length === 0) continue;
      const m = ratios.length ? median(ratios) : null;
      // Within 1 %: the same (5 000 deliveries/s offered and delivered by both is not a defeat).
      const ahead = m === null ? '-' : Math.abs(m - 1) < 0.01 ? 'even' : m < 1 !== figure.higherIsBetter ? 'ahead' : 'behind';
      rows.push([
        scenario,
        figure.label,
        show(median(h), figure.unit),
        show(median(p), figure.unit),
        m === null ? '-' : ratio(m),
        ratios.length > 1 ? `${ratio(Math.min(...ratios))}–${ratio(Math.max(...ratios))}` : '-',
        troubled ? `${ahead} (a run had problems: see above)` : ahead,
      ]);
    }
  }
  if (rows.length === 0) return `no ${peer} results to compare with`;
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const title = `Herald against ${peer}, one process each, ${rounds === 1 ? 'one round' : `median of ${rounds} alternating rounds (range: the lowest and highest ratio of a round)`}:`;
  return [title, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
