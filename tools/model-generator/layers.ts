/**
 * Transformer building blocks shared by the Llama and GPT-2 graphs.
 *
 * Shapes use B = batch, S = new tokens, P = past tokens, T = P + S, D = head dim.
 */
import { type GraphBuilder, float, int, ints } from './onnx-graph';
import type { ModelDims } from './options';
import { createRng, fillNormal } from './rng';

/** Additive attention bias for masked positions; finite, so fully masked rows cannot produce NaN. */
export const MASKED_SCORE = -1e9;

/** Names of the KV-cache inputs and outputs of one layer. */
export interface LayerCache {
  /** Input `past_key_values.<layer>.key`. */
  readonly pastKey: string;
  /** Input `past_key_values.<layer>.value`. */
  readonly pastValue: string;
  /** Output `present.<layer>.key`. */
  readonly presentKey: string;
  /** Output `present.<layer>.value`. */
  readonly presentValue: string;
}

/** Graph inputs of a decoder, as expected by transformers.js. */
export interface DecoderIo {
  /** `input_ids` int64 `[batch_size, sequence_length]`. */
  readonly inputIds: string;
  /** `attention_mask` int64 `[batch_size, total_sequence_length]`. */
  readonly attentionMask: string;
  /** `position_ids` int64 `[batch_size, sequence_length]`. */
  readonly positionIds: string;
  /** Returns the cache names of a layer. */
  cache(layer: number): LayerCache;
  /** Declares `logits` and all `present.*` values as graph outputs; call after building the graph. */
  declareOutputs(): void;
}

/**
 * Declares the inputs transformers.js feeds a decoder-only model (the names and symbolic dimension
 * names matter: transformers.js creates the empty first-step cache from the input metadata, resolving
 * `batch_size` and using 0 for other symbolic dimensions).
 * @param g - The graph.
 * @param dims - Model dimensions.
 * @returns The input names and a helper for the outputs.
 */
export function declareDecoderIo(g: GraphBuilder, dims: ModelDims): DecoderIo {
  const tokens = ['batch_size', 'sequence_length'];
  const inputIds = g.input({ name: 'input_ids', type: 'int64', dims: tokens });
  const attentionMask = g.input({ name: 'attention_mask', type: 'int64', dims: ['batch_size', 'total_sequence_length'] });
  const positionIds = g.input({ name: 'position_ids', type: 'int64', dims: tokens });
  const cacheDims = (length: string): (number | string)[] => ['batch_size', dims.kvHeads, length, dims.headDim];
  for (let l = 0; l < dims.layers; l++) {
    for (const kind of ['key', 'value']) {
      g.input({ name: `past_key_values.${l}.${kind}`, type: 'float32', dims: cacheDims('past_sequence_length') });
    }
  }
  return {
    inputIds,
    attentionMask,
    positionIds,
    cache: (l) => ({
      pastKey: `past_key_values.${l}.key`,
      pastValue: `past_key_values.${l}.value`,
      presentKey: `present.${l}.key`,
      presentValue: `present.${l}.value`,
    }),
    declareOutputs: () => {
      g.output({ name: 'logits', type: 'float32', dims: [...tokens, dims.vocabSize] });
      for (let l = 0; l < dims.layers; l++) {
        for (const kind of ['key', 'value']) {
          g.output({ name: `present.${l}.${kind}`, type: 'float32', dims: cacheDims('total_sequence_length') });
        }
      }
    },
  };
}

/**
 * Adds a weight with normally distributed values from the tensor's own seeded stream.
 * @param g - The graph.
 * @param seed - The model seed.
 * @param name - Initializer name (also selects the random stream).
 * @param dims - Shape.
 * @param std - Standard deviation.
 * @returns The initializer's value name.
 */
export function normalWeight(g: GraphBuilder, seed: number, name: string, dims: readonly number[], std: number): string {
  return g.weight(name, dims, (data) => fillNormal(data, std, createRng(seed, name)));
}

/**
 * Adds a weight filled with one value (norm gains and biases).
 * @param g - The graph.
 * @param name - Initializer name.
 * @param dims - Shape.
 * @param value - The fill value.
 * @returns The initializer's value name.
 */
