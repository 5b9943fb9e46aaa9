import type { AnyProcessor } from '../../core/processor';
import type { Sequence } from '../../core/sequence';
import type { DecodingOptions } from '../../decoding/sampling';
import type { ModelLike } from './model-info';
import { Tensor } from '@huggingface/transformers';
import { RuleLMError } from '../../core/errors';
import { startSequence } from '../../core/sequence';
import { assertFinite, assertIdsInVocabulary, assertOptions, assertPositive, assertPositiveInteger, fail, toTokenIds } from '../../core/validate';
import { decodingOptions, pickToken, seededRandom } from '../../decoding/sampling';
import { modelInfo } from './model-info';

/** The part of a transformers.js causal LM the loop drives (a `PreTrainedModel`). */
export interface CausalLMLike extends ModelLike {
  forward(inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
  prepare_inputs_for_generation(...args: unknown[]): unknown;
  _update_model_kwargs_for_generation(args: { generated_input_ids: bigint[][]; outputs: unknown; model_inputs: unknown; is_encoder_decoder: boolean }): unknown;
}

/** The part of a transformers.js tokenizer the loop uses. */
export interface ExpertTokenizerLike {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  get_vocab(): ReadonlyMap<string, number> | Readonly<Record<string, number>>;
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
  readonly processor?: AnyProcessor;
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

const KNOWN = ['experts', 'tokenizer', 'prompts', 'processor', 'plausibility', 'maxNewTokens', 'eosTokenIds', 'stop', 'seed', 'truncateVocabulary', 'onToken', 'streamer', 'signal', 'sample', 'temperature', 'topK', 'topP'];

function vocabularyKey(tokenizer: ExpertTokenizerLike): string {
  const vocab = tokenizer.get_vocab();
  const entries = vocab instanceof Map ? [...(vocab as ReadonlyMap<string, number>).entries()] : Object.entries(vocab);
  entries.sort((a, b) => a[1] - b[1]);
  let hash = 0;
  for (const [piece, id] of entries) for (let i = 0; i < piece.length; i++) hash = (Math.imul(hash, 31) + piece.charCodeAt(i) + id) | 0;
  return `${entries.length}:${hash}`;
}

// The hot loops live in small top-level functions over typed arrays, which V8 optimizes far
// better than loops inside the long async generation function.

// An expert's logits for the last position of each row, without copying: transformers.js
// returns [batch, positions, vocab] (one position after the first step).
function lastPosition(tensor: unknown, batch: number, index: number): { readonly data: Float32Array; readonly vocab: number; rowStart(b: number): number } {
  const t = tensor as { dims: number[]; data: unknown; type?: string; to?(type: string): { dims: number[]; data: unknown } };
  const float = t.data instanceof Float32Array ? t : t.to?.('float32');
  const dims = float?.dims ?? [];
  if (!(float?.data instanceof Float32Array) || dims.length !== 3 || dims[0] !== batch) {
    throw new RuleLMError(`expert ${index} returned logits of shape ${JSON.stringify(dims)}, not [${batch}, positions, vocab]`, { argument: `experts[${index}].model` });
  }
  const [, positions, vocab] = dims as [number, number, number];
  return { data: float.data, vocab, rowStart: (b: number) => (b * positions + positions - 1) * vocab };
}

// Largest score of source[offset .. offset + width).
function maxAt(source: Float32Array, offset: number, width: number): number {
  let max = -Infinity;
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x > max) max = x;
  }
  return max;
}

// log-sum-exp of source[offset .. offset + width), given its max.
function logSumExpAt(source: Float32Array, offset: number, width: number, max: number): number {
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let j = 0; j < width; j++) sum += Math.exp((source[offset + j] as number) - max);
  return max + Math.log(sum);
}

// target = (assign ? 0 : target) + weight * (source - shift), i.e. adds weight * log_softmax;
// a token masked by this expert (-Infinity) is masked in the result, whatever the weight's sign.
function addLogProbs(target: Float32Array, source: Float32Array, offset: number, width: number, weight: number, shift: number, assign: boolean): void {
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x === -Infinity) target[j] = -Infinity;
    else target[j] = (assign ? 0 : (target[j] as number)) + weight * (x - shift);
  }
}

