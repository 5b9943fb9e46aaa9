/**
 * The decoding loop (issue 16): the sampler (`pickToken`) and the exact product of experts
 * (`output: "log-probs"`, the paper's preset as expert) as shares of one `log_softmax` pass over
 * the row, measured side by side in the same rounds, each against its target; and the greedy
 * `generateWithExperts` loop's work outside the forward passes next to transformers.js
 * `generate()`'s, on a small generated model with qwen3's 151669-id vocabulary; and sampled
 * against greedy steps of `generateWithExperts` on the real-dimension model.
 *
 * Rows are normal with standard deviation 4, like a model's logits.
 */
import type { PreTrainedModel } from '@huggingface/transformers';
import type { CaseTimes, HarnessOptions, StepCase } from './lib/harness';
import { generateWithExperts } from '../src/adapters/transformers/index';
import { decodingOptions, hewitt2024, pickToken, ProductOfExperts, seededRandom, startSequence } from '../src/index';
import { loadLocalModel } from '../tools/local-model';
import { ensureTinyModel } from '../tools/model-generator/index';
import { VOCAB_SIZES, lenmlFiles, loadBenchTokenizer, scoreRow } from './lib/data';
import { median, medianTime, ratio, runRounds } from './lib/harness';
import { logSoftmax } from './lib/log-softmax';
import { ensureRealDimsModel } from './lib/models';
import { formatTime } from './lib/report';