export function constantWeight(g: GraphBuilder, name: string, dims: readonly number[], value: number): string {
  return g.weight(name, dims, (data) => data.fill(value));
}

/**
 * Adds `x @ W (+ b)` with `W` of shape `[inFeatures, outFeatures]`, std `gain / sqrt(inFeatures)`.
 * @param g - The graph.
 * @param seed - The model seed.
 * @param x - Input value `[..., inFeatures]`.
 * @param name - Weight name prefix (`<name>.weight`, `<name>.bias`).
 * @param inFeatures - Input width.
 * @param outFeatures - Output width.
 * @param options - `gain` scales the init std; `bias` adds a bias drawn with std 0.02.
 * @returns The output value `[..., outFeatures]`.
 */
export function linear(
  g: GraphBuilder,
  seed: number,
  x: string,
  name: string,
  inFeatures: number,
  outFeatures: number,
  options: { readonly gain?: number; readonly bias?: boolean } = {},
): string {
  const std = (options.gain ?? 1) / Math.sqrt(inFeatures);
  const y = g.op('MatMul', [x, normalWeight(g, seed, `${name}.weight`, [inFeatures, outFeatures], std)]);
  if (options.bias !== true) return y;
  return g.op('Add', [y, normalWeight(g, seed, `${name}.bias`, [outFeatures], 0.02)]);
}

/**
 * Adds RMSNorm over the last axis: `x / sqrt(mean(x^2) + eps) * weight`.
 * @param g - The graph.
 * @param x - Input value.
 * @param weight - Gain value name `[hidden]`.
 * @param eps - Epsilon.
 * @returns The normalized value.
 */
export function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: ints([-1]), keepdims: int(1) });
  const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.constant('float32', [eps], [])])]);
  return g.op('Mul', [g.op('Div', [x, rms]), weight]);
}

/**
 * Builds the additive attention bias `[B, 1, 1, S, T]`: 0 where a query may attend to a key and
 * {@link MASKED_SCORE} where the key is in the future (causal) or padded (`attention_mask == 0`).
 * Query `i` sits at absolute position `T - S + i`, which makes the same mask work with a KV cache.
 * @param g - The graph.
 * @param inputIds - `input_ids` `[B, S]`.
 * @param attentionMask - `attention_mask` `[B, T]`.
 * @returns The bias value.
 */
export function attentionBias(g: GraphBuilder, inputIds: string, attentionMask: string): string {
  const one = g.constant('int64', [1], []);
  const zero = g.constant('int64', [0], []);
  const newLength = g.op('Gather', [g.op('Shape', [inputIds]), one], { axis: int(0) });
  const totalLength = g.op('Gather', [g.op('Shape', [attentionMask]), one], { axis: int(0) });
  const pastLength = g.op('Sub', [totalLength, newLength]);
  const queryPositions = g.op('Add', [g.op('Range', [zero, newLength, one]), pastLength]);
  const keyPositions = g.op('Range', [zero, totalLength, one]);
  const future = g.op('Less', [g.op('Unsqueeze', [queryPositions, g.constant('int64', [1])]), keyPositions]);
  const padded = g.op('Equal', [attentionMask, g.constant('int64', [0], [])]);
  const blocked = g.op('Or', [future, g.op('Unsqueeze', [padded, g.constant('int64', [1, 2, 3])])]);
  return g.op('Where', [blocked, g.constant('float32', [MASKED_SCORE], []), g.constant('float32', [0], [])]);
}

/** Inputs of {@link selfAttention}. */
export interface AttentionParams extends LayerCache {
  /** Queries `[B, S, heads, D]` (position encoding already applied). */
  readonly query: string;
  /** New keys `[B, S, kvHeads, D]`. */
  readonly key: string;
  /** New values `[B, S, kvHeads, D]`. */
  readonly value: string;
  /** Bias from {@link attentionBias}. */
  readonly bias: string;
  /** Number of query heads. */
  readonly heads: number;
  /** Number of key/value heads; divides `heads`. */
  readonly kvHeads: number;
  /** Size of one head. */
  readonly headDim: number;
}