// The plausibility cut: -Infinity wherever the deciding expert's score is below the threshold.
function maskBelow(target: Float32Array, source: Float32Array, offset: number, width: number, threshold: number): void {
  for (let j = 0; j < width; j++) if ((source[offset + j] as number) < threshold) target[j] = -Infinity;
}

/**
 * Generates from several transformers.js causal LMs at once as a product of experts:
 * per step, `score = sum of weight_i * log_softmax(logits_i)` (negative weights allowed), then
 * the plausibility cut (if any), then the rulelm `processor` (if any), then decoding (greedy,
 * or sampling with temperature, top-k and top-p from a seeded source). The processor sees the
 * exact scores; without one, the loop skips the normalizers (a constant per row, which changes
 * no decoding decision). Each model keeps its own
 * KV cache; the models' forward passes of a step are issued together so independent models can
 * overlap where the backend allows.
 *
 * transformers.js's `generate()` only runs synchronous processors, so this is the way to put a
 * second neural model in the decoding loop (proxy-tuning, contrastive decoding, DExperts, the
 * paper's base x rules): see the recipes {@link proxyTuning}, {@link contrastiveDecoding},
 * {@link dexperts}.
 *
 * @param options Experts, tokenizer, prompts, processor, decoding and stopping options.
 * @returns The rows, the number of steps and the seed.
 * @throws {RuleLMError} On bad options, vocabularies that differ (in size, unless
 * `truncateVocabulary`; in content, always). Rejects with the signal's reason when aborted.
 * @example
 * ```ts
 * const { rows } = await generateWithExperts({ tokenizer, prompts: 'Once upon a time', experts: [{ model: big, weight: 1 }, { model: small, weight: -0.5 }], maxNewTokens: 50 });
 * ```
 */
