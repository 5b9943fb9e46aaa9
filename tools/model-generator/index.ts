/**
 * Generates transformers.js-loadable ONNX causal language models with seeded random weights.
 *
 * Output layout (what `AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' })` and
 * `AutoTokenizer.from_pretrained(name)` read with `env.localModelPath` set to the parent folder):
 * `config.json`, `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `onnx/model.onnx` (+ `onnx/model.onnx_data` when the weights exceed ~1.9 GB), and
 * `generator.json` recording how the model was made.
 *
 * The graphs use ONNX opset 17 standard operators only. Inputs: `input_ids`, `attention_mask`,
 * `position_ids` (int64) and `past_key_values.<layer>.key|value`; outputs: `logits` and
 * `present.<layer>.key|value`. The attention mask is causal and also masks padded keys, so a
 * left-padded batch row gives the same logits as the prompt alone.
 *
 * Weights: embeddings (and an untied LM head) ~ N(0, 0.02); projections ~ N(0, 1/fan_in), the
 * output projections of attention and MLP additionally scaled by 1/sqrt(2 * layers); norm gains 1
 * except the final norm, whose gain makes the logits' standard deviation about `logitScale`.
 * Every tensor has its own splitmix32 stream seeded from `seed` and the tensor's name.
 * Note that random models, especially with tied embeddings, tend to repeat tokens under greedy
 * decoding; different prompts and seeds still give different continuations.
 *
 * CLI: `npx tsx tools/generate-model.ts --help`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGpt2Graph } from './gpt2';
import { buildLlamaGraph } from './llama';
import type { GraphBuilder } from './onnx-graph';
import { type GenerateModelOptions, type JsonSource, type ModelDims, describe, resolveDims } from './options';
import {
  type JsonObject,
  type SpecialTokenIds,
  createByteLevelTokenizer,
  findSpecialTokens,
  tokenById,
  tokenizerVocabSize,
} from './tokenizer';

export type { Architecture, GenerateModelOptions, JsonSource, ModelDims } from './options';
export { createByteLevelTokenizer, findSpecialTokens, tokenizerVocabSize } from './tokenizer';
export type { ByteLevelTokenizerOptions, SpecialTokenIds, TokenizerFiles } from './tokenizer';

/**
 * Version of the generated files (graphs, weights and their encoding); part of the cache key of
 * {@link ensureTinyModel}. Version 2 encodes with `onnx-proto` (packed repeated integers): the
 * same graphs and weights as version 1, in different `.onnx` bytes.
 */
export const GENERATOR_VERSION = 2;

/**
 * Initializer size above which `externalData: 'auto'` stores weights outside the `.onnx` file
 * (a single `.onnx` file cannot exceed 2 GiB).
 */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1_900_000_000;

// Protobuf messages are limited to 2 GiB; keep a margin for the graph itself.
const MAX_INLINE_BYTES = 2 ** 31 - 16 * 2 ** 20;

/** Root of the repository (two levels above this file). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Folder of cached generated models (gitignored). */
export const MODEL_CACHE_DIR: string = join(REPO_ROOT, '.cache', 'models');

/** What {@link generateModel} wrote. */
export interface GeneratedModelInfo {
  /** Absolute path of the model folder. */
  readonly dir: string;
  /** Absolute paths of all written files. */
  readonly files: readonly string[];
  /** Resolved dimensions. */
  readonly dims: ModelDims;
  /** Number of float32 weights. */
  readonly parameterCount: number;
  /** Size of `onnx/model.onnx` in bytes. */
  readonly modelBytes: number;
  /** Size of `onnx/model.onnx_data` in bytes; 0 when the weights are inside the model file. */
  readonly externalDataBytes: number;
  /** Special token ids written to the configs. */
  readonly specialTokens: SpecialTokenIds;
  /** Content of `config.json`. */
  readonly config: JsonObject;
  /** Hash of everything that determines the output (files are byte-identical when it is equal). */
  readonly hash: string;
}

interface Plan {
  readonly dir: string;
  readonly dims: ModelDims;
  readonly tokenizerText: string;
  readonly tokenizerConfigText: string;
  readonly specialTokens: SpecialTokenIds;
  readonly externalData: boolean;
  readonly graph: GraphBuilder;
  readonly config: JsonObject;
  readonly generationConfig: JsonObject;
  readonly hash: string;
}

function readJsonSource(name: string, source: JsonSource): { text: string; json: JsonObject } {
  let text: string;
  if (typeof source === 'string') {
    try {
      text = readFileSync(source, 'utf8');
    } catch (error) {
      throw new Error(`\`${name}\` file cannot be read: ${source}`, { cause: error });
    }
  } else if (typeof source === 'object' && source !== null && !Array.isArray(source)) {
    text = JSON.stringify(source, null, 2);
  } else {
    throw new TypeError(`\`${name}\` must be a path or a JSON object, but is ${describe(source)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`\`${name}\` is not valid JSON: ${String(source)}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`\`${name}\` must contain a JSON object`);
  }
  return { text, json: json as JsonObject };
}

