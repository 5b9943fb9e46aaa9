// The options of generateWithExperts, validated and with their defaults; and the checks that the
// experts share one vocabulary.
import type { Processor } from '../../core/processor';
import type { Decoding, RandomSource } from '../../decoding/sampling';
import type { CausalLMLike, ExpertsGenerationOptions, ExpertTokenizerLike, NeuralExpert, PlausibilityCut } from './experts';
import { RuleLMError } from '../../core/errors';
import { assertProcessor } from '../../core/processor';
import { assertFinite, assertOptions, assertPositive, assertPositiveInteger, fail, toTokenIdList } from '../../core/validate';
import { decodingOptions, seededRandom } from '../../decoding/sampling';
import { assertGenerationMethods } from './internals';
import { modelInfo } from './model-info';

/** {@link ExpertsGenerationOptions} validated, with defaults (the prompts are read by `promptIds`). */
export interface ResolvedExpertsOptions {
  readonly experts: readonly NeuralExpert[];
  /** Each expert's weight. */
  readonly weights: readonly number[];
  readonly tokenizer: ExpertTokenizerLike;
  readonly processor: Processor | undefined;
  readonly plausibility: PlausibilityCut | undefined;
  readonly maxNewTokens: number;
  /** The ids that end a row (the option, or the first expert's). */
  readonly eosTokenIds: Int32Array;
  /** The padding id: the tokenizer's, else the first expert's, else the first EOS id, else 0. */
  readonly padTokenId: number;
  readonly stop: readonly string[];
  readonly truncateVocabulary: boolean;
  readonly decoding: Decoding;
  /** The seed (the option, or a random one). */
  readonly seed: number;
  /** The sampler's random source, seeded with `seed`. */
  readonly random: RandomSource;
  readonly onToken: ExpertsGenerationOptions['onToken'];
  readonly streamer: ExpertsGenerationOptions['streamer'];
  readonly signal: AbortSignal | undefined;
}

const KNOWN = ['experts', 'tokenizer', 'prompts', 'processor', 'plausibility', 'maxNewTokens', 'eosTokenIds', 'stop', 'seed', 'truncateVocabulary', 'onToken', 'streamer', 'signal', 'sample', 'temperature', 'topK', 'topP'];

/**
 * Checks that a value is a transformers.js causal LM the experts loop can drive: it has
 * `forward` and the private generation methods (see `internals.ts`).
 *
 * @param argument The argument's name.
 * @param value The value.
 * @returns The model.
 * @throws {RuleLMError} Naming the argument (and the missing method).
 */
export function assertCausalLM(argument: string, value: unknown): CausalLMLike {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || typeof (value as CausalLMLike).forward !== 'function') {
    fail(argument, 'a transformers.js causal LM', value);
  }
  assertGenerationMethods(argument, value as CausalLMLike);
  return value as CausalLMLike;
}

function assertExperts(experts: unknown): asserts experts is readonly NeuralExpert[] {
  if (!Array.isArray(experts) || experts.length === 0) fail('experts', 'a non-empty array of { model, weight }', experts);
  experts.forEach((e: unknown, i) => {
    assertOptions(`experts[${i}]`, e, ['model', 'weight', 'tokenizer']);
    assertCausalLM(`experts[${i}].model`, (e as NeuralExpert).model);
    assertFinite(`experts[${i}].weight`, (e as NeuralExpert).weight);
  });
}

function assertPlausibility(plausibility: PlausibilityCut, experts: number): void {
  assertOptions('plausibility', plausibility, ['expert', 'alpha']);
  if (!Number.isInteger(plausibility.expert) || plausibility.expert < 0 || plausibility.expert >= experts) fail('plausibility.expert', `an expert index from 0 to ${experts - 1}`, plausibility.expert);
  assertPositive('plausibility.alpha', plausibility.alpha);
  if (plausibility.alpha > 1) fail('plausibility.alpha', 'a number in (0, 1]', plausibility.alpha);
}

/**
 * Validates the options of `generateWithExperts` (all but the prompts) and fills in defaults.
 *
 * @param options The options.
 * @returns The resolved options.
 * @throws {RuleLMError} Naming the first bad option.
 */
