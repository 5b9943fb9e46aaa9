/**
 * The timing harness: tinybench runs each case (warm-up, then samples until a time budget and a
 * minimum sample count are met, median per case); every group of cases runs in several rounds,
 * each round in a rotated order, so slow phases of a shared machine hit all cases alike. Ratios
 * are taken between cases of the same round, then the median over rounds is reported.
 */
import { Bench, calibrateTimerOverhead, hrtimeNow, hrtimeNowTimestampProvider } from 'tinybench';

/** One benchmarked operation. */
export interface StepCase {
  /** Row label. */
  readonly name: string;
  /** Number of steps one sample runs (`run` does this many); times are reported per step. */
  readonly steps: number;
  /** Untimed, before each sample: restores the row and, when due, restarts the sequence. */
  prepare(): void;
  /** Timed: runs `steps` steps. */
  run(): void;
}

/** Settings of {@link runRounds}. */
export interface HarnessOptions {
  /** Number of rounds. */
  readonly rounds: number;
  /** Time budget per case and round, in milliseconds (wall time, preparation included). */
  readonly timeMs: number;
  /** Warm-up budget per case and round, in milliseconds. */
  readonly warmupMs: number;
  /** Minimum number of samples per case and round. */
  readonly minSamples: number;
}

/** What {@link runRounds} measured for one case. */
export interface CaseTimes {
  /** The case's name. */
  readonly name: string;
  /** Median time per step in each round, in nanoseconds. */
  readonly perRound: readonly number[];
  /** Total number of samples over all rounds. */
  readonly samples: number;
}

/** The cost of reading the clock once, in milliseconds, subtracted from every sample. */
const TIMER_OVERHEAD_MS: number = calibrateTimerOverhead(hrtimeNowTimestampProvider);

/**
 * Runs the `gc()` exposed by `node --expose-gc`, when it is.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * The median of some numbers (`NaN` for none).
 *
 * @param values The numbers.
 * @returns The median.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The median over rounds of a case's per-round median time per step.
 *
 * @param times The case.
 * @returns Nanoseconds per step.
 */
export function medianTime(times: CaseTimes): number {
  return median(times.perRound);
}

/**
 * The ratio of two cases measured in the same rounds: the median over rounds of
 * `a / b` in that round.
 *
 * @param a The numerator case.
 * @param b The denominator case.
 * @returns The ratio.
 */
export function ratio(a: CaseTimes, b: CaseTimes): number {
  const n = Math.min(a.perRound.length, b.perRound.length);
  const ratios: number[] = [];
  for (let r = 0; r < n; r++) ratios.push((a.perRound[r] as number) / (b.perRound[r] as number));
  return median(ratios);
}

/**
 * Times cases in interleaved rounds.
 *
 * @param cases The cases (their names must differ).
 * @param options Rounds and budgets.
 * @returns The times of each case, by name.
 */
export function runRounds(cases: readonly StepCase[], options: HarnessOptions): Map<string, CaseTimes> {
  const perRound = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const samples = new Map<string, number>(cases.map((c) => [c.name, 0]));
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({
      time: options.timeMs,
      iterations: options.minSamples,
      warmup: true,
      warmupTime: options.warmupMs,
      warmupIterations: 2,
      throws: true,
      timestampProvider: 'hrtimeNow',
    });
    // Rotate the order every round.
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length] as StepCase;
      bench.add(c.name, () => {
        const begin = hrtimeNow();
        c.prepare();
        const t0 = hrtimeNow();
        c.run();
        const t1 = hrtimeNow();
        // The sample is the timed part per step; the budget counts the whole call.
        return { overriddenDuration: Math.max(0, t1 - t0 - TIMER_OVERHEAD_MS) / c.steps, overriddenIterationCost: t1 - begin };
      });
    }
    // Once per round: a full collection takes ~0.2 s with a 262k-piece tokenizer in memory.
    collectGarbage();
    for (const task of bench.runSync()) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`bench: case ${task.name} did not complete (${result.state})`);
      perRound.get(task.name)?.push(result.latency.p50 * 1e6);
      samples.set(task.name, (samples.get(task.name) ?? 0) + result.latency.samplesCount);
    }
  }
  return new Map(cases.map((c) => [c.name, { name: c.name, perRound: perRound.get(c.name) ?? [], samples: samples.get(c.name) ?? 0 }]));
}
