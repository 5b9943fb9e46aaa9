/**
 * Reads the weights of a Llama-architecture ONNX decoder (a transformers.js model folder's
 * `onnx/model.onnx`) and names them as llama.cpp's `llama` architecture does.
 *
 * ONNX exports often lose the parameter names (`onnx::MatMul_1045`), so the weights are found by
 * the graph's structure, not their names: the embedding is the initializer `Gather`ed by
 * `input_ids`; the linear weights are the 2-D initializers `MatMul`ed, in node order, seven per
 * layer (q, k, v, o, gate, up, down; the gate is the one whose output feeds a `Sigmoid`); the norm
 * gains are the 1-D initializers of the hidden size multiplied in, in node order (attention and
 * MLP norm of each layer, then the final norm); the head is the last linear, or the embedding
 * itself (tied). Every shape is checked against `config.json`.
 *
 * ONNX `MatMul` weights are `[in, out]`; GGUF stores a PyTorch `[out, in]` matrix with dims
 * listed innermost first (`[in, out]`), so each is transposed. The q and k rows are permuted from
 * Hugging Face's rotate-half layout (pairs `i` and `i + D/2` of a head rotate together) to
 * llama.cpp's `llama` layout (pairs `2i` and `2i + 1`), as llama.cpp's converter does.
 */
import type * as OnnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { onnx } from '../model-generator/onnx-graph';
import type { ModelDims } from '../model-generator/options';
import type { GgufTensor } from './format';
import { fail } from './format';

/** The Llama dimensions, from `config.json` (named as the model generator names them). */
export type LlamaDims = Pick<ModelDims, 'vocabSize' | 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'intermediate' | 'maxPositions' | 'normEps' | 'ropeTheta'>;

interface Weight {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

function readWeights(graph: OnnxProto.onnx.IGraphProto): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  for (const tensor of graph.initializer ?? []) {
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT || typeof tensor.name !== 'string') continue;
    if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(`tensor ${tensor.name} has external data, which the converter does not read`);
    const dims = (tensor.dims ?? []).map(Number);
    let data: Float32Array;
    if (tensor.rawData !== null && tensor.rawData !== undefined && tensor.rawData.length > 0) {
      const raw = tensor.rawData;
      data = new Float32Array(raw.length / 4);
      new Uint8Array(data.buffer).set(raw); // little-endian, as ONNX raw data is
    } else {
      data = Float32Array.from(tensor.floatData ?? []);
    }
    weights.set(tensor.name, { dims, data });
  }
  return weights;
}

// Transposes a row-major [rows, cols] matrix.
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

/**
 * Permutes the rows of a q or k matrix (`[heads * headDim, in]`, row-major) from the rotate-half
 * layout to llama.cpp's interleaved one: new row `h*D + 2i + j` = old row `h*D + j*D/2 + i`.
 *
 * @param data The matrix.
 * @param heads Number of heads.
 * @param headDim Head size `D` (even).
 * @param width Row length (`in`).
 * @returns A permuted copy.
 */
export function permuteRotary(data: Float32Array, heads: number, headDim: number, width: number): Float32Array {
  const out = new Float32Array(data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + j * half + i) * width;
        const to = (h * headDim + 2 * i + j) * width;
        out.set(data.subarray(from, from + width), to);
      }
    }
  }
  return out;
}

/**
 * Reads `model.onnx` and returns the llama.cpp tensors: `token_embd.weight`, per layer
 * `blk.N.attn_norm|attn_q|attn_k|attn_v|attn_output|ffn_norm|ffn_gate|ffn_up|ffn_down.weight`,
 * `output_norm.weight`, and `output.weight` unless the head is tied to the embedding.
 *
 * @param onnxPath The ONNX file.
 * @param dims The dimensions from `config.json`.
 * @returns The tensors, in file order, and whether the head is tied.
 * @throws {Error} When the graph does not have the expected structure or shapes.
 */
