// node-llama-cpp's non-public parts the adapter relies on, quarantined here (as the transformers.js
// adapter does in its own internals.ts). Checked with node-llama-cpp 3.22.
import type { LlamaModel, TokenBias } from 'node-llama-cpp';
import { RuleLMError } from '../../core/errors';

/**
 * The map of a node-llama-cpp `TokenBias` (token id -> logit added). Its public `set()` skips every
 * end-of-generation token (so an end-of-sequence ramp would silently vanish), and takes
 * probabilities or texts; the map is what node-llama-cpp reads at each sampling step
 * (`getTokenBiasesForAddon`), so writing logits there is what works for every token.
 *
 * @param bias A `TokenBias` made for the model's tokenizer.
 * @returns Its map.
 * @throws {RuleLMError} When this node-llama-cpp version keeps its biases elsewhere.
 */
export function biasMap(bias: TokenBias): Map<number, number> {
  const map = (bias as unknown as { _biases?: unknown })._biases;
  if (!(map instanceof Map)) {
    throw new RuleLMError('this node-llama-cpp version keeps token biases where rulelm cannot reach them (TokenBias._biases is not a Map); rulelm/node-llama-cpp was checked with node-llama-cpp 3.22', {
      argument: 'sequence',
    });
  }
  return map as Map<number, number>;
}

interface GgufTokenizerMetadata {
  readonly tokenizer?: { readonly ggml?: { readonly tokens?: readonly string[]; readonly token_type?: readonly number[] } };
}

/**
 * The token pieces of the model (GGUF `tokenizer.ggml.tokens`), and their types.
 *
 * @param model The model.
 * @returns The pieces (index = id) and types (3 = control).
 * @throws {RuleLMError} When the GGUF metadata has no token list.
 */
export function modelPieces(model: LlamaModel): { readonly pieces: readonly string[]; readonly types: readonly number[] } {
  const ggml = (model.fileInfo.metadata as GgufTokenizerMetadata).tokenizer?.ggml;
  const pieces = ggml?.tokens;
  if (!Array.isArray(pieces) || pieces.length === 0) {
    throw new RuleLMError('`model` has no `tokenizer.ggml.tokens` in its GGUF metadata, so its vocabulary size is unknown', { argument: 'model' });
  }
  return { pieces, types: Array.isArray(ggml?.token_type) ? ggml.token_type : [] };
}
