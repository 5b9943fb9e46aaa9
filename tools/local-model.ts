/**
 * Loads a transformers.js model folder offline: the one loader the tests and benchmarks share.
 * (The examples load their `--model` with a few lines of their own, so that each one can be
 * copied into a project unchanged; the published `rulelm eval` has its own, which also takes hub
 * ids.)
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { basename, dirname, resolve } from 'node:path';

/** A loaded model folder. */
export interface LocalModel {
  /** The model (fp32). */
  readonly model: PreTrainedModel;
  /** Its tokenizer. */
  readonly tokenizer: PreTrainedTokenizer;
  /** The absolute folder. */
  readonly dir: string;
  /** The name it was loaded under (the folder's name, below `env.localModelPath`). */
  readonly name: string;
}

/**
 * Loads a model folder (transformers.js layout: config.json, tokenizer files, onnx/model.onnx)
 * offline, in fp32. Sets `env.localModelPath` to the folder's parent and turns remote models off.
 *
 * @param folder The folder.
 * @returns The model, its tokenizer, the folder and the name.
 */
export async function loadLocalModel(folder: string): Promise<LocalModel> {
  const dir = resolve(folder);
  const name = basename(dir);
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
  return { model, tokenizer, dir, name };
}