export function readLlamaTensors(onnxPath: string, dims: LlamaDims): { tensors: GgufTensor[]; tied: boolean } {
  const model = onnx.ModelProto.decode(readFileSync(onnxPath));
  const graph = model.graph ?? fail(`${onnxPath} has no graph`);
  const weights = readWeights(graph);
  const nodes = graph.node ?? [];
  const { hidden, heads, kvHeads, headDim, intermediate, layers, vocabSize } = dims;
  const shape = (name: string, w: Weight, expected: readonly number[]): Weight => {
    if (w.dims.length !== expected.length || w.dims.some((d, i) => d !== expected[i])) fail(`${name} has shape ${JSON.stringify(w.dims)}, expected ${JSON.stringify(expected)} from config.json`);
    return w;
  };

  let embeddingName: string | undefined;
  const linears: { name: string; output: string }[] = [];
  const norms: string[] = [];
  let tiedGemm = false;
  for (const node of nodes) {
    const inputs = node.input ?? [];
    if (node.opType === 'Gather' && inputs[1] === 'input_ids' && weights.has(inputs[0] ?? '')) embeddingName ??= inputs[0];
    else if (node.opType === 'MatMul' && (weights.get(inputs[1] ?? '')?.dims.length ?? 0) === 2) linears.push({ name: inputs[1] as string, output: node.output?.[0] ?? '' });
    else if (node.opType === 'Gemm' && inputs[1] !== undefined && inputs[1] === embeddingName) tiedGemm = true;
    else if (node.opType === 'Mul') {
      for (const input of inputs) {
        const w = weights.get(input);
        if (w !== undefined && w.dims.length === 1 && w.dims[0] === hidden && !norms.includes(input)) norms.push(input);
      }
    }
  }
  if (embeddingName === undefined) fail('no embedding (an initializer gathered by input_ids) in the graph');
  const embedding = shape('the embedding', weights.get(embeddingName) as Weight, [vocabSize, hidden]);
  const expectedLinears = 7 * layers + (tiedGemm ? 0 : 1);
  if (linears.length !== expectedLinears) fail(`found ${linears.length} MatMul weights, expected ${expectedLinears} (7 per layer${tiedGemm ? '' : ' and the head'})`);
  if (norms.length !== 2 * layers + 1) fail(`found ${norms.length} norm gains of size ${hidden}, expected ${2 * layers + 1}`);
  const sigmoidInputs = new Set(nodes.filter((n) => n.opType === 'Sigmoid').map((n) => n.input?.[0]));

  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', dims: [hidden, vocabSize], data: embedding.data }];
  const linear = (name: string, index: number, inFeatures: number, outFeatures: number): Float32Array => {
    const entry = linears[index] as { name: string };
    const w = shape(`${name} (${entry.name})`, weights.get(entry.name) as Weight, [inFeatures, outFeatures]);
    return transpose(w.data, inFeatures, outFeatures);
  };
  const norm = (index: number): Float32Array => (weights.get(norms[index] as string) as Weight).data;
  for (let l = 0; l < layers; l++) {
    const base = 7 * l;
    let gate = base + 4;
    let up = base + 5;
    if (!sigmoidInputs.has(linears[gate]?.output) && sigmoidInputs.has(linears[up]?.output)) [gate, up] = [up, gate];
    const p = `blk.${l}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [hidden], data: norm(2 * l) },
      { name: `${p}.attn_q.weight`, dims: [hidden, heads * headDim], data: permuteRotary(linear(`layer ${l} q`, base, hidden, heads * headDim), heads, headDim, hidden) },
      { name: `${p}.attn_k.weight`, dims: [hidden, kvHeads * headDim], data: permuteRotary(linear(`layer ${l} k`, base + 1, hidden, kvHeads * headDim), kvHeads, headDim, hidden) },
      { name: `${p}.attn_v.weight`, dims: [hidden, kvHeads * headDim], data: linear(`layer ${l} v`, base + 2, hidden, kvHeads * headDim) },
      { name: `${p}.attn_output.weight`, dims: [heads * headDim, hidden], data: linear(`layer ${l} o`, base + 3, heads * headDim, hidden) },
      { name: `${p}.ffn_norm.weight`, dims: [hidden], data: norm(2 * l + 1) },
      { name: `${p}.ffn_gate.weight`, dims: [hidden, intermediate], data: linear(`layer ${l} gate`, gate, hidden, intermediate) },
      { name: `${p}.ffn_up.weight`, dims: [hidden, intermediate], data: linear(`layer ${l} up`, up, hidden, intermediate) },
      { name: `${p}.ffn_down.weight`, dims: [intermediate, hidden], data: linear(`layer ${l} down`, base + 6, intermediate, hidden) },
    );
  }
  tensors.push({ name: 'output_norm.weight', dims: [hidden], data: norm(2 * layers) });
  let tied = tiedGemm;
  if (!tiedGemm) {
    const head = linear('the head', 7 * layers, hidden, vocabSize); // [vocab, hidden] rows
    tied = head.every((v, i) => v === embedding.data[i]);
    if (!tied) tensors.push({ name: 'output.weight', dims: [hidden, vocabSize], data: head });
  }
  return { tensors, tied };
}
