/**
 * The product-of-experts loop's own overhead (issue 4): `generateWithExperts` time minus the
 * time during which at least one expert's forward pass is in flight, as a share of the latter.
 * transformers.js's `generate()` on the same model is measured the same way, for context.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateWithExperts } from '../src/adapters/transformers/index';
import { STORIES_DIR } from './lib/data';
import { median } from './lib/harness';
import { ensureRealDimsModel, loadModel, REAL_DIMS } from './lib/models';

/** Options of {@link runExperts}. */
export interface ExpertsBenchOptions {
  /** Fewer runs. */
  readonly quick: boolean;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** One model's figures: medians over runs of the loop overhead (share of forward time). */
export interface ExpertsBenchResult {
  /** The model. */
  readonly label: string;
  /** Tokens generated per run. */
  readonly tokens: number;
  /** Runs per case. */
  readonly runs: number;
  /** Overhead of `generateWithExperts` with one expert: everything outside the forward passes. */
  readonly oneExpert: number;
  /** The same without transformers.js's per-model input bookkeeping: the loop's own work only. */
  readonly oneExpertOwn: number;
  /** Overhead with two experts (the model twice, weights 0.5 + 0.5). */
  readonly twoExperts: number;
  /** Overhead of transformers.js `generate()` on the same model (context). */
  readonly generate: number;
  /** Forward time per step with one expert, ms (context). */
  readonly forwardMs: number;
  /** Why it was skipped, if it was. */
  readonly skipped?: string;
}

// A view of the model whose forward passes are timed (the union of in-flight intervals), and
// whose per-model input bookkeeping (transformers.js's prepare_inputs_for_generation and
// _update_model_kwargs_for_generation, which generate() runs too) is timed apart.
function timed(model: PreTrainedModel): { model: PreTrainedModel; take: () => { forward: number; bookkeeping: number } } {
  let inFlight = 0;
  let since = 0;
  let forwardTotal = 0;
  let bookkeeping = 0;
  const forward = model.forward.bind(model);
  const prepare = model.prepare_inputs_for_generation.bind(model);
  const update = model._update_model_kwargs_for_generation.bind(model);
  const view = Object.create(model) as PreTrainedModel;
  view.forward = async (inputs: unknown): Promise<unknown> => {
    if (inFlight++ === 0) since = performance.now();
    try {
      return await forward(inputs);
    } finally {
      if (--inFlight === 0) forwardTotal += performance.now() - since;
    }
  };
  const clock = <A extends unknown[], R>(f: (...args: A) => R) => (...args: A): R => {
    const started = performance.now();
    try {
      return f(...args);
    } finally {
      bookkeeping += performance.now() - started;
    }
  };
  view.prepare_inputs_for_generation = clock(prepare);
  view._update_model_kwargs_for_generation = clock(update);
  return {
    model: view,
    take: () => {
      const t = { forward: forwardTotal, bookkeeping };
      forwardTotal = 0;
      bookkeeping = 0;
      return t;
    },
  };
}

async function measure(label: string, model: PreTrainedModel, tokenizer: PreTrainedTokenizer, tokens: number, runs: number, log: (line: string) => void): Promise<ExpertsBenchResult> {
  const { model: view, take } = timed(model);
  const prompt = 'Once upon a time, there was a little girl named Lily.';
  const cases = {
    one: async (): Promise<void> => void (await generateWithExperts({ tokenizer, prompts: prompt, experts: [{ model: view, weight: 1 }], maxNewTokens: tokens, eosTokenIds: [] })),
    two: async (): Promise<void> => void (await generateWithExperts({ tokenizer, prompts: prompt, experts: [{ model: view, weight: 0.5 }, { model: view, weight: 0.5 }], maxNewTokens: tokens, eosTokenIds: [] })),
    generate: async (): Promise<void> => void (await view.generate({ ...tokenizer(prompt), max_new_tokens: tokens, min_new_tokens: tokens, do_sample: false })),
  };
  const overheads: Record<keyof typeof cases, number[]> = { one: [], two: [], generate: [] };
  const own: number[] = [];
  const forwardMs: number[] = [];
  await cases.one(); // warm-up
  take();
  for (let r = 0; r < runs; r++) {
    for (const name of Object.keys(cases) as (keyof typeof cases)[]) {
      const started = performance.now();
      await cases[name]();
      const total = performance.now() - started;
      const { forward, bookkeeping } = take();
      overheads[name].push((total - forward) / forward);
      if (name === 'one') {
        forwardMs.push(forward / tokens);
        own.push((total - forward - bookkeeping) / forward);
      }
    }
  }
  const result = { label, tokens, runs, oneExpert: median(overheads.one), oneExpertOwn: median(own), twoExperts: median(overheads.two), generate: median(overheads.generate), forwardMs: median(forwardMs) };
  log(`[experts] ${label}: loop overhead one expert ${(100 * result.oneExpert).toFixed(2)}% (own work ${(100 * result.oneExpertOwn).toFixed(2)}%), two experts ${(100 * result.twoExperts).toFixed(2)}%, generate() ${(100 * result.generate).toFixed(2)}%`);
  return result;
}

/**
 * Runs the loop-overhead benchmark on stories260K (when present) and the real-dimension model.
 *
 * @param options Quick mode and progress output.
 * @returns One result per model.
 */
export async function runExperts(options: ExpertsBenchOptions): Promise<ExpertsBenchResult[]> {
  const { quick, log } = options;
  const results: ExpertsBenchResult[] = [];
  const storiesLabel = 'stories260K (vocab 512)';
  if (existsSync(join(STORIES_DIR, 'onnx', 'model.onnx'))) {
    const { model, tokenizer } = await loadModel(STORIES_DIR);
    results.push(await measure(storiesLabel, model, tokenizer, 200, quick ? 3 : 9, log));
  } else {
    log(`[experts] NOTICE: ${STORIES_DIR} is missing; stories260K is skipped.`);
    results.push({ label: storiesLabel, tokens: 0, runs: 0, oneExpert: NaN, oneExpertOwn: NaN, twoExperts: NaN, generate: NaN, forwardMs: NaN, skipped: `${STORIES_DIR} is missing` });
  }
  const { model, tokenizer } = await loadModel(await ensureRealDimsModel(log));
  results.push(await measure(`generated, real dimensions (vocab ${REAL_DIMS.vocabSize}, hidden ${REAL_DIMS.hidden}, ${REAL_DIMS.layers} layers)`, model, tokenizer, quick ? 16 : 32, quick ? 2 : 5, log));
  return results;
}

/**
 * Renders the loop-overhead section of the results file.
 *
 * @param results The results.
 * @returns Markdown.
 */
export function renderExperts(results: readonly ExpertsBenchResult[]): string {
  const pct = (x: number): string => (Number.isNaN(x) ? 'skipped' : `${(100 * x).toFixed(2)}%`);
  const verdict = (x: number): string => (Number.isNaN(x) ? 'not run' : x <= 0.05 ? '**PASS**' : `**MISS** by ${(100 * (x - 0.05)).toFixed(2)} points`);
  const lines = [
    '',
    '## Product-of-experts loop overhead (`generateWithExperts`)',
    '',
    "Time outside the experts' forward passes as a share of the time during which at least one forward pass is in flight: everything (combining, decoding, and transformers.js's per-model input bookkeeping that the loop calls between passes, as generate() does), and the loop's own work alone (without that bookkeeping). Median over runs, greedy, a fixed number of tokens (EOS off), one prompt. Target: at most 5%. transformers.js's own `generate()` on the same model, measured the same way (everything outside forward), for context.",
    '',
    '| model | tokens x runs | forward per step | one expert: all / own work | two experts (0.5 + 0.5) | generate() | target (one expert, all) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.label} | ${r.skipped ?? `${r.tokens} x ${r.runs}`} | ${Number.isNaN(r.forwardMs) ? '' : `${r.forwardMs.toFixed(2)} ms`} | ${pct(r.oneExpert)} / ${pct(r.oneExpertOwn)} | ${pct(r.twoExperts)} | ${pct(r.generate)} | ${verdict(r.oneExpert)} |`),
    '',
    ...results
      .filter((r) => r.oneExpert > 0.05)
      .map(
        (r) =>
          `- ${r.label} misses the 5% target by ${(100 * (r.oneExpert - 0.05)).toFixed(2)} points: a forward pass takes only ${r.forwardMs.toFixed(2)} ms there, and most of the time outside it is transformers.js's own per-model input bookkeeping between passes (the attention-mask concatenation and the cache object), which \`generate()\` pays too (${pct(r.generate)} on the same model, same measure). The loop's own work (combining, decoding) is ${pct(r.oneExpertOwn)}. Going lower would mean replacing transformers.js's input preparation, which is architecture-specific; the loop keeps it on purpose.`,
      ),
    '',
  ];
  return lines.join('\n');
}
