import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LogitsProcessor,
  LogitsProcessorList,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
  env,
} from '@huggingface/transformers';
import type * as OnnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLocalModel } from '../../tools/local-model';
import {
  type Architecture,
  type GenerateModelOptions,
  MODEL_CACHE_DIR,
  createByteLevelTokenizer,
  ensureTinyModel,
  findSpecialTokens,
  generateModel,
  tokenizerVocabSize,
} from '../../tools/model-generator/index';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;

env.allowRemoteModels = false;

const { tokenizer, tokenizerConfig } = createByteLevelTokenizer();
const PROMPTS = ['Once upon', 'The quick brown fox', 'Question: What is the answer?', 'Lily saw a big red ball'];
const workDir = mkdtempSync(join(tmpdir(), 'rulelm-model-generator-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function tinyOptions(arch: Architecture, name: string, extra: Partial<GenerateModelOptions> = {}): GenerateModelOptions {
  return {
    outDir: join(workDir, name),
    tokenizer,
    tokenizerConfig,
    arch,
    hidden: 32,
    layers: 2,
    heads: 4,
    kvHeads: arch === 'llama' ? 2 : 4,
    intermediate: 64,
    maxPositions: 256,
    seed: 1,
    ...extra,
  };
}

async function load(dir: string): Promise<{ tok: PreTrainedTokenizer; model: PreTrainedModel }> {
  const { tokenizer: tok, model } = await loadLocalModel(dir);
  return { tok, model };
}

/** Greedy continuation of a prompt, as new token ids (no early stop at EOS, for a fixed length). */
async function greedy(tok: PreTrainedTokenizer, model: PreTrainedModel, prompt: string, n = 12): Promise<number[]> {
  const inputs = tok(prompt);
  const out = (await model.generate({ ...inputs, max_new_tokens: n, min_new_tokens: n, do_sample: false })) as Tensor;
  return (out.tolist() as bigint[][])[0]!.slice(inputs.input_ids.dims[1]).map(Number);
}

const int64 = (rows: readonly (readonly number[])[]): Tensor =>
  new Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);

/** One forward pass without cache; returns logits as [batch][position][vocab]. */
async function forward(model: PreTrainedModel, ids: number[][], mask?: number[][]): Promise<number[][][]> {
  const { logits } = (await model({ input_ids: int64(ids), attention_mask: int64(mask ?? ids.map((r) => r.map(() => 1))) })) as {
    logits: Tensor;
  };
  return logits.tolist() as number[][][];
}

const argmax = (v: readonly number[]): number => v.reduce((best, x, i) => (x > v[best]! ? i : best), 0);
const maxAbsDiff = (a: readonly number[], b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
};

/** Records the logits of every generation step (the cached path inside generate()). */
class RecordLogits extends LogitsProcessor {
  readonly steps: number[][][] = [];
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    this.steps.push(logits.tolist() as number[][]);
    return logits;
  }
}

/**
 * An ONNX file decoded with onnx-proto. `decode` builds message instances all the way down (unset
 * fields read their defaults from the prototype), but the generated types declare nested messages
 * by their all-optional interfaces, hence the casts.
 */
interface DecodedModel {
  readonly model: OnnxProto.onnx.ModelProto;
  readonly graph: OnnxProto.onnx.GraphProto;
  readonly tensors: readonly OnnxProto.onnx.TensorProto[];
  readonly nodes: readonly OnnxProto.onnx.NodeProto[];
}

/** Decodes an ONNX file with onnx-proto. */
function readModel(modelPath: string): DecodedModel {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const graph = model.graph as OnnxProto.onnx.GraphProto;
  return { model, graph, tensors: graph.initializer as OnnxProto.onnx.TensorProto[], nodes: graph.node as OnnxProto.onnx.NodeProto[] };
}

/** Reads all float initializers of an ONNX file. */
function readWeights(modelPath: string): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const t of readModel(modelPath).tensors) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData || !t.name) continue;
    weights.set(t.name, new Float32Array(new Uint8Array(t.rawData).buffer));
  }
  return weights;
}

