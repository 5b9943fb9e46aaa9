// node-llama-cpp for the tests: installed by `npm run setup:llama-cpp` (test/node-llama-cpp-runtime),
// loaded with nothing downloaded or compiled and one thread. Tests skip with a notice when it is not
// installed, and fail when RULELM_REQUIRE_LLAMA_CPP=1 (set by .ci/run).
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureGguf } from '../../../tools/gguf/index';

const INSTALLED = existsSync(resolve(__dirname, '../../../node_modules/node-llama-cpp/package.json'));
if (!INSTALLED) {
  if (process.env.RULELM_REQUIRE_LLAMA_CPP === '1') throw new Error('[rulelm tests] RULELM_REQUIRE_LLAMA_CPP=1 (set by .ci/run), but node-llama-cpp is not installed: run `npm run setup:llama-cpp`');
  console.warn('[rulelm tests] NOTICE: node-llama-cpp is not installed (`npm run setup:llama-cpp`); the node-llama-cpp tests are SKIPPED.');
}

/** Whether node-llama-cpp is installed. */
export const HAS_LLAMA_CPP: boolean = INSTALLED;

let llama: Promise<Llama> | undefined;

/**
 * node-llama-cpp's prebuilt CPU binary, loaded once: no GPU, no build, no download.
 *
 * @returns The llama instance.
 */
export function loadLlama(): Promise<Llama> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  llama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error }));
  return llama;
}

const models = new Map<string, Promise<LlamaModel>>();

/**
 * The GGUF of a transformers.js model folder (written into .cache/gguf when missing), loaded.
 *
 * @param dir The model folder.
 * @returns The node-llama-cpp model.
 */
export function loadGgufOf(dir: string): Promise<LlamaModel> {
  let model = models.get(dir);
  if (model === undefined) {
    model = loadLlama().then((l) => l.loadModel({ modelPath: ensureGguf(dir) }));
    models.set(dir, model);
  }
  return model;
}

/**
 * A context with one thread (the default thread count is far slower on a small machine) an F32
 * key/value cache and no flash attention: llama.cpp's defaults (F16 cache; flash attention,
 * whose CPU kernel works in F16) move logits by about 1e-3 relative, probabilities by about 1e-3.
 *
 * @param model The model.
 * @param sequences Number of sequences.
 * @returns The context.
 */
export function createContext(model: LlamaModel, sequences = 1): Promise<LlamaContext> {
  return model.createContext({ contextSize: 512, threads: 1, sequences, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
}
