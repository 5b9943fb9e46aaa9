import type { LlamaModel, Token } from 'node-llama-cpp';
import type { TokenizerLike } from '../../core/vocabulary';
import { fail } from '../../core/validate';
import { modelPieces } from './internals';

/** A node-llama-cpp model seen as a tokenizer that rulelm's presets and text rules read. */
export interface LlamaTokenizerLike extends TokenizerLike {
  /** Number of ids in the vocabulary (the length of a logits row). */
  readonly vocabSize: number;
  /**
   * The pieces and their ids (the first id of a piece listed twice).
   *
   * @returns Piece -> id.
   */
  get_vocab(): ReadonlyMap<string, number>;
}

const cache = new WeakMap<LlamaModel, LlamaTokenizerLike>();

/**
 * Views a node-llama-cpp model as the tokenizer rulelm's presets and text rules take (like a
 * transformers.js tokenizer: `get_vocab()`, `encode()`, `eos_token_id`), so that
 * `hewitt2024(llamaTokenizer(model))` and `new TokenBias({ biases: [{ text: '...' }] }, ...)` work
 * on a GGUF model. The pieces come from the GGUF's `tokenizer.ggml.tokens` (`▁the` for
 * SentencePiece, `Ġthe` for byte-level BPE), `encode` is llama.cpp's tokenizer.
 *
 * @param model A loaded node-llama-cpp model.
 * @returns The tokenizer view (cached per model).
 * @throws {RuleLMError} When `model` is not a node-llama-cpp model with a token list.
 * @example
 * ```ts
 * import { getLlama } from 'node-llama-cpp';
 * import { hewitt2024 } from 'rulelm';
 * import { llamaTokenizer } from 'rulelm/node-llama-cpp';
 *
 * const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
 * const model = await llama.loadModel({ modelPath: 'stories260K.gguf' });
 * const rules = hewitt2024(llamaTokenizer(model), { eosTokenIds: [2, 1] });
 * ```
 */
export function llamaTokenizer(model: LlamaModel): LlamaTokenizerLike {
  if (typeof model !== 'object' || model === null || typeof (model as { tokenize?: unknown }).tokenize !== 'function') fail('model', 'a node-llama-cpp LlamaModel', model);
  const cached = cache.get(model);
  if (cached !== undefined) return cached;
  const { pieces, types } = modelPieces(model);
  const vocab = new Map<string, number>();
  for (let id = 0; id < pieces.length; id++) if (!vocab.has(pieces[id] as string)) vocab.set(pieces[id] as string, id);
  const special: number[] = [];
  for (let id = 0; id < types.length; id++) if (types[id] === 3) special.push(id);
  const eos = model.tokens.eos;
  const bos = model.tokens.bos;
  const tokenizer: LlamaTokenizerLike = {
    vocabSize: pieces.length,
    get_vocab: () => vocab,
    encode(text: string, options?: { add_special_tokens?: boolean }): number[] {
      const ids = model.tokenize(text) as number[];
      return options?.add_special_tokens === false || bos === null || !model.tokens.shouldPrependBosToken ? ids : [bos as Token as number, ...ids];
    },
    eos_token_id: eos,
    all_special_ids: special,
  };
  cache.set(model, tokenizer);
  return tokenizer;
}
