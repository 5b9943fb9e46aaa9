import type { Processor } from '../../core/processor';
import type { DecodingOptions } from '../../decoding/sampling';
import type { ResolvedExpertsOptions } from './experts-options';
import type { StepLogits } from './experts-combine';
import type { ModelLike } from './model-info';
import { RuleLMError } from '../../core/errors';
import { assertIdsInVocabulary } from '../../core/validate';
import { pickToken } from '../../decoding/sampling';
import { leftPad, promptIds } from './experts-batch';
import { argmaxAt } from '../../core/row';
import { combineRow, rowStart, stepLogits } from './experts-combine';
import { commonVocabularySize, resolveExpertsOptions } from './experts-options';
import { GenerationRow, running } from './experts-rows';
import { StopStrings } from './experts-stop';
import { CachedDecoder } from './internals';
import { modelInfo } from './model-info';

/**
 * A transformers.js causal LM (a `PreTrainedModel`, e.g. from `AutoModelForCausalLM`), as
 * {@link generateWithExperts} sees it. The loop also calls the private generation methods that
 * `generate()` uses, and checks that the model has them.
 */
export interface CausalLMLike extends ModelLike {
  /** Runs the model on a batch of inputs; the outputs hold `logits`. */
  forward(inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The part of a transformers.js tokenizer the loop uses. */
export interface ExpertTokenizerLike {
  /** Encodes a prompt. */
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  /** Decodes responses (for their text and the stop strings). */
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  /** The vocabulary, compared when an expert brings its own tokenizer. */
  get_vocab(): ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Pads shorter prompts of a batch (on the left). */
  readonly pad_token_id?: number | null | undefined;
}

/** One neural expert: a causal LM and its weight in the product. */
export interface NeuralExpert {
  /** The model. */
  readonly model: CausalLMLike;
  /** Its weight (negative allowed). */
  readonly weight: number;
  /** Its tokenizer, when it differs from the loop's object; it must have the same vocabulary. */
  readonly tokenizer?: ExpertTokenizerLike;
}

/** The adaptive plausibility cut of contrastive decoding. */
export interface PlausibilityCut {
  /** Index of the expert whose probabilities decide (the strong model). */
  readonly expert: number;
  /** Keep tokens with `p >= alpha * max p` under that expert; the rest get `-Infinity`. */
  readonly alpha: number;
}

/** Options of {@link generateWithExperts}. */
export interface ExpertsGenerationOptions extends DecodingOptions {
  /** The neural experts (at least one). */
  readonly experts: readonly NeuralExpert[];
  /** The shared tokenizer (encodes prompts, decodes responses, checks stop strings). */
  readonly tokenizer: ExpertTokenizerLike;
  /** One prompt, a batch, or token ids (one array per row). Batches are left-padded. */
  readonly prompts: string | readonly string[] | readonly (readonly number[])[];
  /** A rulelm processor applied to the combined scores before decoding. */
  readonly processor?: Processor;
  /** Contrastive decoding's plausibility cut, applied before the processor. */
  readonly plausibility?: PlausibilityCut;
  /** Maximum number of new tokens per row. Default 256. */
  readonly maxNewTokens?: number;
  /** Ids that end a row. Default: the first expert's EOS ids. */
  readonly eosTokenIds?: number | readonly number[];
  /** Strings that end a row; the response text is cut before them. */
  readonly stop?: readonly string[];
  /** Seed for sampling (default: a random seed). */
  readonly seed?: number;
  /** Allow experts whose vocabularies differ in size, using the common prefix of ids (what the paper's reference code does). */
  readonly truncateVocabulary?: boolean;
  /** Called once per step with each row's new token (finished rows are left out). */
  readonly onToken?: (event: { readonly step: number; readonly batchIndex: number; readonly token: number }) => void;
  /** A transformers.js streamer (`TextStreamer`): gets the prompt ids then each step's tokens, like generate(). */
  readonly streamer?: { put(ids: bigint[][]): void; end(): void };
  /** Stops the generation: the promise rejects with the signal's reason within one step. */
  readonly signal?: AbortSignal;
}

/** Why a row ended. */
export type FinishReason = 'eos' | 'stop' | 'length';

/** One generated row. */
export interface ExpertsGenerationRow {
  /** The new tokens (up to and including an EOS; after a stop string, up to the token that completed it). */
  readonly tokens: readonly number[];
  /** The response text (what follows the prompt's text, so a leading space is kept), without special tokens, cut before a stop string. */
  readonly text: string;
  /** Why it ended. */
  readonly finishReason: FinishReason;
}

/** The result of {@link generateWithExperts}. */
export interface ExpertsGenerationResult {
  /** One row per prompt. */
  readonly rows: readonly ExpertsGenerationRow[];
  /** Number of decoding steps run. */
  readonly steps: number;
  /** The seed used for sampling. */
  readonly seed: number;
}

/**
 * Generates from several transformers.js causal LMs at once as a product of experts:
 * per step, `score = sum of weight_i * log_softmax(logits_i)` (negative weights allowed), then
 * the plausibility cut (if any), then the rulelm `processor` (if any), then decoding (greedy,
 * or sampling with temperature, top-k and top-p from a seeded source). A processor that reads
 * the row (one not `additive`, such as `TopP`) sees the exact scores; with none, or an additive
 * one (its scores do not depend on the row), the loop skips the normalizers (a constant per
 * row, which changes no decoding decision), and greedy decoding of one model (weight at least 1) with no cut is one
 * argmax pass over its logits. Scores a broken model gives are handled as the core's
 * `ProductOfExperts` does: a `NaN` logit stays at its own token (never picked, never spread to
 * the others), a `+Infinity` logit takes all of its expert's mass. Each model keeps its own KV cache, stepped with the methods
 * transformers.js's own `generate()` uses; the models' forward passes of a step are issued
 * together so independent models can overlap where the backend allows.
 *
 * transformers.js's `generate()` only runs synchronous processors, so this is the way to put a
 * second neural model in the decoding loop (proxy-tuning, contrastive decoding, DExperts, the
 * paper's base x rules): see the recipes {@link proxyTuning}, {@link contrastiveDecoding},
 * {@link dexperts}.
 *
 * @param options Experts, tokenizer, prompts, processor, decoding and stopping options.
 * @returns The rows, the number of steps and the seed.
 * @throws {RuleLMError} On bad options (`temperature`, `topK` or `topP` without `sample: true`
 * among them), vocabularies that differ (in size, unless `truncateVocabulary`; in content,
 * always), or a step where every token is masked or `NaN`. Rejects with the signal's reason when aborted.
 * @example
 * ```ts
 * const { rows } = await generateWithExperts({ tokenizer, prompts: 'Once upon a time', experts: [{ model: big, weight: 1 }, { model: small, weight: -0.5 }], maxNewTokens: 50 });
 * ```
 */
export async function generateWithExperts(options: ExpertsGenerationOptions): Promise<ExpertsGenerationResult> {
  const settings = resolveExpertsOptions(options);
  const { tokenizer, maxNewTokens, streamer, signal } = settings;
  const rows = promptIds(tokenizer, options.prompts).map((prompt) => new GenerationRow(prompt));
  const batch = leftPad(rows.map((row) => row.prompt), settings.padTokenId);
  const inputIds = batch.inputIds;

  // The vocabulary size: from the configs when they all state it, so prompts, EOS ids and the
  // processor are checked before any forward pass; otherwise from the first logits.
  const declared = settings.experts.map((e) => modelInfo(e.model).vocabSize);
  let vocabSize = declared.every((d): d is number => d !== undefined) ? useVocabulary(settings, rows, commonVocabularySize(declared, settings.truncateVocabulary)) : 0;
  let combined = new Float32Array(vocabSize);

  const decoders = settings.experts.map((e) => new CachedDecoder(e.model, inputIds, batch.attentionMask));
  const stops = new StopStrings(tokenizer, settings.stop);
  streamer?.put(inputIds.map((r) => [...r]));
  let step = 0;
  try {
    for (; step < maxNewTokens && rows.some(running); step++) {
      signal?.throwIfAborted();
      const outputs = await Promise.all(decoders.map((d) => d.forward(inputIds)));
      signal?.throwIfAborted();
      const logits = outputs.map((o, i) => stepLogits(o.logits, rows.length, i));
      if (step === 0) {
        const actual = commonVocabularySize(logits.map((t) => t.vocab), settings.truncateVocabulary);
        if (vocabSize === 0) {
          vocabSize = useVocabulary(settings, rows, actual);
          combined = new Float32Array(vocabSize);
        } else if (actual !== vocabSize) {
          throw new RuleLMError(`the experts' logits have ${actual} common ids, but their configs declare ${vocabSize}`, { argument: 'experts' });
        }
      }
      const chosen: bigint[][] = [];
      for (let b = 0; b < rows.length; b++) {
        const row = rows[b] as GenerationRow;
        if (!running(row)) {
          chosen.push([BigInt(settings.padTokenId)]);
          continue;
        }
        const token = nextToken(settings, row, b, step, logits, combined, vocabSize);
        row.accept(token, settings.eosTokenIds, stops);
        settings.onToken?.({ step, batchIndex: b, token });
        chosen.push([BigInt(token)]);
      }
      for (let b = 0; b < rows.length; b++) (inputIds[b] as bigint[]).push((chosen[b] as bigint[])[0] as bigint);
      streamer?.put(chosen);
      for (let i = 0; i < decoders.length; i++) (decoders[i] as CachedDecoder).advance(chosen, outputs[i] as Record<string, unknown>);
    }
  } finally {
    streamer?.end();
    for (const decoder of decoders) await decoder.dispose();
  }
  return { rows: rows.map((row) => row.result(tokenizer, stops)), steps: step, seed: settings.seed };
}

// Checks the prompts and EOS ids against the vocabulary and starts the processor on every row.
function useVocabulary(settings: ResolvedExpertsOptions, rows: readonly GenerationRow[], vocabSize: number): number {
  rows.forEach((row, i) => assertIdsInVocabulary(`prompts[${i}]`, row.prompt, vocabSize));
  assertIdsInVocabulary('eosTokenIds', settings.eosTokenIds, vocabSize);
  const { processor } = settings;
  if (processor !== undefined) for (const row of rows) row.start(processor, vocabSize, settings.maxNewTokens);
  return vocabSize;
}

// Row b's next token: the experts' scores combined into `combined`, then the processor (one that
// reads the row sees exact log-probabilities; with none, or an additive one, the normalizers are
// skipped), then decoding; one greedy model alone is its argmax.
function nextToken(settings: ResolvedExpertsOptions, row: GenerationRow, b: number, step: number, logits: readonly StepLogits[], combined: Float32Array, vocabSize: number): number {
  const { processor, plausibility, weights } = settings;
  let token: number;
  if (processor === undefined && plausibility === undefined && !settings.decoding.sample && logits.length === 1 && (weights[0] as number) >= 1) {
    // One model, greedy, nothing else: the argmax of its logits is the decision (one pass):
    // `weight * (x - max)` keeps the order and is 0 only at the max (a weight below 1 could round
    // a near-max score to 0 too, hence weight >= 1).
    const only = logits[0] as StepLogits;
    token = argmaxAt(only.data, rowStart(only, b), vocabSize);
  } else {
    combineRow(combined, logits, weights, b, vocabSize, processor !== undefined && !processor.additive, plausibility);
    row.sequence?.process(combined);
    token = pickToken(combined, settings.decoding, settings.random);
  }
  if (token < 0) throw new RuleLMError(`every token is masked (-Infinity) or NaN in row ${b} at step ${step}`, { argument: 'experts' });
  return token;
}
