// Loads the models the integration tests run: the shared pretrained stories260K (when present)
// and a tiny model the project generates itself (always).
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadLocalModel } from '../../tools/local-model';
import { ensureTinyModel } from '../../tools/model-generator/index';

/** Folder of the shared pretrained model. */
export const SHARED_MODEL_DIR: string = resolve(__dirname, '../../../shared/models/stories260K');

/** Whether the shared model is present; a notice is printed once when it is not. */
export const HAS_SHARED_MODEL: boolean = existsSync(`${SHARED_MODEL_DIR}/onnx/model.onnx`);
if (!HAS_SHARED_MODEL) {
  console.warn(`[rulelm tests] NOTICE: ${SHARED_MODEL_DIR} is missing; the tests that use the shared stories260K model are SKIPPED.`);
}

/** A loaded model and tokenizer. */
export interface Loaded {
  readonly model: PreTrainedModel;
  readonly tokenizer: PreTrainedTokenizer;
  readonly dir: string;
}

const cache = new Map<string, Promise<Loaded>>();

/**
 * Loads a transformers.js model folder offline (cached per folder).
 *
 * @param dir The folder.
 * @returns The model and tokenizer.
 */
export function loadFolder(dir: string): Promise<Loaded> {
  let loading = cache.get(dir);
  if (loading === undefined) {
    loading = loadLocalModel(dir).then(({ model, tokenizer }) => ({ model, tokenizer, dir }));
    cache.set(dir, loading);
  }
  return loading;
}

/**
 * Loads the shared stories260K model.
 *
 * @returns The model and tokenizer.
 */
export function loadShared(): Promise<Loaded> {
  return loadFolder(SHARED_MODEL_DIR);
}

/**
 * Loads (generating it first if needed) the tiny random-weight Llama model.
 *
 * @returns The model and tokenizer.
 */
export async function loadTiny(): Promise<Loaded> {
  return loadFolder(await ensureTinyModel());
}

/**
 * Greedy or sampled generation returning only the new tokens of each row, as numbers.
 *
 * @param loaded The model.
 * @param prompts One prompt or a batch (left-padded).
 * @param options Extra generate() options.
 * @returns New tokens per row.
 */
export async function generateTokens(loaded: Loaded, prompts: string | string[], options: Record<string, unknown> = {}): Promise<number[][]> {
  const { model, tokenizer } = loaded;
  const batch = Array.isArray(prompts);
  const inputs = batch ? tokenizer(prompts, { padding: true }) : tokenizer(prompts);
  const width = inputs.input_ids.dims[1] as number;
  const output = (await model.generate({ ...inputs, do_sample: false, ...options })) as { tolist(): bigint[][] };
  return output.tolist().map((row) => row.slice(width).map(Number));
}

/**
 * Cuts a response after its first end token.
 *
 * @param tokens The response.
 * @param ends Ids that end a response.
 * @returns The response up to and including the first end token.
 */
export function untilEnd(tokens: readonly number[], ends: readonly number[]): number[] {
  const at = tokens.findIndex((t) => ends.includes(t));
  return at < 0 ? [...tokens] : tokens.slice(0, at + 1);
}