function tokenIdOption(name: string, value: unknown, vocabSize: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= vocabSize) {
    throw new RangeError(`\`${name}\` must be an integer in [0, ${vocabSize}), but is ${describe(value)}`);
  }
  return value;
}

function resolveSpecialTokens(options: GenerateModelOptions, found: SpecialTokenIds, vocabSize: number): SpecialTokenIds {
  const bos = options.bosTokenId === undefined ? found.bos : options.bosTokenId;
  const pad = options.padTokenId === undefined ? found.pad : options.padTokenId;
  const eosOption = options.eosTokenId;
  const eos = eosOption === undefined ? found.eos : typeof eosOption === 'number' ? [eosOption] : eosOption;
  if (!Array.isArray(eos)) throw new TypeError(`\`eosTokenId\` must be a number or an array, but is ${describe(eos)}`);
  return {
    bos: bos === null ? null : tokenIdOption('bosTokenId', bos, vocabSize),
    eos: eos.map((id: unknown) => tokenIdOption('eosTokenId', id, vocabSize)),
    pad: pad === null ? null : tokenIdOption('padTokenId', pad, vocabSize),
  };
}

function buildConfig(dims: ModelDims, special: SpecialTokenIds, externalData: boolean): JsonObject {
  const eos = special.eos.length === 1 ? special.eos[0] : special.eos.length === 0 ? null : special.eos;
  const common = {
    bos_token_id: special.bos,
    eos_token_id: eos,
    pad_token_id: special.pad,
    tie_word_embeddings: dims.tieWordEmbeddings,
    torch_dtype: 'float32',
    use_cache: true,
    initializer_range: 0.02,
    ...(externalData ? { 'transformers.js_config': { use_external_data_format: true } } : {}),
  };
  if (dims.arch === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: dims.vocabSize,
      n_positions: dims.maxPositions,
      n_ctx: dims.maxPositions,
      n_embd: dims.hidden,
      n_layer: dims.layers,
      n_head: dims.heads,
      n_inner: dims.intermediate,
      activation_function: 'gelu_new',
      layer_norm_epsilon: dims.normEps,
      ...common,
    };
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: dims.vocabSize,
    hidden_size: dims.hidden,
    intermediate_size: dims.intermediate,
    num_hidden_layers: dims.layers,
    num_attention_heads: dims.heads,
    num_key_value_heads: dims.kvHeads,
    head_dim: dims.headDim,
    max_position_embeddings: dims.maxPositions,
    hidden_act: 'silu',
    rms_norm_eps: dims.normEps,
    rope_theta: dims.ropeTheta,
    attention_bias: false,
    mlp_bias: false,
    ...common,
  };
}

function minimalTokenizerConfig(tokenizer: JsonObject, special: SpecialTokenIds, maxLength: number): JsonObject {
  const name = (id: number | null | undefined): string | null => (id == null ? null : (tokenById(tokenizer, id) ?? null));
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: name(special.bos),
    eos_token: name(special.eos[0]),
    pad_token: name(special.pad),
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
  };
}

function plan(options: GenerateModelOptions): Plan {
  if (typeof options !== 'object' || options === null) throw new TypeError('`options` must be an object');
  if (typeof options.outDir !== 'string' || options.outDir === '') {
    throw new TypeError(`\`outDir\` must be a non-empty path, but is ${describe(options.outDir)}`);
  }
  const tokenizer = readJsonSource('tokenizer', options.tokenizer);
  const tokenizerConfig = options.tokenizerConfig === undefined ? undefined : readJsonSource('tokenizerConfig', options.tokenizerConfig);
  const dims = resolveDims(options, tokenizerVocabSize(tokenizer.json));
  const specialTokens = resolveSpecialTokens(options, findSpecialTokens(tokenizer.json, tokenizerConfig?.json), dims.vocabSize);
  const graph = dims.arch === 'gpt2' ? buildGpt2Graph(dims) : buildLlamaGraph(dims);
  const externalDataOption = options.externalData ?? 'auto';
  if (externalDataOption !== 'auto' && typeof externalDataOption !== 'boolean') {
    throw new RangeError(`\`externalData\` must be true, false or "auto", but is ${describe(externalDataOption)}`);
  }
  const externalData =
    externalDataOption === 'auto' ? graph.initializerBytes > EXTERNAL_DATA_THRESHOLD_BYTES : externalDataOption;
  if (!externalData && graph.initializerBytes > MAX_INLINE_BYTES) {
    throw new RangeError(
      `the weights (${graph.initializerBytes} bytes) exceed the 2 GiB protobuf limit of a single .onnx file; use \`externalData: true\``,
    );
  }
  const tokenizerConfigText =
    tokenizerConfig?.text ?? JSON.stringify(minimalTokenizerConfig(tokenizer.json, specialTokens, dims.maxPositions), null, 2);
  const config = buildConfig(dims, specialTokens, externalData);
  const eos = config['eos_token_id'];
  const generationConfig = {
    bos_token_id: specialTokens.bos,
    eos_token_id: eos,
    ...(specialTokens.pad === null ? {} : { pad_token_id: specialTokens.pad }),
  };
  const hash = createHash('sha256')
    .update(JSON.stringify({ version: GENERATOR_VERSION, dims, specialTokens, externalData }))
    .update(tokenizer.text)
    .update(tokenizerConfigText)
    .digest('hex');
  return {
    dir: resolve(options.outDir),
    dims,
    tokenizerText: tokenizer.text,
    tokenizerConfigText,
    specialTokens,
    externalData,
    graph,
    config,
    generationConfig,
    hash,
  };
}

