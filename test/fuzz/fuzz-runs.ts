// How hard the fuzz tests try. CI runs a fixed, small number of cases from
// a fixed seed, so a failure reproduces exactly; `FUZZ_RUNS=5000` (and
// `FUZZ_SEED=…` for other cases) is the longer local mode.
import type { Parameters as FcParameters } from 'fast-check';

const DEFAULT_SEED = 20240611;

export function fuzzRuns(ciRuns: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : ciRuns;
}

/** fast-check parameters: a fixed seed (overridable) and bounded runs. */
export function fuzzParameters<T>(ciRuns: number): FcParameters<T> {
  const seed = Number(process.env.FUZZ_SEED);
  return { seed: Number.isInteger(seed) ? seed : DEFAULT_SEED, numRuns: fuzzRuns(ciRuns), endOnFailure: true };
}