/** Settings of {@link runDecoding}. */
export interface DecodingBenchOptions {
  /** Row widths. */
  readonly vocabSizes: readonly number[];
  /** Harness budgets. */
  readonly harness: HarnessOptions;
  /** Fewer generation runs. */
  readonly quick: boolean;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** What {@link runDecoding} measured. */
export interface DecodingBenchResult {
  /** Per row width: each case's times. */
  readonly rows: readonly { readonly vocabSize: number; readonly times: ReadonlyMap<string, CaseTimes> }[];
  /** The greedy loop: work outside the forward passes per token, in microseconds (medians over runs). */
  readonly loop: { readonly vocabSize: number; readonly tokens: number; readonly experts: number; readonly generate: number; readonly forward: number } | undefined;
  /** Sampled against greedy steps of `generateWithExperts` on the real-dimension model. */
  readonly sampled: SampledStep | undefined;
}

/** Sampled against greedy decoding steps, one real-dimension model, no processor. */
export interface SampledStep {
  /** The model's vocabulary size. */
  readonly vocabSize: number;
  /** Tokens per run. */
  readonly tokens: number;
  /** Pairs of runs (one greedy, one per sampling setting, alternating). */
  readonly pairs: number;
  /** Median greedy step, ms. */
  readonly greedy: number;
  /** Per sampling setting: its median step (ms) and the median over pairs of sampled ÷ greedy. */
  readonly settings: readonly { readonly name: string; readonly step: number; readonly ratio: number }[];
}

/** Target: a sampled step at most this many greedy steps. */
export const SAMPLED_STEP_TARGET = 1.1;

const FLOOR = 'log_softmax (floor)';
/** The cases with their targets (a share of one log_softmax pass). */
export const DECODING_CASES: readonly (readonly [string, number])[] = [
  ['pickToken sample (temperature 1)', 1.5],
  ['pickToken sample (temperature 0.8, top-p 0.9)', 1.5],
  ['pickToken sample (top-k 50)', 1.5],
  ['ProductOfExperts log-probs (preset as expert)', 1.25],
];

function rowCases(vocabSize: number, tokenizer: Parameters<typeof hewitt2024>[0]): StepCase[] {
  const base = scoreRow(vocabSize, 16 + vocabSize);
  const out = new Float32Array(vocabSize);
  const random = seededRandom(1);
  const sampler = (name: string, options: Parameters<typeof decodingOptions>[0]): StepCase => {
    const decoding = decodingOptions(options);
    return { name, steps: 1, prepare: () => undefined, run: () => void pickToken(base, decoding, random) };
  };
  const preset = hewitt2024(tokenizer);
  const markers = preset.markers ?? { user: [], assistant: [] };
  const prompt = [...markers.user, 100, 101, 102, ...markers.assistant, 200, 201, 202, 203];
  const sequence = startSequence(new ProductOfExperts({ experts: [{ processor: preset, weight: 1 }], output: 'log-probs' }), { prompt, vocabSize });
  return [
    { name: FLOOR, steps: 1, prepare: () => undefined, run: () => void logSoftmax(base, out) },
    sampler(DECODING_CASES[0]![0], { sample: true }),
    sampler(DECODING_CASES[1]![0], { sample: true, temperature: 0.8, topP: 0.9 }),
    sampler(DECODING_CASES[2]![0], { sample: true, topK: 50 }),
    { name: DECODING_CASES[3]![0], steps: 1, prepare: () => out.set(base), run: () => void sequence.process(out) },
  ];
}

// Greedy, one model: per token, the time outside model.forward, for generateWithExperts and for
// generate(). A small model (hidden 32, 2 layers) on qwen3's tokenizer: the forward is short, so
// the loop's own work per step (over 151669 scores) shows.
async function measureLoop(quick: boolean, log: (line: string) => void): Promise<DecodingBenchResult['loop']> {
  const dims = { arch: 'llama', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, maxPositions: 512, seed: 1 } as const;
  const { model, tokenizer } = await loadLocalModel(await ensureTinyModel('bench-decoding-qwen3', { ...lenmlFiles('qwen3'), ...dims }));
  let forwardMs = 0;
  const forward = model.forward.bind(model);
  const view = Object.create(model) as PreTrainedModel;
  view.forward = async (inputs: unknown): Promise<unknown> => {
    const started = performance.now();
    try {
      return await forward(inputs as never);
    } finally {
      forwardMs += performance.now() - started;
    }
  };
  const tokens = 32;
  const prompt = 'Once upon a time';
  const runs = quick ? 3 : 7;
  const outside = { experts: [] as number[], generate: [] as number[], forward: [] as number[] };
  const once = async (which: 'experts' | 'generate'): Promise<void> => {
    forwardMs = 0;
    const started = performance.now();
    if (which === 'experts') await generateWithExperts({ tokenizer, prompts: prompt, experts: [{ model: view, weight: 1 }], maxNewTokens: tokens, eosTokenIds: [] });
    else await view.generate({ ...tokenizer(prompt), max_new_tokens: tokens, min_new_tokens: tokens, do_sample: false });
    outside[which].push(((performance.now() - started - forwardMs) * 1000) / tokens);
    if (which === 'experts') outside.forward.push((forwardMs * 1000) / tokens);
  };
  await once('experts');
  await once('generate');
  outside.experts.length = 0;
  outside.generate.length = 0;
  outside.forward.length = 0;
  for (let r = 0; r < runs; r++) {
    await once(r % 2 === 0 ? 'experts' : 'generate');
    await once(r % 2 === 0 ? 'generate' : 'experts');
  }
  const result = { vocabSize: (model.config as unknown as { vocab_size: number }).vocab_size, tokens, experts: median(outside.experts), generate: median(outside.generate), forward: median(outside.forward) };
  log(`[decoding] greedy loop, ${result.vocabSize} ids: outside the forward ${result.experts.toFixed(0)} us/token (generateWithExperts) vs ${result.generate.toFixed(0)} (generate())`);
  return result;
}

// Sampled against greedy steps of generateWithExperts on the real-dimension model (vocab 49152,
// a forward of tens of ms): a step is the time between two onToken calls (forward, combine,
// pick), median per run; runs alternate greedy and each sampling setting.
async function measureSampled(quick: boolean, log: (line: string) => void): Promise<SampledStep> {
  const { model, tokenizer } = await loadLocalModel(await ensureRealDimsModel(log));
  const tokens = quick ? 12 : 24;
  const pairs = quick ? 3 : 7;
  const prompt = 'Once upon a time, there was a little girl named Lily.';
  const settings = [
    { name: 'temperature 1', decoding: { sample: true } },
    { name: 'temperature 0.8, top-p 0.9', decoding: { sample: true, temperature: 0.8, topP: 0.9 } },
  ] as const;
  const medianStep = async (decoding: Parameters<typeof decodingOptions>[0]): Promise<number> => {
    const at: number[] = [];
    await generateWithExperts({ tokenizer, prompts: prompt, experts: [{ model, weight: 1 }], maxNewTokens: tokens, eosTokenIds: [], ...decoding, onToken: () => void at.push(performance.now()) });
    const steps: number[] = [];
    for (let i = 1; i < at.length; i++) steps.push((at[i] as number) - (at[i - 1] as number));
    return median(steps);
  };
  await medianStep({});
  for (const s of settings) await medianStep(s.decoding);
  const greedy: number[] = [];
  const byName = settings.map(() => ({ steps: [] as number[], ratios: [] as number[] }));
  for (let r = 0; r < pairs; r++) {
    for (const [i, s] of settings.entries()) {
      const first = r % 2 === 0;
      const g1 = first ? await medianStep({}) : 0;
      const sampled = await medianStep(s.decoding);
      const g = first ? g1 : await medianStep({});
      greedy.push(g);
      byName[i]!.steps.push(sampled);
      byName[i]!.ratios.push(sampled / g);
    }
  }
  await model.dispose();
  const result: SampledStep = {
    vocabSize: (model.config as unknown as { vocab_size: number }).vocab_size,
    tokens,
    pairs,
    greedy: median(greedy),
    settings: settings.map((s, i) => ({ name: s.name, step: median(byName[i]!.steps), ratio: median(byName[i]!.ratios) })),
  };
  log(`[decoding] sampled ÷ greedy step, real-dimension model: ${result.settings.map((s) => `${s.name} ${s.ratio.toFixed(3)}x`).join(', ')} (greedy ${result.greedy.toFixed(2)} ms)`);
  return result;
}

/**
 * Runs the decoding benchmarks.
 *
 * @param options Row widths, budgets, progress output.
 * @returns The times.
 */
export async function runDecoding(options: DecodingBenchOptions): Promise<DecodingBenchResult> {
  const rows: DecodingBenchResult['rows'][number][] = [];
  for (const vocabSize of options.vocabSizes) {
    const { tokenizer } = await loadBenchTokenizer(vocabSize);
    const times = runRounds(rowCases(vocabSize, tokenizer), options.harness);
    rows.push({ vocabSize, times });
    const floor = times.get(FLOOR) as CaseTimes;
    options.log(`[decoding] ${vocabSize} ids: ${DECODING_CASES.map(([name]) => `${name} ${ratio(times.get(name) as CaseTimes, floor).toFixed(2)}x`).join(', ')}`);
  }
  return { rows, loop: await measureLoop(options.quick, options.log), sampled: await measureSampled(options.quick, options.log) };
}

/**
 * The markdown section.
 *
 * @param result What {@link runDecoding} measured.
 * @returns The section.
 */
export function renderDecoding(result: DecodingBenchResult): string {
  const lines = [
    '',
    '## Decoding: the sampler and the exact product of experts as shares of one log_softmax pass',
    '',
    'Time of one call divided by one plain-JS `log_softmax` over the same row, in the same rounds (median of per-round ratios). Rows are normal with standard deviation 4. The product of experts has the paper\'s preset as its one expert (`output: "log-probs"`, the row restored before each call). The floor uses `Math.exp`; rulelm\'s loops use its own table-driven `exp` (within 1e-15 of `Math.exp`, inlined by V8), which is why they can cost less than the floor.',
    '',
    `| case | target | ${result.rows.map((r) => `${r.vocabSize} ids`).join(' | ')} | verdict |`,
    `| --- | --- | ${result.rows.map(() => '---').join(' | ')} | --- |`,
    `| ${FLOOR} | | ${result.rows.map((r) => formatTime(medianTime(r.times.get(FLOOR) as CaseTimes))).join(' | ')} | |`,
    ...DECODING_CASES.map(([name, target]) => {
      const shares = result.rows.map((r) => ratio(r.times.get(name) as CaseTimes, r.times.get(FLOOR) as CaseTimes));
      const cells = shares.map((s, i) => `${s.toFixed(2)}x (${formatTime(medianTime(result.rows[i]!.times.get(name) as CaseTimes))})`);
      return `| ${name} | <= ${target}x | ${cells.join(' | ')} | ${shares.every((s) => s <= target) ? 'PASS' : 'FAIL'} |`;
    }),
    '',
  ];
  const loop = result.loop;
  if (loop !== undefined) {
    lines.push(
      `Greedy loop, one model, no processor (a generated model: hidden 32, 2 layers, ${loop.vocabSize} ids; ${loop.tokens} tokens, median over runs): work outside the forward passes per token, generateWithExperts ${formatTime(loop.experts * 1e3)} vs transformers.js generate() ${formatTime(loop.generate * 1e3)} (forward ${formatTime(loop.forward * 1e3)}). Target: no more than generate()'s: ${loop.experts <= loop.generate ? 'PASS' : 'FAIL'}.`,
      '',
    );
  }
  const sampled = result.sampled;
  if (sampled !== undefined) {
    lines.push(
      `Sampled against greedy steps (\`generateWithExperts\`, the real-dimension model: vocab ${sampled.vocabSize}, hidden 576, 30 layers; one expert, no processor, ${sampled.tokens} tokens, EOS off). A step is the time between two \`onToken\` calls (forward pass, combining, picking the token); each run's median step, then the median over ${sampled.pairs} pairs of runs of sampled ÷ greedy (runs alternate). Greedy step ${sampled.greedy.toFixed(2)} ms.`,
      '',
      '| sampling | step | sampled ÷ greedy | target | verdict |',
      '| --- | --- | --- | --- | --- |',
      ...sampled.settings.map((s) => `| ${s.name} | ${s.step.toFixed(2)} ms | ${s.ratio.toFixed(3)}x | <= ${SAMPLED_STEP_TARGET}x | ${s.ratio <= SAMPLED_STEP_TARGET ? 'PASS' : 'FAIL'} |`),
      '',
    );
  }
  return lines.join('\n');
}

// Run alone: `node --expose-gc --import tsx bench/decoding.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const harness: HarnessOptions = quick ? { rounds: 2, timeMs: 15, warmupMs: 5, minSamples: 4 } : { rounds: 5, timeMs: 50, warmupMs: 15, minSamples: 8 };
  const result = await runDecoding({ vocabSizes: VOCAB_SIZES, harness, quick, log: (line) => console.log(line) });
  console.log(renderDecoding(result));
}