export async function generateWithExperts(options: ExpertsGenerationOptions): Promise<ExpertsGenerationResult> {
  assertOptions('options', options, KNOWN);
  const { experts, tokenizer, prompts, processor, plausibility, maxNewTokens = 256, stop = [], truncateVocabulary = false, onToken, streamer, signal } = options;
  const decoding = decodingOptions({
    ...(options.sample === undefined ? {} : { sample: options.sample }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topK === undefined ? {} : { topK: options.topK }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
  });
  if (!Array.isArray(experts) || experts.length === 0) fail('experts', 'a non-empty array of { model, weight }', experts);
  experts.forEach((e: unknown, i) => {
    assertOptions(`experts[${i}]`, e, ['model', 'weight', 'tokenizer']);
    const { model, weight } = e as NeuralExpert;
    if ((typeof model !== 'object' && typeof model !== 'function') || model === null || typeof (model as CausalLMLike).forward !== 'function') {
      fail(`experts[${i}].model`, 'a transformers.js causal LM', model);
    }
    assertFinite(`experts[${i}].weight`, weight);
  });
  if (typeof tokenizer !== 'object' && typeof tokenizer !== 'function') fail('tokenizer', 'a transformers.js tokenizer', tokenizer);
  if (tokenizer === null || typeof tokenizer.encode !== 'function' || typeof tokenizer.decode !== 'function') fail('tokenizer', 'a transformers.js tokenizer', tokenizer);
  assertPositiveInteger('maxNewTokens', maxNewTokens);
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) fail('stop', 'an array of non-empty strings', stop);
  if (typeof truncateVocabulary !== 'boolean') fail('truncateVocabulary', 'a boolean', truncateVocabulary);
  if (onToken !== undefined && typeof onToken !== 'function') fail('onToken', 'a function', onToken);
  if (plausibility !== undefined) {
    assertOptions('plausibility', plausibility, ['expert', 'alpha']);
    if (!Number.isInteger(plausibility.expert) || plausibility.expert < 0 || plausibility.expert >= experts.length) fail('plausibility.expert', `an expert index from 0 to ${experts.length - 1}`, plausibility.expert);
    assertPositive('plausibility.alpha', plausibility.alpha);
    if (plausibility.alpha > 1) fail('plausibility.alpha', 'a number in (0, 1]', plausibility.alpha);
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);

  // Tokenizers must agree.
  const key = experts.some((e) => e.tokenizer !== undefined && e.tokenizer !== tokenizer) ? vocabularyKey(tokenizer) : '';
  experts.forEach((e, i) => {
    if (e.tokenizer !== undefined && e.tokenizer !== tokenizer && vocabularyKey(e.tokenizer) !== key) {
      throw new RuleLMError(`\`experts[${i}].tokenizer\` has a different vocabulary from \`tokenizer\`; experts must share a tokenizer`, { argument: `experts[${i}].tokenizer` });
    }
  });

  const first = modelInfo(experts[0]!.model);
  const eosOption = options.eosTokenIds ?? first.eosTokenIds;
  const eos = toTokenIds('eosTokenIds', typeof eosOption === 'number' ? [eosOption] : eosOption, { allowEmpty: true });
  const padId = tokenizer.pad_token_id ?? first.padTokenId ?? eos[0] ?? 0;

  // Prompts: ids per row, left-padded.
  const list: readonly (string | readonly number[])[] = typeof prompts === 'string' ? [prompts] : Array.isArray(prompts) ? prompts : fail('prompts', 'a string, an array of strings or an array of token id arrays', prompts);
  if (list.length === 0) fail('prompts', 'a non-empty list', prompts);
  const rowsIds = list.map((p, i) => (typeof p === 'string' ? tokenizer.encode(p) : [...toTokenIds(`prompts[${i}]`, p, { allowEmpty: true })]));
  if (rowsIds.some((r) => r.length === 0)) fail('prompts', 'prompts of at least one token', prompts);
  const batch = rowsIds.length;
  const width = Math.max(...rowsIds.map((r) => r.length));
  const ids: bigint[][] = rowsIds.map((r) => [...new Array<bigint>(width - r.length).fill(BigInt(padId)), ...r.map(BigInt)]);
  const mask = rowsIds.flatMap((r) => [...new Array<bigint>(width - r.length).fill(0n), ...new Array<bigint>(r.length).fill(1n)]);

  // The vocabulary size: from the configs when they all state it, so prompts, EOS ids and the
  // processor are checked before any forward pass; otherwise from the first logits.
  const commonSize = (sizes: readonly number[]): number => {
    if (!truncateVocabulary && sizes.some((s) => s !== sizes[0])) {
      throw new RuleLMError(`the experts' vocabularies differ in size (${sizes.join(', ')}); pass \`truncateVocabulary: true\` to use the common ${Math.min(...sizes)} ids`, { argument: 'experts' });
    }
    return Math.min(...sizes);
  };
  const setUp = (size: number): void => {
    vocabSize = size;
    rowsIds.forEach((r, i) => assertIdsInVocabulary(`prompts[${i}]`, r, size));
    assertIdsInVocabulary('eosTokenIds', eos, size);
    combined = new Float32Array(size);
    if (processor !== undefined) for (const r of rowsIds) sequences.push(startSequence(processor, { prompt: r, vocabSize: size, capacity: r.length + maxNewTokens }));
  };
  const declared = experts.map((e) => modelInfo(e.model).vocabSize);
  let vocabSize = 0;
  let combined = new Float32Array(0);
  const sequences: Sequence[] = [];
  if (declared.every((d): d is number => d !== undefined)) setUp(commonSize(declared));

  const states = experts.map((e) => {
    const model = e.model;
    const config = (model as unknown as { _prepare_generation_config?: (g: null, k: object) => unknown })._prepare_generation_config?.(null, {}) ?? {};
    return {
      model,
      weight: e.weight,
      config,
      inputs: { input_ids: new Tensor('int64', ids.flat(), [batch, width]), attention_mask: new Tensor('int64', BigInt64Array.from(mask), [batch, width]) } as Record<string, unknown>,
    };
  });

  const generated: number[][] = rowsIds.map(() => []);
  const finish: (FinishReason | undefined)[] = rowsIds.map(() => undefined);
  const maxStop = Math.max(0, ...stop.map((s) => s.length));
  streamer?.put(ids.map((r) => [...r]));

  // The text of `tokens` as it reads after `context`: decoded together and cut, so a
  // SentencePiece leading space is kept (decoders drop it at the start of a text).
  const decodeAfter = (context: readonly number[], tokens: readonly number[]): string => {
    const before = tokenizer.decode([...context], { skip_special_tokens: true });
    const text = tokenizer.decode([...context, ...tokens], { skip_special_tokens: true });
    return text.startsWith(before) ? text.slice(before.length) : tokenizer.decode([...tokens], { skip_special_tokens: true });
  };

  const abort = (): void => {
    if (signal?.aborted) throw signal.reason ?? new RuleLMError('the generation was aborted', { argument: 'signal' });
  };

  let step = 0;
  try {
    for (; step < maxNewTokens && finish.some((f) => f === undefined); step++) {
      abort();
      const outputs = await Promise.all(
        states.map(async (s) => {
          s.inputs = s.model.prepare_inputs_for_generation(ids, s.inputs, s.config) as Record<string, unknown>;
          const out = await s.model.forward(s.inputs);
          return out;
        }),
      );
      abort();
      // Each expert's last-position scores, read in place: row b starts at rowStart(b).
      const logits = outputs.map((o, i) => lastPosition(o.logits, batch, i));
      if (step === 0) {
        const actual = commonSize(logits.map((t) => t.vocab));
        if (vocabSize === 0) setUp(actual);
        else if (actual !== vocabSize) {
          throw new RuleLMError(`the experts' logits have ${actual} common ids, but their configs declare ${vocabSize}`, { argument: 'experts' });
        }
      }
      const chosen: bigint[][] = [];
      for (let b = 0; b < batch; b++) {
        if (finish[b] !== undefined) {
          chosen.push([BigInt(padId)]);
          continue;
        }
        let assigned = false;
        let cut = -Infinity;
        for (let i = 0; i < logits.length; i++) {
          const t = logits[i]!;
          const offset = t.rowStart(b);
          const max = maxAt(t.data, offset, vocabSize);
          if (plausibility !== undefined && plausibility.expert === i) cut = max + Math.log(plausibility.alpha);
          const w = states[i]!.weight;
          if (w === 0) continue;
          // Without a processor nobody sees the scores but the decoder, which a per-row constant
          // does not change: the max stands in for the normalizer and the exp pass is skipped.
          const shift = processor === undefined ? max : logSumExpAt(t.data, offset, vocabSize, max);
          addLogProbs(combined, t.data, offset, vocabSize, w, shift, !assigned);
          assigned = true;
        }
        if (!assigned) combined.fill(0);
        if (plausibility !== undefined) {
          const t = logits[plausibility.expert]!;
          maskBelow(combined, t.data, t.rowStart(b), vocabSize, cut);
        }
        sequences[b]?.process(combined);
        const token = pickToken(combined, decoding, random);
        if (token < 0) throw new RuleLMError(`every token is masked in row ${b} at step ${step}`, { argument: 'experts' });
        generated[b]!.push(token);
        sequences[b]?.push(token);
        onToken?.({ step, batchIndex: b, token });
        if (eos.includes(token)) finish[b] = 'eos';
        else if (maxStop > 0) {
          // Only the last tokens can complete a stop string; one token before them is context.
          const tokens = generated[b]!;
          const start = Math.max(0, tokens.length - (maxStop * 4 + 8));
          const tail = decodeAfter(start > 0 ? tokens.slice(start - 1, start) : rowsIds[b]!.slice(-1), tokens.slice(start));
          if (stop.some((s) => tail.includes(s))) {
            finish[b] = 'stop';
          }
        }
        chosen.push([BigInt(token)]);
      }
      for (let b = 0; b < batch; b++) ids[b]!.push(chosen[b]![0] as bigint);
      streamer?.put(chosen);
      for (let i = 0; i < states.length; i++) {
        const s = states[i]!;
        s.inputs = s.model._update_model_kwargs_for_generation({ generated_input_ids: chosen, outputs: outputs[i], model_inputs: s.inputs, is_encoder_decoder: false }) as Record<string, unknown>;
      }
    }
  } finally {
    streamer?.end();
    for (const s of states) await (s.inputs.past_key_values as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
  }

  const rows = generated.map((tokens, b): ExpertsGenerationRow => {
    let text = decodeAfter(rowsIds[b]!, tokens);
    if (finish[b] === 'stop') {
      const at = Math.min(...stop.map((s) => text.indexOf(s)).filter((i) => i >= 0));
      text = text.slice(0, at);
    }
    return { tokens, text, finishReason: finish[b] ?? 'length' };
  });
  return { rows, steps: step, seed };
}
