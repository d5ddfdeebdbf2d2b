// `npm run bench`: runs the scenarios against a fresh Herald each (or a given
// server) and prints one JSON line per scenario, then a table of them all.
// Benchmarks print figures; they assert nothing.
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { BASELINE_SCENARIOS, DEFAULT_SCENARIOS, PEER_SCENARIOS, parseOptions, USAGE, type BenchOptions, type ScenarioName } from './options.js';
import { channelsScenario } from './scenarios/channels.js';
import { clusterScenario } from './scenarios/cluster.js';
import type { ScenarioContext, ScenarioResult } from './scenarios/common.js';
import { connectScenario } from './scenarios/connect.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { historyScenario, historyServerEnv } from './scenarios/history.js';
import { holdScenario } from './scenarios/hold.js';
import { presenceScenario } from './scenarios/presence.js';
import { publishScenario } from './scenarios/publish.js';
import { transportsScenario } from './scenarios/transports.js';
import { SOKETI_PEER_DIR, soketiMissing, soketiSetupCommand, startSoketi } from './lib/peer.js';
import { formatPeerComparison } from './lib/peer-report.js';
import { formatTable, medianRuns } from './lib/report.js';
import { cliSupportsWorkers, ensureBuilt, externalServer, startHerald, type Baseline, type ServerUnderTest } from './lib/server.js';

/** Who serves a run: Herald, the minimal broadcaster of bench/baseline/, or the peer. */
type Served = 'herald' | 'baseline' | 'peer';

