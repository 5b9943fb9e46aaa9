/**
 * GPT-2-style decoder: learned position embeddings, pre-LayerNorm, multi-head attention with
 * biases, GELU (tanh approximation) MLP, LM head tied to the token embeddings.
 */
import { attentionBias, constantWeight, declareDecoderIo, geluTanh, linear, lmHead, normalWeight, selfAttention } from './layers';
import { GraphBuilder, float, int } from './onnx-graph';
import { EMBEDDING_STD, type ModelDims } from './options';

/**
 * Builds the ONNX graph of a GPT-2-style causal LM with seeded random weights.
 * Weight matrices are stored `[in, out]` (like GPT-2's `Conv1D`); Q/K/V are separate matrices
 * rather than one fused `c_attn`, which is equivalent.
 * @param dims - Resolved dimensions (`arch` must be `'gpt2'`, `kvHeads == heads`).
 * @returns The graph, ready to be written.
 */
export function buildGpt2Graph(dims: ModelDims): GraphBuilder {
  const { hidden, heads, headDim, intermediate, seed, normEps } = dims;
  const g = new GraphBuilder('gpt2');
  const io = declareDecoderIo(g, dims);

  const wte = normalWeight(g, seed, 'transformer.wte.weight', [dims.vocabSize, hidden], EMBEDDING_STD);
  const wpe = normalWeight(g, seed, 'transformer.wpe.weight', [dims.maxPositions, hidden], EMBEDDING_STD / 2);
  let x = g.op('Add', [
    g.op('Gather', [wte, io.inputIds], { axis: int(0) }),
    g.op('Gather', [wpe, io.positionIds], { axis: int(0) }),
  ]);
  const layerNorm = (t: string, name: string, gain = 1): string =>
    g.op(
      'LayerNormalization',
      [t, constantWeight(g, `${name}.weight`, [hidden], gain), constantWeight(g, `${name}.bias`, [hidden], 0)],
      { axis: int(-1), epsilon: float(normEps) },
    );

  const bias = attentionBias(g, io.inputIds, io.attentionMask);
  const residualGain = 1 / Math.sqrt(2 * dims.layers);
  for (let l = 0; l < dims.layers; l++) {
    const p = `transformer.h.${l}`;
    const h = layerNorm(x, `${p}.ln_1`);
    const project = (name: string): string => {
      const t = linear(g, seed, h, `${p}.attn.${name}`, hidden, hidden, { bias: true });
      return g.op('Reshape', [t, g.constant('int64', [0, 0, heads, headDim])]);
    };
    const context = selfAttention(g, {
      query: project('q_proj'),
      key: project('k_proj'),
      value: project('v_proj'),
      ...io.cache(l),
      bias,
      heads,
      kvHeads: heads,
      headDim,
    });
    x = g.op('Add', [x, linear(g, seed, context, `${p}.attn.c_proj`, hidden, hidden, { bias: true, gain: residualGain })]);

    const m = layerNorm(x, `${p}.ln_2`);
    const act = geluTanh(g, linear(g, seed, m, `${p}.mlp.c_fc`, hidden, intermediate, { bias: true }));
    x = g.op('Add', [x, linear(g, seed, act, `${p}.mlp.c_proj`, intermediate, hidden, { bias: true, gain: residualGain })]);
  }

  // The final gain scales the logits to a standard deviation of about `logitScale`.
  const normed = layerNorm(x, 'transformer.ln_f', dims.logitScale / (Math.sqrt(hidden) * EMBEDDING_STD));
  lmHead(g, normed, wte, true, hidden, io.inputIds, dims.vocabSize);
  io.declareOutputs();
  return g;
}