/** SHA-256 over every initializer's name, element type, shape and data, in graph order. */
function weightsHash(tensors: readonly OnnxProto.onnx.TensorProto[]): string {
  const hash = createHash('sha256');
  for (const t of tensors) hash.update(`${t.name}:${t.dataType}:${t.dims.map(Number).join(',')}\n`).update(t.rawData);
  return hash.digest('hex');
}

/** A graph input or output as plain values: name, element type and dimensions (numbers or symbolic names). */
const valueInfo = (v: OnnxProto.onnx.IValueInfoProto): { name: string; elemType: number; dims: (number | string)[] } => ({
  name: v.name ?? '',
  elemType: v.type?.tensorType?.elemType ?? 0,
  dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
});

const { DataType } = onnx.TensorProto;
const ELEM_SIZE: Readonly<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.INT64]: 8, [DataType.BOOL]: 1 };
const elementCount = (t: OnnxProto.onnx.TensorProto): number => t.dims.reduce((n: number, d) => n * Number(d), 1);

/**
 * Golden values of the `tinyOptions(arch, ...)` models (seed 1), recorded once with the original
 * hand-written protobuf encoder before the generator switched to onnx-proto: a hash of the weights
 * and the exact first-step logits (last position) of the prompt ids [1, 50, 60, 70].
 * The weights hash is plain JavaScript and holds on every machine. The logits come from ONNX
 * Runtime's CPU kernels: if only they differ (weights hash unchanged), the runtime or CPU changed
 * its float rounding, not the generated model.
 */
const GOLDEN = {
  llama: {
    weightsSha256: '9a05ce707484a440283c580ab5067390a109d2484224791904987f88afa23a2e',
    firstLogits: [
      -5.00600004196167, 2.9113450050354004, -4.786679267883301, 6.327640533447266, 2.6888911724090576, -2.0236032009124756,
      6.250401496887207, 1.3852040767669678,
    ],
    argmax: 351,
    maxLogit: 12.27405834197998,
    logitsSha256: 'fdf1788a911c5375c9e51595b401a7790a514721fc8579525dab88261debcfde',
  },
  gpt2: {
    weightsSha256: 'a7a8ff4bc0183cdfeb88ebd215fe6592a3a3db6874ef3f4b092beeca1bd1e516',
    firstLogits: [
      11.95152473449707, -0.9113627076148987, -0.5969058871269226, 3.381199836730957, -1.1159800291061401, -0.9596322178840637,
      1.1544967889785767, 3.456601619720459,
    ],
    argmax: 0,
    maxLogit: 11.95152473449707,
    logitsSha256: '48cb5291479c1ebdddc71f63dc7b9d0b0930e90af9a6bb402206ab0931c0b361',
  },
} as const;