export function resolveExpertsOptions(options: ExpertsGenerationOptions): ResolvedExpertsOptions {
  assertOptions('options', options, KNOWN);
  const { experts, tokenizer, processor, plausibility, maxNewTokens = 256, stop = [], truncateVocabulary = false, onToken, streamer, signal } = options;
  const decoding = decodingOptions({
    ...(options.sample === undefined ? {} : { sample: options.sample }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topK === undefined ? {} : { topK: options.topK }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
  });
  assertExperts(experts);
  if ((typeof tokenizer !== 'object' && typeof tokenizer !== 'function') || tokenizer === null || typeof tokenizer.encode !== 'function' || typeof tokenizer.decode !== 'function') {
    fail('tokenizer', 'a transformers.js tokenizer', tokenizer);
  }
  if (processor !== undefined) assertProcessor('processor', processor);
  assertPositiveInteger('maxNewTokens', maxNewTokens);
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) fail('stop', 'an array of non-empty strings', stop);
  if (typeof truncateVocabulary !== 'boolean') fail('truncateVocabulary', 'a boolean', truncateVocabulary);
  if (onToken !== undefined && typeof onToken !== 'function') fail('onToken', 'a function', onToken);
  if (signal !== undefined && typeof (signal as Partial<AbortSignal> | null)?.throwIfAborted !== 'function') fail('signal', 'an AbortSignal', signal);
  if (plausibility !== undefined) assertPlausibility(plausibility, experts.length);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  assertSharedTokenizer(tokenizer, experts);

  const first = modelInfo((experts[0] as NeuralExpert).model);
  const eosOption = options.eosTokenIds ?? first.eosTokenIds;
  const eosTokenIds = toTokenIdList('eosTokenIds', eosOption, { allowEmpty: true });
  const padTokenId = tokenizer.pad_token_id ?? first.padTokenId ?? eosTokenIds[0] ?? 0;
  const weights = experts.map((e) => e.weight);
  return { experts, weights, tokenizer, processor, plausibility, maxNewTokens, eosTokenIds, padTokenId, stop, truncateVocabulary, decoding, seed, random, onToken, streamer, signal };
}

// A fingerprint of a tokenizer's vocabulary (its size and a hash of its pieces and ids).
function vocabularyKey(tokenizer: ExpertTokenizerLike): string {
  const vocab = tokenizer.get_vocab();
  const entries = vocab instanceof Map ? [...(vocab as ReadonlyMap<string, number>).entries()] : Object.entries(vocab);
  entries.sort((a, b) => a[1] - b[1]);
  let hash = 0;
  for (const [piece, id] of entries) for (let i = 0; i < piece.length; i++) hash = (Math.imul(hash, 31) + piece.charCodeAt(i) + id) | 0;
  return `${entries.length}:${hash}`;
}

/**
 * Checks that every expert's own tokenizer, when it has one, has the vocabulary of `tokenizer`.
 *
 * @param tokenizer The loop's tokenizer.
 * @param experts The experts.
 * @throws {RuleLMError} Naming the first expert whose tokenizer differs.
 */
export function assertSharedTokenizer(tokenizer: ExpertTokenizerLike, experts: readonly NeuralExpert[]): void {
  const own = (e: NeuralExpert): boolean => e.tokenizer !== undefined && e.tokenizer !== tokenizer;
  if (!experts.some(own)) return;
  const key = vocabularyKey(tokenizer);
  experts.forEach((e, i) => {
    if (own(e) && vocabularyKey(e.tokenizer as ExpertTokenizerLike) !== key) {
      throw new RuleLMError(`\`experts[${i}].tokenizer\` has a different vocabulary from \`tokenizer\`; experts must share a tokenizer`, { argument: `experts[${i}].tokenizer` });
    }
  });
}

/**
 * The number of ids the experts share: their common vocabulary size.
 *
 * @param sizes Each expert's vocabulary size.
 * @param truncate Allow sizes that differ (the common prefix of ids is used).
 * @returns The smallest size.
 * @throws {RuleLMError} When the sizes differ and `truncate` is false.
 */
export function commonVocabularySize(sizes: readonly number[], truncate: boolean): number {
  if (!truncate && sizes.some((s) => s !== sizes[0])) {
    throw new RuleLMError(`the experts' vocabularies differ in size (${sizes.join(', ')}); pass \`truncateVocabulary: true\` to use the common ${Math.min(...sizes)} ids`, { argument: 'experts' });
  }
  return Math.min(...sizes);
}