/**
 * Adds scaled dot-product attention with a KV cache and grouped-query attention: query head `h`
 * uses key/value head `floor(h / (heads / kvHeads))`, as in Hugging Face's `repeat_kv`.
 * @param g - The graph.
 * @param p - The inputs.
 * @returns The attention output `[B, S, heads * D]` (before the output projection).
 */
export function selfAttention(g: GraphBuilder, p: AttentionParams): string {
  const groups = p.heads / p.kvHeads;
  // [B, S, H, D] -> [B, S, KV, G, D] -> [B, KV, G, S, D]
  const grouped = g.op('Reshape', [p.query, g.constant('int64', [0, 0, p.kvHeads, groups, p.headDim])]);
  const query = g.op('Transpose', [grouped], { perm: ints([0, 2, 3, 1, 4]) });
  const toHeadsFirst = { perm: ints([0, 2, 1, 3]) };
  const key = g.op('Concat', [p.pastKey, g.op('Transpose', [p.key], toHeadsFirst)], { axis: int(2) }, p.presentKey);
  const value = g.op('Concat', [p.pastValue, g.op('Transpose', [p.value], toHeadsFirst)], { axis: int(2) }, p.presentValue);
  const axis2 = g.constant('int64', [2]);
  const keyT = g.op('Unsqueeze', [g.op('Transpose', [key], { perm: ints([0, 1, 3, 2]) }), axis2]); // [B, KV, 1, D, T]
  const scaled = g.op('Mul', [query, g.constant('float32', [1 / Math.sqrt(p.headDim)], [])]);
  const scores = g.op('Add', [g.op('MatMul', [scaled, keyT]), p.bias]); // [B, KV, G, S, T]
  const probs = g.op('Softmax', [scores], { axis: int(-1) });
  const context = g.op('MatMul', [probs, g.op('Unsqueeze', [value, axis2])]); // [B, KV, G, S, D]
  const tokensFirst = g.op('Transpose', [context], { perm: ints([0, 3, 1, 2, 4]) });
  return g.op('Reshape', [tokensFirst, g.constant('int64', [0, 0, p.heads * p.headDim])]);
}

/**
 * Adds the GPT-2 "gelu_new" activation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
 * @param g - The graph.
 * @param x - Input value.
 * @returns The activated value.
 */
export function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Add', [x, g.op('Mul', [cube, g.constant('float32', [0.044715], [])])]);
  const tanh = g.op('Tanh', [g.op('Mul', [inner, g.constant('float32', [Math.sqrt(2 / Math.PI)], [])])]);
  const half = g.op('Mul', [x, g.constant('float32', [0.5], [])]);
  return g.op('Mul', [half, g.op('Add', [tanh, g.constant('float32', [1], [])])]);
}

/**
 * Adds the language-model head: `x @ E^T` (with `E` `[vocab, hidden]` when `transposed`, e.g. tied
 * embeddings, computed with Gemm `transB` so no transposed copy is stored) or `x @ W`.
 * @param g - The graph.
 * @param x - Final hidden states `[B, S, hidden]`.
 * @param weight - `[vocab, hidden]` if `transposed`, else `[hidden, vocab]`.
 * @param transposed - Whether `weight` is stored vocabulary-first.
 * @param hidden - Hidden size.
 * @param inputIds - `input_ids` `[B, S]`, used for the output shape.
 * @param vocabSize - Vocabulary size.
 * @returns The logits value `[B, S, vocab]`, named `logits`.
 */
export function lmHead(
  g: GraphBuilder,
  x: string,
  weight: string,
  transposed: boolean,
  hidden: number,
  inputIds: string,
  vocabSize: number,
): string {
  if (!transposed) return g.op('MatMul', [x, weight], {}, 'logits');
  const flat = g.op('Reshape', [x, g.constant('int64', [-1, hidden])]);
  const logits2d = g.op('Gemm', [flat, weight], { transB: int(1), alpha: float(1) });
  const shape = g.op('Concat', [g.op('Shape', [inputIds]), g.constant('int64', [vocabSize])], { axis: int(0) });
  return g.op('Reshape', [logits2d, shape], {}, 'logits');
}
