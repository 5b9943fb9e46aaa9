/**
 * Options of the model generator and their validation.
 */

/** Supported decoder architectures. */
export type Architecture = 'llama' | 'gpt2';

/** A tokenizer given as a path to a JSON file or as the parsed JSON itself. */
export type JsonSource = string | Readonly<Record<string, unknown>>;

/** Options of {@link generateModel}. Sizes default to a tiny model. */
export interface GenerateModelOptions {
  /** Output directory (created if missing); existing generated files are overwritten. */
  readonly outDir: string;
  /** `tokenizer.json`: a path or the parsed JSON. */
  readonly tokenizer: JsonSource;
  /** `tokenizer_config.json`: a path or the parsed JSON; a minimal one is written if omitted. */
  readonly tokenizerConfig?: JsonSource;
  /** Architecture; default `'llama'`. */
  readonly arch?: Architecture;
  /** Vocabulary size; default (and minimum) the tokenizer's size (largest token id + 1). */
  readonly vocabSize?: number;
  /** Hidden size; default 64. */
  readonly hidden?: number;
  /** Number of decoder layers; default 2. */
  readonly layers?: number;
  /** Number of attention heads; default 4. */
  readonly heads?: number;
  /** Number of key/value heads (grouped-query attention, Llama only); default `heads`. */
  readonly kvHeads?: number;
  /** Size of one attention head; default `hidden / heads`; must be even for Llama (RoPE). */
  readonly headDim?: number;
  /** MLP width; default `4 * hidden` (GPT-2) or `8/3 * hidden` rounded up to a multiple of 8 (Llama). */
  readonly intermediate?: number;
  /** Maximum sequence length; default 2048 (Llama) or 1024 (GPT-2, size of the position table). */
  readonly maxPositions?: number;
  /** Seed of the weights; default 0. Same seed and options give byte-identical files. */
  readonly seed?: number;
  /** Beginning-of-sequence token id, or `null` for none; default from the tokenizer's special tokens. */
  readonly bosTokenId?: number | null;
  /** End-of-sequence token id(s); default from the tokenizer's special tokens. */
  readonly eosTokenId?: number | readonly number[];
  /** Padding token id, or `null` for none; default from the tokenizer's special tokens. */
  readonly padTokenId?: number | null;
  /** Share the embedding matrix with the LM head; default `false` (Llama); always `true` for GPT-2. */
  readonly tieWordEmbeddings?: boolean;
  /** Approximate standard deviation of the logits; default 4. */
  readonly logitScale?: number;
  /** RoPE base (Llama); default 10000. */
  readonly ropeTheta?: number;
  /** Epsilon of RMSNorm / LayerNorm; default 1e-5. */
  readonly normEps?: number;
  /** Store weights in `onnx/model.onnx_data`; default `'auto'` (only when the model would exceed ~1.9 GB). */
  readonly externalData?: boolean | 'auto';
}

/** Fully resolved model hyper-parameters used by the graph builders. */
export interface ModelDims {
  readonly arch: Architecture;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  readonly seed: number;
  readonly tieWordEmbeddings: boolean;
  readonly logitScale: number;
  readonly ropeTheta: number;
  readonly normEps: number;
}

/** Standard deviation of embeddings (and of untied LM heads), as in Hugging Face's `initializer_range`. */
export const EMBEDDING_STD = 0.02;

/**
 * Throws unless `value` is a positive safe integer.
 * @param name - Option name used in the message.
 * @param value - The value to check.
 * @returns The value.
 * @throws {RangeError} If the value is not a positive integer.
 */
export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`\`${name}\` must be a positive integer, but is ${describe(value)}`);
  }
  return value;
}

/**
 * Throws unless `value` is a non-negative safe integer.
 * @param name - Option name used in the message.
 * @param value - The value to check.
 * @returns The value.
 * @throws {RangeError} If the value is not a non-negative integer.
 */
export function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`\`${name}\` must be a non-negative integer, but is ${describe(value)}`);
  }
  return value;
}

