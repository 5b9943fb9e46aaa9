/**
 * Writes a llama.cpp GGUF (architecture `llama`, F32 weights) from a transformers.js model folder:
 * `config.json`, `generation_config.json` (optional), `tokenizer.json`, `tokenizer_config.json`
 * (optional) and `onnx/model.onnx` (a Llama decoder, as `tools/model-generator` makes or as
 * exported from PyTorch). llama.cpp (through node-llama-cpp) then runs the same model as
 * transformers.js: the tests check equal tokenization, first-step probabilities within 1e-4 and
 * equal greedy tokens.
 *
 * The special ids are read as rulelm reads a transformers.js model's (`modelInfo`):
 * `generation_config.json` first, then `config.json` (see {@link specialIds}). The end-of-sequence
 * ids become `tokenizer.ggml.eos_token_id` and, for a second one, `eot_token_id`: llama.cpp stops
 * on both, as transformers.js does (stories260K stops on `</s>` and on `<s>`, which ends its
 * stories).
 *
 * CLI: `npx tsx tools/gguf/cli.ts <model folder> [out.gguf]`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelInfo } from '../../src/adapters/transformers/model-info';
import type { GgufValue } from './format';
import { fail, writeGguf } from './format';
import type { LlamaDims } from './onnx-llama';
import { readLlamaTensors } from './onnx-llama';
import type { SpecialIds } from './tokenizer';
import { tokenizerMetadata } from './tokenizer';

export { permuteRotary, readLlamaTensors } from './onnx-llama';
export type { LlamaDims } from './onnx-llama';
export { encodeGgufHeader, writeGguf } from './format';
export type { GgufTensor, GgufValue } from './format';
export { tokenizerMetadata } from './tokenizer';

/** Version of the converter's output; part of {@link ensureGguf}'s cache key. */
export const GGUF_CONVERTER_VERSION = 4;

/** Folder of cached GGUF files (gitignored, like the generated models). */
export const GGUF_CACHE_DIR: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../.cache/gguf');

type Json = Record<string, unknown>;

function readJson(path: string, optional: boolean): Json {
  if (!existsSync(path)) {
    if (optional) return {};
    fail(`${path} is missing`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function int(config: Json, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(`config.json \`${key}\` must be a positive integer, but is ${JSON.stringify(value)}`);
  return value;
}

/**
 * The special ids of a model folder, read as rulelm's `modelInfo` reads a loaded model's, so that
 * llama.cpp and transformers.js end and pad on the same ids: `generation_config.json` first, then
 * `config.json` (the end-of-sequence ids of the first that lists any).
 *
 * @param config The parsed `config.json`.
 * @param generation The parsed `generation_config.json`, or `{}`.
 * @returns The BOS, end-of-sequence and padding ids.
 */
export function specialIds(config: Json, generation: Json): SpecialIds {
  const info = modelInfo({ config, generation_config: generation });
  return { bos: info.bosTokenId ?? null, eos: [...info.eosTokenIds], pad: info.padTokenId ?? null };
}

/** What {@link convertToGguf} wrote. */
export interface GgufInfo {
  readonly path: string;
  readonly bytes: number;
  readonly dims: LlamaDims;
  readonly tied: boolean;
  readonly tokenizer: 'llama' | 'gpt2';
}

/**
 * Converts a transformers.js Llama model folder to a GGUF file.
 *
 * @param modelDir The model folder.
 * @param outPath The GGUF path to write.
 * @returns What was written.
 * @throws {Error} On a model that is not a Llama decoder, a graph of unexpected structure or an
 * unsupported tokenizer (the message says which).
 */
export function convertToGguf(modelDir: string, outPath: string): GgufInfo {
  const config = readJson(join(modelDir, 'config.json'), false);
  if (config['model_type'] !== 'llama') throw new Error(`rulelm gguf: config.json \`model_type\` must be "llama", but is ${JSON.stringify(config['model_type'])}`);
  const generation = readJson(join(modelDir, 'generation_config.json'), true);
  const tokenizer = readJson(join(modelDir, 'tokenizer.json'), false);
  const tokenizerConfig = readJson(join(modelDir, 'tokenizer_config.json'), true);
  const hidden = int(config, 'hidden_size');
  const heads = int(config, 'num_attention_heads');
  const dims: LlamaDims = {
    vocabSize: int(config, 'vocab_size'),
    hidden,
    layers: int(config, 'num_hidden_layers'),
    heads,
    kvHeads: int(config, 'num_key_value_heads', heads),
    headDim: int(config, 'head_dim', hidden / heads),
    intermediate: int(config, 'intermediate_size'),
    maxPositions: int(config, 'max_position_embeddings'),
    normEps: typeof config['rms_norm_eps'] === 'number' ? config['rms_norm_eps'] : 1e-6,
    ropeTheta: typeof config['rope_theta'] === 'number' ? config['rope_theta'] : 10000,
  };
  const { tensors, tied } = readLlamaTensors(join(modelDir, 'onnx', 'model.onnx'), dims);
  const special = specialIds(config, generation);
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: basename(resolve(modelDir)) }],
    ['general.file_type', u32(0)],
    ['llama.vocab_size', u32(dims.vocabSize)],
    ['llama.context_length', u32(dims.maxPositions)],
    ['llama.embedding_length', u32(hidden)],
    ['llama.block_count', u32(dims.layers)],
    ['llama.feed_forward_length', u32(dims.intermediate)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(dims.kvHeads)],
    ['llama.attention.key_length', u32(dims.headDim)],
    ['llama.attention.value_length', u32(dims.headDim)],
    ['llama.rope.dimension_count', u32(dims.headDim)],
    ['llama.rope.freq_base', { type: 'f32', value: dims.ropeTheta }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: dims.normEps }],
  ]);
  const tokenizerEntries = tokenizerMetadata(tokenizer, tokenizerConfig, dims.vocabSize, special);
  for (const [key, value] of tokenizerEntries) metadata.set(key, value);
  mkdirSync(dirname(resolve(outPath)), { recursive: true });
  const bytes = writeGguf(outPath, metadata, tensors);
  const kind = metadata.get('tokenizer.ggml.model');
  return { path: resolve(outPath), bytes, dims, tied, tokenizer: kind?.type === 'string' && kind.value === 'gpt2' ? 'gpt2' : 'llama' };
}

/**
 * Returns the path of the GGUF of a model folder under {@link GGUF_CACHE_DIR}, converting it when
 * missing or when the folder's files (or the converter) changed.
 *
 * @param modelDir The transformers.js model folder.
 * @returns The GGUF path.
 */
export function ensureGguf(modelDir: string): string {
  const hash = createHash('sha256').update(String(GGUF_CONVERTER_VERSION));
  for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    const path = join(modelDir, file);
    hash.update(file).update(existsSync(path) ? readFileSync(path) : '');
  }
  const path = join(GGUF_CACHE_DIR, `${basename(resolve(modelDir))}-${hash.digest('hex').slice(0, 16)}.gguf`);
  if (!existsSync(path)) convertToGguf(modelDir, path);
  return path;
}
