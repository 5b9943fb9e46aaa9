/**
 * Llama-style decoder: RMSNorm, rotary position embeddings, grouped-query attention, SwiGLU MLP.
 */
import {
  attentionBias,
  constantWeight,
  declareDecoderIo,
  linear,
  lmHead,
  normalWeight,
  rmsNorm,
  selfAttention,
} from './layers';
import { GraphBuilder, int } from './onnx-graph';
import { EMBEDDING_STD, type ModelDims } from './options';

/**
 * Builds the ONNX graph of a Llama-style causal LM with seeded random weights.
 * Weight matrices are stored `[in, out]` (transposed relative to PyTorch) and named like Hugging
 * Face parameters.
 * @param dims - Resolved dimensions (`arch` must be `'llama'`).
 * @returns The graph, ready to be written.
 */
export function buildLlamaGraph(dims: ModelDims): GraphBuilder {
  const { hidden, heads, kvHeads, headDim, intermediate, seed, normEps: eps } = dims;
  const g = new GraphBuilder('llama');
  const io = declareDecoderIo(g, dims);

  const embedding = normalWeight(g, seed, 'model.embed_tokens.weight', [dims.vocabSize, hidden], EMBEDDING_STD);
  let x = g.op('Gather', [embedding, io.inputIds], { axis: int(0) });

  // Rotary embeddings from position_ids: cos/sin [B, S, 1, D], shared by all layers.
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => dims.ropeTheta ** ((-2 * i) / headDim));
  const positions = g.op('Unsqueeze', [g.op('Cast', [io.positionIds], { to: int(1) }), g.constant('int64', [2])]);
  const freqs = g.op('Mul', [positions, g.constant('float32', invFreq)]); // [B, S, D/2]
  const angles = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: int(-1) }), g.constant('int64', [2])]);
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);
  const half = g.constant('int64', [headDim / 2]);
  const rope = (t: string): string => {
    const lastAxis = g.constant('int64', [-1]);
    const first = g.op('Slice', [t, g.constant('int64', [0]), half, lastAxis]);
    const second = g.op('Slice', [t, half, g.constant('int64', [headDim]), lastAxis]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: int(-1) });
    return g.op('Add', [g.op('Mul', [t, cos]), g.op('Mul', [rotated, sin])]);
  };

  const bias = attentionBias(g, io.inputIds, io.attentionMask);
  const residualGain = 1 / Math.sqrt(2 * dims.layers);
  for (let l = 0; l < dims.layers; l++) {
    const p = `model.layers.${l}`;
    const h = rmsNorm(g, x, constantWeight(g, `${p}.input_layernorm.weight`, [hidden], 1), eps);
    const split = (t: string, n: number): string => g.op('Reshape', [t, g.constant('int64', [0, 0, n, headDim])]);
    const context = selfAttention(g, {
      query: rope(split(linear(g, seed, h, `${p}.self_attn.q_proj`, hidden, heads * headDim), heads)),
      key: rope(split(linear(g, seed, h, `${p}.self_attn.k_proj`, hidden, kvHeads * headDim), kvHeads)),
      value: split(linear(g, seed, h, `${p}.self_attn.v_proj`, hidden, kvHeads * headDim), kvHeads),
      ...io.cache(l),
      bias,
      heads,
      kvHeads,
      headDim,
    });
    const attnOut = linear(g, seed, context, `${p}.self_attn.o_proj`, heads * headDim, hidden, { gain: residualGain });
    x = g.op('Add', [x, attnOut]);

    const m = rmsNorm(g, x, constantWeight(g, `${p}.post_attention_layernorm.weight`, [hidden], 1), eps);
    const gate = linear(g, seed, m, `${p}.mlp.gate_proj`, hidden, intermediate);
    const up = linear(g, seed, m, `${p}.mlp.up_proj`, hidden, intermediate);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    x = g.op('Add', [x, linear(g, seed, act, `${p}.mlp.down_proj`, intermediate, hidden, { gain: residualGain })]);
  }

  // The final gain scales the logits to a standard deviation of about `logitScale`.
  const finalGain = dims.logitScale / (Math.sqrt(hidden) * EMBEDDING_STD);
  const normed = rmsNorm(g, x, constantWeight(g, 'model.norm.weight', [hidden], finalGain), eps);
  const head = dims.tieWordEmbeddings
    ? embedding
    : normalWeight(g, seed, 'lm_head.weight', [hidden, dims.vocabSize], EMBEDDING_STD);
  lmHead(g, normed, head, dims.tieWordEmbeddings, hidden, io.inputIds, dims.vocabSize);
  io.declareOutputs();
  return g;
}