/** `cluster` starts its own nodes and Redis, so it is run apart (see main). */
const RUNNERS: Record<Exclude<ScenarioName, 'cluster'>, (ctx: ScenarioContext) => Promise<ScenarioResult | ScenarioResult[]>> = {
  connect: connectScenario,
  fanout: fanoutScenario,
  publish: publishScenario,
  channels: channelsScenario,
  presence: presenceScenario,
  transports: transportsScenario,
  hold: holdScenario,
  history: historyScenario,
};

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const log = (message: string) => {
    if (!options.jsonOnly) console.error(`[bench] ${message}`);
  };

  let workerCounts = options.workers;
  if (!options.external) {
    ensureBuilt();
    const supportsWorkers = cliSupportsWorkers();
    if (workerCounts.length === 0) workerCounts = supportsWorkers ? [1, 2] : [1];
    if (!supportsWorkers && workerCounts.some((w) => w > 1)) {
      log('this build of herald start has no --workers flag: running with one process only');
      workerCounts = [1];
    }
    if (!supportsWorkers) log('herald start has no --workers yet: the --workers 2 runs are skipped');
  } else {
    workerCounts = [workerCounts[0] ?? 1];
  }
  if (options.peer && !preparePeer(log)) return 2;
  if (options.peer) {
    const skipped = options.scenarios.filter((s) => !PEER_SCENARIOS.includes(s));
    log(`peer: ${options.peer} runs ${options.scenarios.filter((s) => PEER_SCENARIOS.includes(s)).join(', ') || 'none of these scenarios'} with one process, each round right after Herald's${skipped.length ? ` (not ${skipped.join(', ')}: it has no HTTP fallback transports)` : ''}`);
  }
  if (options.baseline) log(`baseline: ${BASELINE_SCENARIOS.join(', ')} also run against the minimal broadcaster of bench/baseline/`);
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  log(`scenarios: ${options.scenarios.join(', ')}${options.scenarios === DEFAULT_SCENARIOS ? ' (default)' : ''}; workers: ${workerCounts.join(', ')}`);

  const results: ScenarioResult[] = [];
  const startedAt = Date.now();
  const runOnce = async (scenario: Exclude<ScenarioName, 'cluster'>, workers: number, served: Served): Promise<void> => {
    const label = served === 'baseline' ? ' [baseline]' : served === 'peer' ? ` [${options.peer}]` : '';
    let server: ServerUnderTest | null = null;
    try {
      server = options.external
        ? externalServer({ host: options.external.host, port: options.external.port, app: options.app }, options.external.pid)
        : served === 'peer'
          ? await startSoketi(options.app)
          : await startHerald({ app: options.app, workers, profileDir: options.profileDir, profileName: `${scenario}-w${workers}${served === 'baseline' ? '-baseline' : ''}`, baseline: served === 'baseline' ? baselineOf(scenario) : undefined, env: scenario === 'history' ? historyServerEnv(options.app) : {} });
      const ctx: ScenarioContext = { server, options, workers, log };
      const outcome = await RUNNERS[scenario](ctx);
      for (const measured of Array.isArray(outcome) ? outcome : [outcome]) {
        const result = label ? { ...measured, scenario: `${measured.scenario}${label}` } : measured;
        results.push(result);
        console.log(JSON.stringify(result));
      }
    } catch (err) {
      const failed: ScenarioResult = {
        scenario: `${scenario}${label}`,
        workers,
        throughput: 0,
        throughputUnit: '',
        latency: null,
        serverCpuMicrosPerUnit: null,
        clientCpuMicrosPerUnit: null,
        serverRssBytes: null,
        problems: [`scenario failed: ${(err as Error).message}`],
        details: {},
      };
      results.push(failed);
      console.log(JSON.stringify(failed));
    } finally {
      await server?.stop();
    }
  };
  for (const [w, workers] of workerCounts.entries()) {
    for (const scenario of options.scenarios) {
      if (scenario === 'cluster') {
        // Its nodes are single processes whatever --workers says: run once.
        if (w === 0 && !options.external) {
          for (let run = 1; run <= options.repeat; run++) results.push(...(await clusterScenario({ options, log })));
        }
        continue;
      }
      for (let run = 1; run <= options.repeat; run++) {
        log(`${scenario} (workers ${workers})${options.repeat > 1 ? `, run ${run} of ${options.repeat}` : ''}…`);
        await runOnce(scenario, workers, 'herald');
        // The floor, right after, under the same conditions (one process: it has no workers).
        if (options.baseline && workers === 1 && BASELINE_SCENARIOS.includes(scenario)) {
          log(`${scenario} [baseline]…`);
          await runOnce(scenario, workers, 'baseline');
        }
        // The peer too, one process against one: rounds alternate, so both meet the same load on the machine.
        if (options.peer && workers === 1 && PEER_SCENARIOS.includes(scenario)) {
          log(`${scenario} [${options.peer}]…`);
          await runOnce(scenario, workers, 'peer');
        }
      }
    }
  }
  if (!options.jsonOnly) {
    console.log('');
    console.log(formatTable(options.repeat > 1 ? medianRuns(results) : results));
    if (options.peer) console.log(`\n${formatPeerComparison(results, options.peer)}`);
    console.log(`\n${results.length} results in ${Math.round((Date.now() - startedAt) / 1000)} s; server CPU is user+system time of the server's process tree per unit of work.`);
  }
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

/**
 * Makes sure the peer can start before anything runs: sets it up once when
 * its folder is there but it is not installed yet (what its start.sh would
 * do anyway), and otherwise says what is missing and how to fix it.
 */
function preparePeer(log: (message: string) => void): boolean {
  let missing = soketiMissing();
  if (missing?.what === 'install') {
    log(`Soketi is not set up on this machine: running ${soketiSetupCommand()} (once; it installs Soketi 1.6.1)`);
    try {
      execFileSync('bash', [`${SOKETI_PEER_DIR}/setup.sh`], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      console.error(`bench: setting up Soketi failed (${(err as Error).message}); run it yourself:\n\n    ${soketiSetupCommand()}\n`);
      return false;
    }
    missing = soketiMissing();
  }
  if (missing !== null) {
    console.error(`bench: --peer soketi: ${missing.message}`);
    return false;
  }
  return true;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** Connect is compared with the least a Node socket does to open a WebSocket (Herald answers upgrades on the socket too); the rest with the minimal broadcaster. */
function baselineOf(scenario: ScenarioName): Baseline {
  return scenario === 'connect' ? 'handshake' : 'broadcaster';
}
