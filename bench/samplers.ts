/**
 * The samplers (issue 15): per-step cost of DRY and NoRepeatNGram as the history grows (their
 * state is incremental, so it should stay flat) next to rescan implementations and
 * transformers.js's `NoRepeatNGramLogitsProcessor`; and each truncation sampler as a share of
 * one `log_softmax` pass over the row (the floor: any sampler reads every score).
 *
 * A step is `sequence.push(token)` + `sequence.process(row)`, as in `bench/steps.ts`; histories
 * are Zipf-distributed token ids (exponent 1, 32000 ids); rows are normal with standard deviation
 * 4, like a model's logits.
 */
import type { Tensor as TensorType } from '@huggingface/transformers';
import type { Processor, Sequence } from '../src/index';
import type { CaseTimes, HarnessOptions, StepCase } from './lib/harness';
import { NoRepeatNGramLogitsProcessor, Tensor } from '@huggingface/transformers';
import { startSequence } from '../src/index';
import { DRY } from '../src/processors/dry';
import { EpsilonCutoff } from '../src/processors/epsilon-cutoff';
import { EtaCutoff } from '../src/processors/eta-cutoff';
import { MinP } from '../src/processors/min-p';
import { NoRepeatNGram } from '../src/processors/no-repeat-ngram';
import { TopK } from '../src/processors/top-k';
import { TopNSigma } from '../src/processors/top-n-sigma';
import { TopP } from '../src/processors/top-p';
import { TypicalP } from '../src/processors/typical-p';
import { XTC } from '../src/processors/xtc';
import { scoreRow, zipfSampler } from './lib/data';
import { medianTime, ratio, runRounds } from './lib/harness';
import { logSoftmax } from './lib/log-softmax';
import { formatTime } from './lib/report';