/** Plain-JS reference forward pass (float64) over one unpadded sequence; returns logits per position. */
function referenceLogits(arch: Architecture, w: Map<string, Float32Array>, ids: number[], o: GenerateModelOptions): number[][] {
  const hidden = o.hidden!;
  const heads = o.heads!;
  const kvHeads = o.kvHeads!;
  const d = hidden / heads;
  const eps = 1e-5;
  const get = (name: string): Float32Array => {
    const value = w.get(name);
    if (!value) throw new Error(`missing weight ${name}`);
    return value;
  };
  const matVec = (x: number[], name: string, out: number, bias?: string): number[] => {
    const m = get(name);
    const b = bias === undefined ? undefined : get(bias);
    return Array.from({ length: out }, (_, j) => x.reduce((s, xi, i) => s + xi * m[i * out + j]!, b?.[j] ?? 0));
  };
  const rmsNorm = (x: number[], g: Float32Array): number[] => {
    const r = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + eps);
    return x.map((v, i) => (v / r) * g[i]!);
  };
  const layerNorm = (x: number[], name: string): number[] => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length + eps);
    return x.map((v, i) => ((v - mean) / sd) * get(`${name}.weight`)[i]! + get(`${name}.bias`)[i]!);
  };
  const rope = (v: number[], pos: number): number[] => {
    const out = v.slice();
    for (let h = 0; h < v.length / d; h++) {
      for (let i = 0; i < d / 2; i++) {
        const angle = pos * 10000 ** ((-2 * i) / d);
        const [a, b] = [v[h * d + i]!, v[h * d + i + d / 2]!];
        out[h * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * d + i + d / 2] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  };
  const row = (name: string, r: number): number[] => Array.from(get(name).subarray(r * hidden, (r + 1) * hidden));

  let xs = ids.map((id, t) =>
    arch === 'llama'
      ? row('model.embed_tokens.weight', id)
      : row('transformer.wte.weight', id).map((v, i) => v + row('transformer.wpe.weight', t)[i]!),
  );
  for (let l = 0; l < o.layers!; l++) {
    const p = arch === 'llama' ? `model.layers.${l}` : `transformer.h.${l}`;
    const project = (h: number[], name: string, out: number): number[] =>
      arch === 'llama' ? matVec(h, `${p}.self_attn.${name}.weight`, out) : matVec(h, `${p}.attn.${name}.weight`, out, `${p}.attn.${name}.bias`);
    const normed = xs.map((x) => (arch === 'llama' ? rmsNorm(x, get(`${p}.input_layernorm.weight`)) : layerNorm(x, `${p}.ln_1`)));
    const q = normed.map((h, t) => (arch === 'llama' ? rope(project(h, 'q_proj', heads * d), t) : project(h, 'q_proj', heads * d)));
    const k = normed.map((h, t) => (arch === 'llama' ? rope(project(h, 'k_proj', kvHeads * d), t) : project(h, 'k_proj', kvHeads * d)));
    const v = normed.map((h) => project(h, 'v_proj', kvHeads * d));
    const context = q.map((qt, t) => {
      const out = new Array<number>(heads * d).fill(0);
      for (let h = 0; h < heads; h++) {
        const kv = Math.floor(h / (heads / kvHeads));
        const scores = k.slice(0, t + 1).map((ks) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += qt[h * d + i]! * ks[kv * d + i]!;
          return s / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((p, j) => {
          for (let i = 0; i < d; i++) out[h * d + i]! += (p / sum) * v[j]![kv * d + i]!;
        });
      }
      return out;
    });
    xs = xs.map((x, t) => {
      const attn =
        arch === 'llama'
          ? matVec(context[t]!, `${p}.self_attn.o_proj.weight`, hidden)
          : matVec(context[t]!, `${p}.attn.c_proj.weight`, hidden, `${p}.attn.c_proj.bias`);
      const y = x.map((xi, i) => xi + attn[i]!);
      let mlp: number[];
      if (arch === 'llama') {
        const m = rmsNorm(y, get(`${p}.post_attention_layernorm.weight`));
        const gate = matVec(m, `${p}.mlp.gate_proj.weight`, o.intermediate!);
        const up = matVec(m, `${p}.mlp.up_proj.weight`, o.intermediate!);
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
        mlp = matVec(act, `${p}.mlp.down_proj.weight`, hidden);
      } else {
        const fc = matVec(layerNorm(y, `${p}.ln_2`), `${p}.mlp.c_fc.weight`, o.intermediate!, `${p}.mlp.c_fc.bias`);
        const act = fc.map((u) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3))));
        mlp = matVec(act, `${p}.mlp.c_proj.weight`, hidden, `${p}.mlp.c_proj.bias`);
      }
      return y.map((yi, i) => yi + mlp[i]!);
    });
  }
  const embedding = arch === 'llama' ? 'model.embed_tokens.weight' : 'transformer.wte.weight';
  const vocab = get(embedding).length / hidden;
  return xs.map((x) => {
    const h = arch === 'llama' ? rmsNorm(x, get('model.norm.weight')) : layerNorm(x, 'transformer.ln_f');
    if (arch === 'llama' && w.has('lm_head.weight')) return matVec(h, 'lm_head.weight', vocab);
    return Array.from({ length: vocab }, (_, t) => h.reduce((s, hi, i) => s + hi * get(embedding)[t * hidden + i]!, 0));
  });
}

