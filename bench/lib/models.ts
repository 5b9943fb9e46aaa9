/**
 * Models of the end-to-end benchmark: the shared stories260K and a generated model with the
 * dimensions of a real small model (SmolLM2-135M's), cached under `.cache/models`.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadLocalModel } from '../../tools/local-model';
import { MODEL_CACHE_DIR, ensureTinyModel } from '../../tools/model-generator/index';
import { lenmlFiles } from './data';

/** Dimensions of the real-dimension model (SmolLM2-135M's shape) with the llama2 tokenizer. */
export const REAL_DIMS = {
  arch: 'llama',
  vocabSize: 49152,
  hidden: 576,
  layers: 30,
  heads: 9,
  kvHeads: 3,
  intermediate: 1536,
  seed: 1,
  tieWordEmbeddings: true,
} as const;

/** A loaded model and its tokenizer. */
export interface LoadedModel {
  /** The model. */
  readonly model: PreTrainedModel;
  /** Its tokenizer. */
  readonly tokenizer: PreTrainedTokenizer;
  /** Its folder. */
  readonly dir: string;
}

/**
 * Returns the folder of the real-dimension model (`ensureTinyModel`'s cache: generated, a few
 * seconds and ~540 MB, when it is missing or was made from other settings or tokenizer files).
 *
 * @param log Progress output (a line when the model was generated).
 * @returns The folder.
 */
export async function ensureRealDimsModel(log: (line: string) => void): Promise<string> {
  const name = 'bench-real-dims-llama2';
  const record = join(MODEL_CACHE_DIR, name, 'generator.json');
  const writtenAt = (): number => (existsSync(record) ? statSync(record).mtimeMs : 0);
  const before = writtenAt();
  const started = performance.now();
  // 2048 positions, the generator's default for Llama (ensureTinyModel's own settings say 512).
  const dir = await ensureTinyModel(name, { ...lenmlFiles('llama2'), ...REAL_DIMS, maxPositions: 2048 });
  if (writtenAt() !== before) log(`[e2e] generated the real-dimension model in ${dir} (${((performance.now() - started) / 1e3).toFixed(1)} s)`);
  return dir;
}

/**
 * Loads a model folder offline, in fp32.
 *
 * @param dir The folder.
 * @returns The model and tokenizer.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const { model, tokenizer } = await loadLocalModel(dir);
  return { model, tokenizer, dir };
}
