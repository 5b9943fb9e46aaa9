// Finds and loads a model for the examples: --model (a local folder or, online, a hub id),
// else the shared stories260K beside the project, else a generated tiny model.
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLocalModel } from '../../tools/local-model';
import { ensureTinyModel } from '../../tools/model-generator/index';

/** Where the shared pretrained test model lives, beside the project. */
export const SHARED_MODEL: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/models/stories260K');

/** A loaded model, its tokenizer and where it came from. */
export interface LoadedModel {
  readonly model: PreTrainedModel;
  readonly tokenizer: PreTrainedTokenizer;
  readonly source: string;
  /** The name to pass to `from_pretrained` / `pipeline` (a folder under `env.localModelPath`, or a hub id). */
  readonly name: string;
}

/**
 * Loads the model named by `--model`, or the default one.
 *
 * @param requested A local folder or a hub id; `undefined` for the default.
 * @returns The model, tokenizer and a description of the source.
 */
export async function loadModel(requested: string | undefined): Promise<LoadedModel> {
  let folder: string | undefined;
  let source: string;
  if (requested !== undefined && existsSync(requested)) {
    folder = resolve(requested);
    source = `local folder ${folder}`;
  } else if (requested !== undefined) {
    env.allowRemoteModels = true;
    const tokenizer = await AutoTokenizer.from_pretrained(requested);
    const model = await AutoModelForCausalLM.from_pretrained(requested, { dtype: 'fp32' });
    return { model, tokenizer, source: `hub model ${requested}`, name: requested };
  } else if (existsSync(SHARED_MODEL)) {
    folder = SHARED_MODEL;
    source = 'stories260K, a real pretrained 260K-parameter Llama (../shared/models/stories260K)';
  } else {
    folder = await ensureTinyModel();
    source = `a generated tiny model with random weights (${folder}); ../shared/models/stories260K was not found`;
  }
  const { model, tokenizer, name } = await loadLocalModel(folder);
  return { model, tokenizer, source, name };
}