describe.each(['llama', 'gpt2'] as const)('generated %s model', (arch) => {
  const options = tinyOptions(arch, `${arch}-a`);
  let tok: PreTrainedTokenizer;
  let model: PreTrainedModel;

  beforeAll(async () => {
    await generateModel(options);
    ({ tok, model } = await load(options.outDir));
  });

  it('writes the transformers.js layout with a complete config', () => {
    const config = JSON.parse(readFileSync(join(options.outDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const generation = JSON.parse(readFileSync(join(options.outDir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject(
      arch === 'llama'
        ? { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 32, num_hidden_layers: 2 }
        : { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: 32, n_layer: 2, n_head: 4 },
    );
    if (arch === 'llama') expect(config).toMatchObject({ num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8 });
    expect(config).toMatchObject({ vocab_size: tokenizerVocabSize(tokenizer), bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, use_cache: true });
    expect(generation).toMatchObject({ bos_token_id: 1, eos_token_id: 2 });
    expect(readFileSync(join(options.outDir, 'tokenizer.json'), 'utf8')).toBe(JSON.stringify(tokenizer, null, 2));
  });

  it('exposes the inputs and outputs transformers.js expects', () => {
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions['model']!;
    const cache = (prefix: string): string[] => [0, 1].flatMap((l) => [`${prefix}.${l}.key`, `${prefix}.${l}.value`]);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...cache('past_key_values')]);
    expect(session.outputNames).toEqual(['logits', ...cache('present')]);
  });

  it('encodes a valid ONNX model (opset 17, weights as rawData, topologically sorted)', () => {
    const bytes = readFileSync(join(options.outDir, 'onnx', 'model.onnx'));
    const { model: decoded, graph, tensors, nodes } = readModel(join(options.outDir, 'onnx', 'model.onnx'));
    expect(onnx.ModelProto.verify(decoded)).toBeNull();
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(bytes)).toBe(true); // nothing unknown or lost
    expect(Number(decoded.irVersion)).toBe(8);
    expect(decoded.producerName).toBe('rulelm-model-generator');
    expect(decoded.opsetImport.map((o) => ({ domain: o.domain, version: Number(o.version) }))).toEqual([{ domain: '', version: 17 }]);

    const kv = options.kvHeads!;
    const inputs = graph.input.map(valueInfo);
    const outputs = graph.output.map(valueInfo);
    type Info = ReturnType<typeof valueInfo>;
    const find = (list: Info[], name: string): Info | undefined => list.find((v) => v.name === name);
    const cache = (prefix: string): string[] => [0, 1].flatMap((l) => [`${prefix}.${l}.key`, `${prefix}.${l}.value`]);
    expect(inputs.map((v) => v.name)).toEqual(['input_ids', 'attention_mask', 'position_ids', ...cache('past_key_values')]);
    expect(outputs.map((v) => v.name)).toEqual(['logits', ...cache('present')]);
    expect(find(inputs, 'input_ids')).toMatchObject({ elemType: DataType.INT64, dims: ['batch_size', 'sequence_length'] });
    expect(find(inputs, 'attention_mask')).toMatchObject({ elemType: DataType.INT64, dims: ['batch_size', 'total_sequence_length'] });
    expect(find(inputs, 'past_key_values.1.key')).toMatchObject({ elemType: DataType.FLOAT, dims: ['batch_size', kv, 'past_sequence_length', 8] });
    expect(find(outputs, 'logits')).toMatchObject({ elemType: DataType.FLOAT, dims: ['batch_size', 'sequence_length', 365] });
    expect(find(outputs, 'present.1.value')).toMatchObject({ elemType: DataType.FLOAT, dims: ['batch_size', kv, 'total_sequence_length', 8] });

    expect(tensors.length).toBeGreaterThan(10);
    for (const t of tensors) {
      expect(t.dataLocation, t.name).toBe(onnx.TensorProto.DataLocation.DEFAULT);
      expect(t.externalData, t.name).toEqual([]);
      expect(t.rawData.byteLength, t.name).toBe(elementCount(t) * ELEM_SIZE[t.dataType]!);
    }
    const defined = new Set([...inputs.map((v) => v.name), ...tensors.map((t) => t.name)]);
    const { AttributeType } = onnx.AttributeProto;
    for (const node of nodes) {
      for (const input of node.input) expect(defined.has(input), `${node.name} reads ${input}`).toBe(true);
      for (const output of node.output) {
        expect(defined.has(output), `${output} is defined twice`).toBe(false);
        defined.add(output);
      }
      for (const a of node.attribute) expect([AttributeType.FLOAT, AttributeType.INT, AttributeType.INTS]).toContain(a.type);
    }
    for (const output of outputs) expect(defined.has(output.name)).toBe(true);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
  });

  it('gives the exact weights and first-step logits recorded with the original encoder', async () => {
    const golden = GOLDEN[arch];
    expect(weightsHash(readModel(join(options.outDir, 'onnx', 'model.onnx')).tensors)).toBe(golden.weightsSha256);
    const row = (await forward(model, [[1, 50, 60, 70]]))[0]!.at(-1)!;
    expect(row.slice(0, 8)).toEqual(golden.firstLogits);
    expect(argmax(row)).toBe(golden.argmax);
    expect(row[golden.argmax]).toBe(golden.maxLogit);
    expect(createHash('sha256').update(new Uint8Array(Float32Array.from(row).buffer)).digest('hex')).toBe(golden.logitsSha256);
  });

  it('computes the same logits as a plain-JS reference transformer', async () => {
    const ids = Array.from(tok(PROMPTS[2]!).input_ids.data as BigInt64Array, Number);
    const expected = referenceLogits(arch, readWeights(join(options.outDir, 'onnx', 'model.onnx')), ids, options);
    const actual = (await forward(model, [ids]))[0]!;
    expect(actual).toHaveLength(ids.length);
    for (let t = 0; t < ids.length; t++) expect(maxAbsDiff(actual[t]!, expected[t]!)).toBeLessThan(1e-4);
    const spread = Math.max(...actual.at(-1)!) - Math.min(...actual.at(-1)!);
    expect(spread).toBeGreaterThan(5); // logits are not degenerate
  });

  it('generates deterministically, and differently for other seeds and prompts', async () => {
    const same = tinyOptions(arch, `${arch}-b`);
    const other = tinyOptions(arch, `${arch}-seed2`, { seed: 2 });
    await generateModel(same);
    await generateModel(other);
    const bytes = (o: GenerateModelOptions): Buffer => readFileSync(join(o.outDir, 'onnx', 'model.onnx'));
    expect(bytes(same).equals(bytes(options))).toBe(true);
    expect(bytes(other).equals(bytes(options))).toBe(false);

    const first = await Promise.all(PROMPTS.map((p) => greedy(tok, model, p)));
    const reloaded = await load(same.outDir);
    const second = await Promise.all(PROMPTS.map((p) => greedy(reloaded.tok, reloaded.model, p)));
    const seed2 = await load(other.outDir);
    const third = await Promise.all(PROMPTS.map((p) => greedy(seed2.tok, seed2.model, p)));
    expect(second).toEqual(first);
    expect(third).not.toEqual(first);
    expect(first.every((tokens) => tokens.length === 12)).toBe(true);
    expect(new Set(first.map((tokens) => tokens.join(','))).size).toBe(PROMPTS.length);
    expect(new Set(first.flat()).size).toBeGreaterThan(4);
  });

  it('gives the same results with and without the KV cache', async () => {
    const inputs = tok(PROMPTS[0]!);
    const recorder = new RecordLogits();
    const processors = new LogitsProcessorList();
    processors.push(recorder);
    // No min_new_tokens: its processor would set the EOS logit to -Infinity before ours records it.
    const out = (await model.generate({ ...inputs, max_new_tokens: 10, do_sample: false, logits_processor: processors })) as Tensor;
    const cached = (out.tolist() as bigint[][])[0]!.map(Number);

    const ids = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    expect(recorder.steps).toHaveLength(cached.length - ids.length);
    expect(recorder.steps.length).toBeGreaterThanOrEqual(5);
    for (const [stepLogits] of recorder.steps) {
      const full = (await forward(model, [ids]))[0]!.at(-1)!;
      expect(maxAbsDiff(stepLogits!, full)).toBeLessThan(1e-4);
      ids.push(argmax(full));
    }
    expect(ids).toEqual(cached);
  });

  it('gives each row of a left-padded batch the same result as the prompt alone', async () => {
    tok.padding_side = 'left';
    const prompts = [PROMPTS[2]!, PROMPTS[0]!, 'Hi'];
    const batch = tok(prompts, { padding: true });
    const mask = batch.attention_mask.tolist() as bigint[][];
    expect(mask[1]![0]).toBe(0n); // shorter prompts really are left-padded

    const out = (await model.generate({ ...batch, max_new_tokens: 10, min_new_tokens: 10, do_sample: false })) as Tensor;
    const width = batch.input_ids.dims[1]!;
    const rows = (out.tolist() as bigint[][]).map((r) => r.slice(width).map(Number));
    for (const [i, prompt] of prompts.entries()) expect(rows[i]).toEqual(await greedy(tok, model, prompt, 10));

    const padded = await forward(model, batch.input_ids.tolist().map((r: bigint[]) => r.map(Number)), mask.map((r) => r.map(Number)));
    for (const [i, prompt] of prompts.entries()) {
      const alone = await forward(model, [Array.from(tok(prompt).input_ids.data as BigInt64Array, Number)]);
      expect(maxAbsDiff(padded[i]!.at(-1)!, alone[0]!.at(-1)!)).toBeLessThan(1e-4);
    }
  });
});

describe('generateModel', () => {
  it('stores weights as external data on request, with identical results', async () => {
    const options = tinyOptions('llama', 'external', { externalData: true });
    const info = await generateModel(options);
    expect(info.externalDataBytes).toBeGreaterThanOrEqual(info.parameterCount * 4);
    expect(statSync(join(options.outDir, 'onnx', 'model.onnx_data')).size).toBe(info.externalDataBytes);
    expect(info.modelBytes).toBeLessThan(info.parameterCount); // only the graph and small constants
    const config = JSON.parse(readFileSync(join(options.outDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['transformers.js_config']).toEqual({ use_external_data_format: true });

    // Every weight points into model.onnx_data at the next 4096-byte aligned offset and holds the
    // same bytes as the weight's rawData in the inline model; small constants stay inline.
    const inline = tinyOptions('llama', 'inline');
    await generateModel(inline);
    const inlineData = new Map(readModel(join(inline.outDir, 'onnx', 'model.onnx')).tensors.map((t) => [t.name, Buffer.from(t.rawData)]));
    const data = readFileSync(join(options.outDir, 'onnx', 'model.onnx_data'));
    let end = 0;
    for (const t of readModel(join(options.outDir, 'onnx', 'model.onnx')).tensors) {
      const expected = inlineData.get(t.name)!;
      if (t.dataLocation === onnx.TensorProto.DataLocation.DEFAULT) {
        expect(Buffer.from(t.rawData).equals(expected), t.name).toBe(true);
        expect(expected.byteLength, t.name).toBeLessThan(1024);
        continue;
      }
      expect(t.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
      expect(t.rawData.byteLength).toBe(0);
      expect(t.externalData.map((e) => e.key)).toEqual(['location', 'offset', 'length']);
      const [location, offset, length] = t.externalData.map((e) => e.value);
      expect(location).toBe('model.onnx_data');
      expect(Number(offset)).toBe(Math.ceil(end / 4096) * 4096);
      expect(Number(length)).toBe(elementCount(t) * 4);
      end = Number(offset) + Number(length);
      expect(data.subarray(Number(offset), end).equals(expected), t.name).toBe(true);
    }
    expect(end).toBe(data.byteLength);

    const a = await load(options.outDir);
    const aLogits = await forward(a.model, [[1, 50, 60, 70]]);
    const b = await load(inline.outDir);
    expect(maxAbsDiff(aLogits[0]!.flat(), (await forward(b.model, [[1, 50, 60, 70]]))[0]!.flat())).toBe(0);
  });

  it('validates options with errors naming the option', async () => {
    const base = tinyOptions('llama', 'invalid');
    const cases: [Partial<GenerateModelOptions>, string][] = [
      [{ hidden: -3 }, '`hidden` must be a positive integer, but is -3'],
      [{ layers: 1.5 }, '`layers` must be a positive integer, but is 1.5'],
      [{ heads: 4, kvHeads: 3 }, '`heads` (4) must be a multiple of `kvHeads` (3)'],
      [{ hidden: 30, heads: 4 }, '`hidden` (30) must be a multiple of `heads` (4) unless `headDim` is given'],
      [{ headDim: 7 }, '`headDim` must be even for rotary position embeddings, but is 7'],
      [{ vocabSize: 100 }, "`vocabSize` must be at least the tokenizer's vocabulary size"],
      [{ arch: 'bert' as Architecture }, '`arch` must be "llama" or "gpt2", but is "bert"'],
      [{ arch: 'gpt2', kvHeads: 2 }, '`kvHeads` must equal `heads` (4) for arch "gpt2", but is 2'],
      [{ seed: -1 }, '`seed` must be a non-negative integer, but is -1'],
      [{ eosTokenId: [2, 100000] }, '`eosTokenId` must be an integer in [0, 365), but is 100000'],
      [{ bosTokenId: -1 }, '`bosTokenId` must be an integer in [0, 365), but is -1'],
      [{ logitScale: 0 }, '`logitScale` must be a positive finite number, but is 0'],
      [{ externalData: 'yes' as unknown as boolean }, '`externalData` must be true, false or "auto", but is "yes"'],
      [{ tokenizer: join(workDir, 'missing.json') }, '`tokenizer` file cannot be read'],
      [{ tokenizer: { model: {} } }, '`tokenizer` has no `model.vocab`'],
    ];
    expect(tokenizerVocabSize(tokenizer)).toBe(365); // the messages above depend on it
    for (const [extra, message] of cases) {
      await expect(generateModel({ ...base, ...extra }), JSON.stringify(extra)).rejects.toThrow(message);
    }
    expect(() => statSync(base.outDir)).toThrow(); // nothing was written
  });

  it('reads vocabulary size and special tokens of other tokenizer formats', () => {
    const unigram = { model: { type: 'Unigram', vocab: [['<unk>', 0], ['<s>', 0], ['</s>', 0], ['a', -1]] }, added_tokens: [{ id: 9, content: '<pad>' }] };
    expect(tokenizerVocabSize(unigram)).toBe(10);
    expect(findSpecialTokens(unigram)).toEqual({ bos: 1, eos: [2], pad: 9 });
    expect(findSpecialTokens(unigram, { bos_token: null, eos_token: { content: '<s>' } })).toEqual({ bos: null, eos: [1], pad: 9 });
    const gpt2Like = { model: { type: 'BPE', vocab: { a: 0, b: 1, '<|endoftext|>': 2 } } };
    expect(findSpecialTokens(gpt2Like)).toEqual({ bos: 2, eos: [2], pad: null });
  });
});

describe('createByteLevelTokenizer', () => {
  it('round-trips arbitrary text through transformers.js', async () => {
    const { tok } = await load(join(workDir, 'llama-a'));
    const text = 'Once upon a time, naïve 🐱 said: "¿42?"\n\ttabs';
    const ids = Array.from(tok(text).input_ids.data as BigInt64Array, Number);
    expect(ids[0]).toBe(1); // <s>
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length); // merges are used
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe(text);
    expect(createByteLevelTokenizer()).toEqual({ tokenizer, tokenizerConfig }); // deterministic
  });
});

describe('ensureTinyModel', () => {
  it('generates a cached model once and reuses it', async () => {
    const dir = await ensureTinyModel();
    expect(dir).toBe(join(MODEL_CACHE_DIR, 'tiny-llama'));
    const modelFile = join(dir, 'onnx', 'model.onnx');
    const before = statSync(modelFile).mtimeMs;
    expect(await ensureTinyModel()).toBe(dir);
    expect(statSync(modelFile).mtimeMs).toBe(before);

    const { tok, model } = await load(dir);
    expect(await greedy(tok, model, 'Once upon', 5)).toHaveLength(5);
    await expect(ensureTinyModel('../escape')).rejects.toThrow('`name` must be a plain folder name');
  });
});
