/**
 * Models of the end-to-end benchmark: the shared stories260K and a generated model with the
 * dimensions of a real small model (SmolLM2-135M's), cached under `.cache/models`.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLocalModel } from '../../tools/local-model';
import { GENERATOR_VERSION, MODEL_CACHE_DIR, generateModel } from '../../tools/model-generator/index';
import { lenmlDir } from './data';

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
 * Returns the folder of the real-dimension model, generating it (a few seconds, ~540 MB) when
 * it is missing or was made with other settings.
 *
 * @param log Progress output.
 * @returns The folder.
 */
export async function ensureRealDimsModel(log: (line: string) => void): Promise<string> {
  const dir = join(MODEL_CACHE_DIR, 'bench-real-dims-llama2');
  const tokenizerDir = lenmlDir('llama2');
  const tokenizerHash = createHash('sha256').update(readFileSync(join(tokenizerDir, 'tokenizer.json'))).update(readFileSync(join(tokenizerDir, 'tokenizer_config.json'))).digest('hex');
  const stamp = JSON.stringify({ generator: GENERATOR_VERSION, dims: REAL_DIMS, tokenizerHash });
  const stampPath = join(dir, 'bench-stamp.json');
  if (existsSync(join(dir, 'onnx', 'model.onnx')) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dir;
  log(`[e2e] generating the real-dimension model in ${dir} ...`);
  const started = performance.now();
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  await generateModel({ outDir: temp, tokenizer: join(tokenizerDir, 'tokenizer.json'), tokenizerConfig: join(tokenizerDir, 'tokenizer_config.json'), ...REAL_DIMS });
  writeFileSync(join(temp, 'bench-stamp.json'), stamp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
  log(`[e2e] generated in ${((performance.now() - started) / 1e3).toFixed(1)} s`);
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