/** Settings of {@link runSamplers}. */
export interface SamplersOptions {
  /** History lengths of the DRY / n-gram rows. */
  readonly histories: readonly number[];
  /** Row widths of the truncation rows. */
  readonly vocabSizes: readonly number[];
  /** Harness budgets. */
  readonly harness: HarnessOptions;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** What {@link runSamplers} measured. */
export interface SamplersResult {
  /** Per history length: nanoseconds per step of each history case. */
  readonly history: readonly { readonly history: number; readonly times: ReadonlyMap<string, CaseTimes> }[];
  /** Per row width: each truncation sampler's time and its ratio to one log_softmax pass. */
  readonly truncation: readonly { readonly vocabSize: number; readonly times: ReadonlyMap<string, CaseTimes> }[];
}

const V = 32000;
const DRY_OPTIONS = { multiplier: 0.8, base: 1.75, allowedLength: 2 } as const;
const NGRAM = 3; // the case names below say 3
const LOG_SOFTMAX = 'log_softmax (floor)';

/** The history cases, also the row labels. */
export const HISTORY_CASES = {
  dry: 'rulelm DRY (incremental)',
  dryRescan: 'DRY rescan (llama.cpp algorithm, Z-function over the history)',
  ngram: 'rulelm NoRepeatNGram(3) (incremental)',
  ngramRescan: 'no-repeat-3-gram rescan (compare every position)',
  ngramTjs: 'tjs NoRepeatNGramLogitsProcessor(3)',
} as const;

/** The truncation samplers measured, by row label. */
export const TRUNCATION: readonly (readonly [string, () => Processor])[] = [
  ['TopK(50)', () => new TopK({ topK: 50 })],
  ['TopP(0.9)', () => new TopP({ topP: 0.9 })],
  ['TopP(0.9, minTokensToKeep 100)', () => new TopP({ topP: 0.9, minTokensToKeep: 100 })],
  ['MinP(0.05)', () => new MinP({ minP: 0.05 })],
  ['TypicalP(0.95)', () => new TypicalP({ typicalP: 0.95 })],
  ['EpsilonCutoff(3e-4)', () => new EpsilonCutoff({ epsilon: 3e-4 })],
  ['EtaCutoff(2e-3)', () => new EtaCutoff({ epsilon: 2e-3 })],
  ['TopNSigma(1)', () => new TopNSigma({ n: 1 })],
  ['XTC(probability 1, threshold 0.1)', () => new XTC({ probability: 1, threshold: 0.1 })],
];

// llama.cpp's DRY computed from scratch over the whole history at every step (no breakers): the
// longest common suffix of the history with each earlier prefix, by the Z-function of the
// reversed history (O(history)), then the longest run per next token.
function dryRescan(tokens: Int32Array, length: number, row: Float32Array, z: Int32Array, best: Int32Array): void {
  const a = DRY_OPTIONS.allowedLength;
  if (length <= a) return;
  const at = (i: number): number => tokens[length - 1 - i] as number;
  let left = 0;
  let right = 0;
  for (let k = 1; k < length; k++) {
    let n = 0;
    if (k < right) n = Math.min(right - k, z[k - left] as number);
    while (k + n < length && at(n) === at(k + n)) n++;
    z[k] = n;
    if (k + n > right) {
      left = k;
      right = k + n;
    }
  }
  const maxExponent = Math.trunc(88.7228391 / Math.log(DRY_OPTIONS.base));
  let touched = 0;
  for (let k = 1; k < length; k++) {
    const n = z[k] as number;
    if (n < a) continue;
    const t = at(k - 1);
    if (n > (best[t] as number)) best[t] = n;
    touched++;
  }
  if (touched === 0) return;
  for (let k = 1; k < length; k++) {
    const t = at(k - 1);
    const n = best[t] as number;
    if (n === 0) continue;
    best[t] = 0;
    row[t]! -= DRY_OPTIONS.multiplier * DRY_OPTIONS.base ** Math.min(n - a, maxExponent);
  }
}

// No-repeat-n-gram from scratch: every position whose n-1 tokens equal the last n-1 bans its next token.
function ngramRescan(tokens: Int32Array, length: number, row: Float32Array): void {
  const m = NGRAM - 1;
  if (length < m) return;
  for (let p = m; p < length; p++) {
    let same = true;
    for (let j = 1; j <= m && same; j++) same = tokens[p - j] === tokens[length - j];
    if (same) row[tokens[p] as number] = -Infinity;
  }
}

function historyCases(history: number, stream: Int32Array, base: Float32Array, row: Float32Array): StepCase[] {
  const growth = 256;
  const steps = 16;
  const sequenceCase = (name: string, processor: Processor): StepCase => {
    let sequence: Sequence | undefined;
    let next = 0;
    let grown = Infinity;
    return {
      name,
      steps,
      prepare(): void {
        if (sequence === undefined || grown + steps > growth) {
          sequence = startSequence(processor, { prompt: stream.subarray(0, history), vocabSize: V, capacity: history + growth + 64 });
          next = history;
          grown = 0;
        }
        row.set(base);
      },
      run(): void {
        const s = sequence as Sequence;
        for (let k = 0; k < steps; k++) {
          s.push(stream[next++] as number);
          s.process(row);
        }
        grown += steps;
      },
    };
  };
  const rescanCase = (name: string, step: (tokens: Int32Array, length: number) => void, few: number): StepCase => {
    let length = Infinity;
    return {
      name,
      steps: few,
      prepare(): void {
        if (length + few > history + growth) length = history;
        row.set(base);
      },
      run(): void {
        for (let k = 0; k < few; k++) step(stream, ++length);
      },
    };
  };
  const z = new Int32Array(history + growth + 64);
  const best = new Int32Array(V);
  const tjs = new NoRepeatNGramLogitsProcessor(NGRAM);
  const logits = new Tensor('float32', row, [1, V]);
  let ids: bigint[] = [];
  let tjsLength = Infinity;
  const few = history >= 4096 ? 1 : 4;
  return [
    sequenceCase(HISTORY_CASES.dry, new DRY(DRY_OPTIONS)),
    rescanCase(HISTORY_CASES.dryRescan, (tokens, length) => dryRescan(tokens, length, row, z, best), few),
    sequenceCase(HISTORY_CASES.ngram, new NoRepeatNGram({ size: NGRAM })),
    rescanCase(HISTORY_CASES.ngramRescan, (tokens, length) => ngramRescan(tokens, length, row), few),
    {
      name: HISTORY_CASES.ngramTjs,
      steps: 1,
      prepare(): void {
        if (tjsLength + 1 > history + growth) {
          ids = Array.from(stream.subarray(0, history), (t) => BigInt(t));
          tjsLength = history;
        }
        row.set(base);
      },
      run(): void {
        ids.push(BigInt(stream[tjsLength++] as number));
        tjs._call([ids], logits as TensorType);
      },
    },
  ];
}

/**
 * Runs the sampler benchmarks.
 *
 * @param options Histories, row widths, budgets.
 * @returns The times.
 */
export function runSamplers(options: SamplersOptions): SamplersResult {
  const { harness, log } = options;
  const maxHistory = Math.max(...options.histories);
  const draw = zipfSampler(Array.from({ length: V }, (_, i) => i), 15);
  const stream = Int32Array.from({ length: maxHistory + 4096 }, draw);
  const base = scoreRow(V, 3);
  const row = new Float32Array(V);
  const history = options.histories.map((h) => {
    log(`[bench] samplers: history ${h}`);
    return { history: h, times: runRounds(historyCases(h, stream, base, row), harness) };
  });
  const truncation = options.vocabSizes.map((size) => {
    log(`[bench] samplers: truncation, ${size} ids`);
    const baseRow = scoreRow(size, 5);
    const work = new Float32Array(size);
    const out = new Float32Array(size);
    const cases: StepCase[] = [
      { name: LOG_SOFTMAX, steps: 1, prepare: () => work.set(baseRow), run: () => void logSoftmax(work, out) },
      ...TRUNCATION.map(([name, make]): StepCase => {
        const sequence = startSequence(make(), { prompt: [1], vocabSize: size });
        return { name, steps: 1, prepare: () => work.set(baseRow), run: () => void sequence.process(work) };
      }),
    ];
    return { vocabSize: size, times: runRounds(cases, harness) };
  });
  return { history, truncation };
}

/**
 * The markdown section of the sampler benchmarks.
 *
 * @param result What {@link runSamplers} measured.
 * @returns Markdown.
 */
export function renderSamplers(result: SamplersResult): string {
  const histories = result.history.map((h) => h.history);
  const lines = [
    '',
    '## Samplers: DRY and no-repeat-n-gram per step, by history length',
    '',
    `Time per step (push one token, process one row of ${V} scores), median over rounds. Histories of Zipf-distributed ids. rulelm's states are incremental; the rescans recompute from the whole history at every step, as llama.cpp's DRY (over its last-n window) and transformers.js's NoRepeatNGramLogitsProcessor do. DRY: multiplier 0.8, base 1.75, allowed length 2, whole history, no breakers.`,
    '',
    `| case | ${histories.join(' | ')} |`,
    `| --- | ${histories.map(() => '---').join(' | ')} |`,
    ...Object.values(HISTORY_CASES).map((name) => `| ${name} | ${result.history.map((h) => formatTime(medianTime(h.times.get(name) as CaseTimes))).join(' | ')} |`),
    '',
    '## Samplers: truncation as a share of one log_softmax pass',
    '',
    'Time of one `process(row)` (the row restored before each call) divided by one plain-JS `log_softmax` over the same row, in the same rounds (median of per-round ratios). Rows are normal with standard deviation 4.',
    '',
    `| sampler | ${result.truncation.map((t) => `${t.vocabSize} ids`).join(' | ')} |`,
    `| --- | ${result.truncation.map(() => '---').join(' | ')} |`,
    `| ${LOG_SOFTMAX} | ${result.truncation.map((t) => formatTime(medianTime(t.times.get(LOG_SOFTMAX) as CaseTimes))).join(' | ')} |`,
    ...TRUNCATION.map(([name]) => `| ${name} | ${result.truncation.map((t) => `${ratio(t.times.get(name) as CaseTimes, t.times.get(LOG_SOFTMAX) as CaseTimes).toFixed(2)}x (${formatTime(medianTime(t.times.get(name) as CaseTimes))})`).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}

// Run alone: `node --expose-gc --import tsx bench/samplers.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const harness: HarnessOptions = quick ? { rounds: 2, timeMs: 15, warmupMs: 5, minSamples: 4 } : { rounds: 5, timeMs: 50, warmupMs: 15, minSamples: 8 };
  const result = runSamplers({ histories: [128, 1024, 4096, 16384], vocabSizes: [32000, 151669], harness, log: (line) => console.log(line) });
  console.log(renderSamplers(result));
}
