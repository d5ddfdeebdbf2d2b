// The human-readable table printed after the JSON lines.
import type { ScenarioResult } from '../scenarios/common.js';

export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'workers', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server CPU/unit', 'client CPU/unit', 'server RSS', 'notes'];
  const rows = results.map((r) => [
    r.scenario,
    String(r.workers),
    r.throughputUnit ? `${formatNumber(r.throughput)} ${r.throughputUnit}` : '-',
    ms(r.latency?.p50Ms),
    ms(r.latency?.p95Ms),
    ms(r.latency?.p99Ms),
    ms(r.latency?.maxMs),
    r.serverCpuMicrosPerUnit === null ? '-' : `${r.serverCpuMicrosPerUnit} µs`,
    r.clientCpuMicrosPerUnit === null ? '-' : `${r.clientCpuMicrosPerUnit} µs`,
    r.serverRssBytes === null ? '-' : `${Math.round(r.serverRssBytes / (1024 * 1024))} MB`,
    [notes(r), ...r.problems].filter(Boolean).join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * One row per scenario and worker count out of repeated runs: the run whose
 * server CPU per unit is the median (a whole run, so its columns belong
 * together), with the spread of that figure over the runs in its notes.
 */
export function medianRuns(results: readonly ScenarioResult[]): ScenarioResult[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const key = `${r.scenario}\u0000${r.workers}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => {
    const measured = runs.filter((r) => r.serverCpuMicrosPerUnit !== null).sort((a, b) => (a.serverCpuMicrosPerUnit ?? 0) - (b.serverCpuMicrosPerUnit ?? 0));
    if (measured.length === 0) return runs[0] as ScenarioResult;
    const median = measured[Math.floor((measured.length - 1) / 2)] as ScenarioResult;
    const spread = `median of ${runs.length} runs (server CPU/unit ${measured[0]?.serverCpuMicrosPerUnit}–${measured[measured.length - 1]?.serverCpuMicrosPerUnit} µs)`;
    return { ...median, problems: [...new Set(runs.flatMap((r) => r.problems))], details: { ...median.details, repeat: spread } };
  });
}

function notes(r: ScenarioResult): string {
  const d = r.details;
  return [scenarioNotes(r), typeof d.repeat === 'string' ? d.repeat : ''].filter(Boolean).join('; ');
}

function scenarioNotes(r: ScenarioResult): string {
  const d = r.details;
  switch (r.scenario.replace(/ \[[^\]]+\]$/, '')) {
    case 'connect':
      return `${d.connections} in ${d.secondsToAllEstablished} s, ${d.serverRssPerConnectionKB} KB/conn`;
    case 'fanout':
    case 'fanout-saturation':
      return `${d.subscribers} subs, ${d.offeredMessagesPerSecond} msg/s offered, ratio ${d.deliveryRatio}, out of order ${d.outOfOrder}`;
    case 'publish':
      return `${d.concurrency} clients, ${d.errors} errors`;
    case 'channels':
      return `${d.channels} channels, ${d.offeredEventsPerSecond} events/s offered, ratio ${d.deliveryRatio}`;
    case 'presence':
      return `${d.churners} churners, ${d.offeredJoinsPerSecond} joins/s offered, latency = member_added`;
    case 'hold':
      return `${d.connections} held ${d.seconds} s, ${d.pongs}/${d.pingsSent} pongs, ${d.serverRssPerConnectionKB} KB/conn`;
    default:
      return '';
  }
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}

function formatNumber(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