/**
 * Throws unless `value` is a finite number greater than zero.
 * @param name - Option name used in the message.
 * @param value - The value to check.
 * @returns The value.
 * @throws {RangeError} If the value is not a positive finite number.
 */
export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`\`${name}\` must be a positive finite number, but is ${describe(value)}`);
  }
  return value;
}

/**
 * Formats a value for an error message.
 * @param value - Any value.
 * @returns A short description.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${typeof value}`;
}

/**
 * Validates the size options and fills in defaults.
 * @param options - User options.
 * @param tokenizerVocabSize - Vocabulary size required by the tokenizer (largest id + 1).
 * @returns The resolved dimensions.
 * @throws {RangeError} If an option is invalid or inconsistent, naming the option.
 */
export function resolveDims(options: GenerateModelOptions, tokenizerVocabSize: number): ModelDims {
  const arch = options.arch ?? 'llama';
  if (arch !== 'llama' && arch !== 'gpt2') {
    throw new RangeError(`\`arch\` must be "llama" or "gpt2", but is ${describe(arch)}`);
  }
  const vocabSize = positiveInteger('vocabSize', options.vocabSize ?? tokenizerVocabSize);
  if (vocabSize < tokenizerVocabSize) {
    throw new RangeError(`\`vocabSize\` must be at least the tokenizer's vocabulary size ${tokenizerVocabSize}, but is ${vocabSize}`);
  }
  const hidden = positiveInteger('hidden', options.hidden ?? 64);
  const layers = positiveInteger('layers', options.layers ?? 2);
  const heads = positiveInteger('heads', options.heads ?? 4);
  const kvHeads = positiveInteger('kvHeads', options.kvHeads ?? heads);
  if (heads % kvHeads !== 0) {
    throw new RangeError(`\`heads\` (${heads}) must be a multiple of \`kvHeads\` (${kvHeads})`);
  }
  if (arch === 'gpt2' && kvHeads !== heads) {
    throw new RangeError(`\`kvHeads\` must equal \`heads\` (${heads}) for arch "gpt2", but is ${kvHeads}`);
  }
  if (options.headDim === undefined && hidden % heads !== 0) {
    throw new RangeError(`\`hidden\` (${hidden}) must be a multiple of \`heads\` (${heads}) unless \`headDim\` is given`);
  }
  const headDim = positiveInteger('headDim', options.headDim ?? hidden / heads);
  if (arch === 'llama' && headDim % 2 !== 0) {
    throw new RangeError(`\`headDim\` must be even for rotary position embeddings, but is ${headDim}`);
  }
  if (arch === 'gpt2' && headDim * heads !== hidden) {
    throw new RangeError(`\`headDim\` * \`heads\` must equal \`hidden\` (${hidden}) for arch "gpt2", but is ${headDim * heads}`);
  }
  const defaultIntermediate = arch === 'gpt2' ? 4 * hidden : Math.ceil((8 * hidden) / 3 / 8) * 8;
  const tie = options.tieWordEmbeddings ?? arch === 'gpt2';
  if (typeof tie !== 'boolean') {
    throw new RangeError(`\`tieWordEmbeddings\` must be a boolean, but is ${describe(tie)}`);
  }
  if (arch === 'gpt2' && !tie) throw new RangeError('`tieWordEmbeddings` must be true for arch "gpt2"');
  const seed = nonNegativeInteger('seed', options.seed ?? 0);
  if (seed > 0xffffffff) throw new RangeError(`\`seed\` must be below 2^32, but is ${seed}`);
  return {
    arch,
    vocabSize,
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediate: positiveInteger('intermediate', options.intermediate ?? defaultIntermediate),
    maxPositions: positiveInteger('maxPositions', options.maxPositions ?? (arch === 'gpt2' ? 1024 : 2048)),
    seed,
    tieWordEmbeddings: tie,
    logitScale: positiveNumber('logitScale', options.logitScale ?? 4),
    ropeTheta: positiveNumber('ropeTheta', options.ropeTheta ?? 10000),
    normEps: positiveNumber('normEps', options.normEps ?? 1e-5),
  };
}
