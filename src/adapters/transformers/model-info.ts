import { RuleLMError } from '../../core/errors';

/** The structural part of a transformers.js model that rulelm reads (config and generation config). */
export interface ModelLike {
  /** The model config (`vocab_size`, `eos_token_id`, `pad_token_id`, `bos_token_id` are read). */
  readonly config?: object | undefined;
  /** The generation config (`eos_token_id`, `pad_token_id`, `bos_token_id` are read first). */
  readonly generation_config?: object | null | undefined;
}

/** What rulelm needs to know of a model. */
export interface ModelInfo {
  /** Vocabulary size (the length of a logits row), when the config states it. */
  readonly vocabSize: number | undefined;
  /** Ids that end generation (generation config first, then model config). */
  readonly eosTokenIds: readonly number[];
  /** The padding id, when known. */
  readonly padTokenId: number | undefined;
  /** The beginning-of-sequence id, when known. */
  readonly bosTokenId: number | undefined;
}

const ids = (value: unknown): number[] => (typeof value === 'number' ? [value] : Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : []);
const firstId = (...values: unknown[]): number | undefined => values.find((v): v is number => typeof v === 'number');

/**
 * Reads the vocabulary size, end-of-sequence ids, padding and BOS ids of a transformers.js model.
 *
 * @param model A `PreTrainedModel` (or anything with `config` / `generation_config`).
 * @returns What the model declares.
 * @throws {RuleLMError} When `model` is not an object, or is a tokenizer (it has `encode()` and
 * `get_vocab()`: the tokenizer was passed where the model goes).
 * @example
 * ```ts
 * modelInfo(model); // { vocabSize: 512, eosTokenIds: [2, 1], padTokenId: undefined, bosTokenId: 1 } on stories260K
 * ```
 */
export function modelInfo(model: ModelLike): ModelInfo {
  // transformers.js models are callable objects.
  if ((typeof model !== 'object' && typeof model !== 'function') || model === null) throw new RuleLMError('`model` must be a transformers.js model', { argument: 'model' });
  const maybeTokenizer = model as { encode?: unknown; get_vocab?: unknown };
  if (typeof maybeTokenizer.encode === 'function' && typeof maybeTokenizer.get_vocab === 'function') {
    throw new RuleLMError('`model` is a tokenizer (it has encode() and get_vocab()), not a model; pass the model as `model` and the tokenizer as `tokenizer`', { argument: 'model' });
  }
  const config = (model.config ?? {}) as Record<string, unknown>;
  const generation = (model.generation_config ?? {}) as Record<string, unknown>;
  const fromGeneration = ids(generation.eos_token_id);
  return {
    vocabSize: typeof config.vocab_size === 'number' ? config.vocab_size : undefined,
    eosTokenIds: fromGeneration.length > 0 ? fromGeneration : ids(config.eos_token_id),
    padTokenId: firstId(generation.pad_token_id, config.pad_token_id),
    bosTokenId: firstId(generation.bos_token_id, config.bos_token_id),
  };
}
