/**
 * End-to-end `model.generate()` throughput with and without the paper's preset (through the
 * transformers.js adapter), greedy, in interleaved pairs of runs.
 *
 * Both arms generate exactly the same number of tokens (`min_new_tokens = max_new_tokens`), so
 * the preset's EOS ramp cannot shorten its runs; the ramp still runs every step (it adds to a
 * score transformers.js has already masked). Both arms pass a logits processor that reads the
 * clock at every step (the base arm's does nothing else), which gives the time of every
 * decoding step: the per-token overhead is compared on the median step of each run, which
 * shrugs off the pauses a shared machine inserts. The preset arm also times the adapter's own
 * call, its direct share of the generation.
 */
import type { Tensor } from '@huggingface/transformers';
import type { LoadedModel } from './lib/models';
import { LogitsProcessor, LogitsProcessorList } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList } from '../src/adapters/transformers/index';
import { STORIES_DIR } from './lib/data';
import { collectGarbage, median } from './lib/harness';
import { REAL_DIMS, ensureRealDimsModel, loadModel } from './lib/models';

/** Settings of {@link runEndToEnd}. */
export interface EndToEndOptions {
  /** Fewer tokens and pairs. */
  readonly quick: boolean;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** One model's measurements. */
export interface EndToEndResult {
  /** Model label. */
  readonly label: string;
  /** Logits row width. */
  readonly vocabSize: number;
  /** Prompt length in tokens. */
  readonly promptTokens: number;
  /** Tokens generated per run. */
  readonly tokens: number;
  /** Tokens per second of each base run. */
  readonly baseTps: readonly number[];
  /** Tokens per second of each preset run. */
  readonly presetTps: readonly number[];
  /** Per pair: preset run time / base run time - 1 (whole runs, wall clock). */
  readonly overheads: readonly number[];
  /** Per pair: median decoding step with the preset / median step without - 1. */
  readonly stepOverheads: readonly number[];
  /** Per pair: fastest-decile step with the preset / without - 1. */
  readonly fastStepOverheads: readonly number[];
  /** Median decoding step of each base run, in milliseconds. */
  readonly baseStepMs: readonly number[];
  /** Median decoding step of each preset run, in milliseconds. */
  readonly presetStepMs: readonly number[];
  /** Per preset run: time spent in the adapter's call / run time. */
  readonly shares: readonly number[];
  /** Per preset run: adapter time per generated token, in microseconds. */
  readonly adapterUs: readonly number[];
  /** Why the model was skipped, when it was. */
  readonly skipped?: string;
}

const INSTRUCTION = 'Tell me a story about a dog.';

interface Run {
  readonly ms: number;
  readonly generated: number;
  readonly adapterMs: number;
  /** Median time between two consecutive logits-processor calls: one decoding step. */
  readonly stepMs: number;
  /** The fastest decile of those steps (10th percentile): what contention adds least to. */
  readonly fastStepMs: number;
}

// A logits processor that reads the clock at every call (the time between two calls is one
// decoding step) and then runs `inner`, when there is one, timing it.
class StepClock extends LogitsProcessor {
  stamps: number[] = [];
  innerMs = 0;
  readonly #inner: LogitsProcessorList | undefined;

  constructor(inner?: LogitsProcessorList) {
    super();
    this.#inner = inner;
  }