function write(p: Plan, dir: string): GeneratedModelInfo {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
    return path;
  };
  const text = (name: string, value: string): string => {
    const path = join(dir, name);
    writeFileSync(path, value);
    return path;
  };
  const modelPath = join(dir, 'onnx', 'model.onnx');
  rmSync(`${modelPath}_data`, { force: true });
  const written = p.graph.writeModel(modelPath, p.externalData);
  const files = [
    json('config.json', p.config),
    json('generation_config.json', p.generationConfig),
    text('tokenizer.json', p.tokenizerText),
    text('tokenizer_config.json', p.tokenizerConfigText),
    modelPath,
    ...(written.externalDataPath === undefined ? [] : [written.externalDataPath]),
  ];
  files.push(
    json('generator.json', {
      generator: 'rulelm tools/model-generator',
      version: GENERATOR_VERSION,
      hash: p.hash,
      dims: p.dims,
      specialTokens: p.specialTokens,
      parameterCount: p.graph.parameterCount,
    }),
  );
  return {
    dir,
    files,
    dims: p.dims,
    parameterCount: p.graph.parameterCount,
    modelBytes: written.modelBytes,
    externalDataBytes: written.externalDataBytes,
    specialTokens: p.specialTokens,
    config: p.config,
    hash: p.hash,
  };
}

/**
 * Generates a causal LM folder with seeded random weights that transformers.js loads offline.
 * The same options (and tokenizer content) always give byte-identical files.
 * @param options - Output folder, tokenizer and model size; see {@link GenerateModelOptions}.
 * @returns What was written.
 * @throws {RangeError} If a size or token id option is invalid (the message names the option).
 * @throws {TypeError} If `outDir`, `tokenizer` or `tokenizerConfig` has the wrong type.
 * @throws {Error} If a tokenizer file cannot be read or parsed, or writing fails.
 */
export async function generateModel(options: GenerateModelOptions): Promise<GeneratedModelInfo> {
  const p = plan(options);
  return write(p, p.dir);
}

/** Settings of the tiny test model made by {@link ensureTinyModel} (without the tokenizer). */
export const TINY_MODEL_OPTIONS: Omit<GenerateModelOptions, 'outDir' | 'tokenizer'> = {
  arch: 'llama',
  hidden: 32,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  intermediate: 64,
  maxPositions: 512,
  seed: 1,
};

/**
 * Returns the folder of a tiny cached test model, generating it under {@link MODEL_CACHE_DIR} when it
 * is missing or was made with different settings. It uses the self-contained byte-level BPE
 * tokenizer of {@link createByteLevelTokenizer} (no files outside the repository are needed).
 * Safe to call concurrently from several processes (the model is written to a temporary folder
 * and renamed into place).
 * @param name - Folder name below {@link MODEL_CACHE_DIR}; default `'tiny-llama'`.
 * @param overrides - Options replacing {@link TINY_MODEL_OPTIONS} (e.g. `{ arch: 'gpt2' }`).
 * @returns The absolute folder path; load it with `env.localModelPath = dirname(path) + '/'` and
 *   model name `basename(path)`.
 * @throws {RangeError} If an override is invalid.
 */
export async function ensureTinyModel(
  name = 'tiny-llama',
  overrides: Partial<Omit<GenerateModelOptions, 'outDir'>> = {},
): Promise<string> {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name) || name.startsWith('.')) {
    throw new RangeError(`\`name\` must be a plain folder name, but is ${describe(name)}`);
  }
  const dir = join(MODEL_CACHE_DIR, name);
  const { tokenizer, tokenizerConfig } = createByteLevelTokenizer();
  const p = plan({ tokenizer, tokenizerConfig, ...TINY_MODEL_OPTIONS, ...overrides, outDir: dir });
  const isCurrent = (): boolean => {
    try {
      const info = JSON.parse(readFileSync(join(dir, 'generator.json'), 'utf8')) as { hash?: unknown };
      return info.hash === p.hash && existsSync(join(dir, 'onnx', 'model.onnx'));
    } catch {
      return false;
    }
  };
  if (isCurrent()) return dir;
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  write(p, temp);
  if (isCurrent()) {
    rmSync(temp, { recursive: true, force: true }); // another process finished first
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (!isCurrent()) throw error; // another process won the race only if its result is valid
  }
  return dir;
}