  reset(): void {
    this.stamps = [];
    this.innerMs = 0;
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const t0 = performance.now();
    this.stamps.push(t0);
    if (this.#inner === undefined) return logits;
    const out = this.#inner(inputIds, logits) as Tensor;
    this.innerMs += performance.now() - t0;
    return out;
  }
}

async function measure(label: string, loaded: LoadedModel, tokens: number, pairs: number, log: (line: string) => void): Promise<EndToEndResult> {
  const { model, tokenizer } = loaded;
  const rules = hewitt2024ForModel(model, tokenizer);
  const withAdapter = new StepClock(logitsProcessorList(rules, { model }));
  const timed = new LogitsProcessorList();
  timed.push(withAdapter);
  const alone = new StepClock();
  const clockOnly = new LogitsProcessorList();
  clockOnly.push(alone);
  const formatted = formatPrompt(tokenizer, INSTRUCTION);
  const inputs = tokenizer(formatted.text, { add_special_tokens: formatted.addSpecialTokens }) as { input_ids: Tensor; attention_mask: Tensor };
  const promptTokens = inputs.input_ids.dims[1] as number;
  const vocabSize = (model.config as unknown as { vocab_size: number }).vocab_size;

  const generate = async (withRules: boolean, count: number): Promise<Run> => {
    collectGarbage();
    const clock = withRules ? withAdapter : alone;
    clock.reset();
    const t0 = performance.now();
    const output = (await model.generate({
      ...inputs,
      max_new_tokens: count,
      min_new_tokens: count,
      do_sample: false,
      logits_processor: withRules ? timed : clockOnly,
    })) as Tensor;
    const ms = performance.now() - t0;
    const { stamps, innerMs: adapterMs } = clock;
    const steps = stamps.slice(1).map((t, i) => t - (stamps[i] as number));
    const sorted = [...steps].sort((a, b) => a - b);
    const fastStepMs = sorted[Math.floor(0.1 * (sorted.length - 1))] ?? NaN;
    return { ms, generated: (output.dims[1] as number) - promptTokens, adapterMs, stepMs: median(steps), fastStepMs };
  };

  await generate(false, tokens);
  await generate(true, tokens);
  const baseTps: number[] = [];
  const presetTps: number[] = [];
  const overheads: number[] = [];
  const stepOverheads: number[] = [];
  const fastStepOverheads: number[] = [];
  const baseStepMs: number[] = [];
  const presetStepMs: number[] = [];
  const shares: number[] = [];
  const adapterUs: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    // Alternate which arm goes first, so a trend in machine speed does not favour one.
    const order = pair % 2 === 0 ? [false, true] : [true, false];
    const runs = new Map<boolean, Run>();
    for (const withRules of order) runs.set(withRules, await generate(withRules, tokens));
    const base = runs.get(false) as Run;
    const preset = runs.get(true) as Run;
    if (base.generated !== tokens || preset.generated !== tokens) throw new Error(`bench: ${label} generated ${base.generated} / ${preset.generated} tokens instead of ${tokens}`);
    baseTps.push((1000 * tokens) / base.ms);
    presetTps.push((1000 * tokens) / preset.ms);
    overheads.push(preset.ms / base.ms - 1);
    stepOverheads.push(preset.stepMs / base.stepMs - 1);
    fastStepOverheads.push(preset.fastStepMs / base.fastStepMs - 1);
    baseStepMs.push(base.stepMs);
    presetStepMs.push(preset.stepMs);
    shares.push(preset.adapterMs / preset.ms);
    adapterUs.push((1000 * preset.adapterMs) / tokens);
    log(
      `[e2e] ${label} pair ${pair + 1}/${pairs}: base ${baseTps.at(-1)?.toFixed(1)} tok/s (step ${base.stepMs.toFixed(2)} ms), ` +
        `preset ${presetTps.at(-1)?.toFixed(1)} tok/s (step ${preset.stepMs.toFixed(2)} ms), adapter ${adapterUs.at(-1)?.toFixed(1)} us/token`,
    );
  }
  return { label, vocabSize, promptTokens, tokens, baseTps, presetTps, overheads, stepOverheads, fastStepOverheads, baseStepMs, presetStepMs, shares, adapterUs };
}

/**
 * Runs the end-to-end benchmark on stories260K (when present) and the real-dimension model.
 *
 * @param options Quick mode and progress output.
 * @returns One result per model.
 */
export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult[]> {
  const { quick, log } = options;
  const results: EndToEndResult[] = [];
  const storiesLabel = 'stories260K (vocab 512, pretrained)';
  if (existsSync(join(STORIES_DIR, 'onnx', 'model.onnx'))) {
    results.push(await measure(storiesLabel, await loadModel(STORIES_DIR), quick ? 96 : 128, quick ? 3 : 15, log));
  } else {
    log(`[e2e] NOTICE: ${STORIES_DIR} is missing; stories260K is skipped.`);
    const none: number[] = [];
    results.push({
      label: storiesLabel,
      vocabSize: 512,
      promptTokens: 0,
      tokens: 0,
      baseTps: none,
      presetTps: none,
      overheads: none,
      stepOverheads: none,
      fastStepOverheads: none,
      baseStepMs: none,
      presetStepMs: none,
      shares: none,
      adapterUs: none,
      skipped: `${STORIES_DIR} is missing`,
    });
  }
  const dir = await ensureRealDimsModel(log);
  const label = `generated, real dimensions (vocab ${REAL_DIMS.vocabSize}, hidden ${REAL_DIMS.hidden}, ${REAL_DIMS.layers} layers, ${REAL_DIMS.heads}/${REAL_DIMS.kvHeads} heads, llama2 tokenizer)`;
  results.push(await measure(label, await loadModel(dir), quick ? 24 : 32, quick ? 3 : 16, log));
  return results;
}
