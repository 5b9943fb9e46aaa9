import type { LlamaModel } from 'node-llama-cpp';
import type { Hewitt2024, Hewitt2024Options } from '../../presets/hewitt2024';
import { hewitt2024 } from '../../presets/hewitt2024';
import { llamaTokenizer } from './tokenizer';

/**
 * The paper's preset (Hewitt et al. 2024, see `hewitt2024`) for a node-llama-cpp model: the rules
 * resolved through the model's own vocabulary ({@link llamaTokenizer}), the EOS ramp on the
 * model's end-of-sequence and end-of-turn ids (llama.cpp stops on both), unless `eosTokenIds` is
 * given. Prompts use the paper's template, `<|user|>\n{instruction}\n<|assistant|>\n`
 * (`HEWITT2024.promptTemplate`).
 *
 * @param model A loaded node-llama-cpp model.
 * @param options The preset's options.
 * @returns The preset (an additive chain: it runs on llama.cpp's token bias path).
 * @throws {RuleLMError} As `hewitt2024`, or when the model has no token list.
 * @example
 * ```ts
 * import { getLlama } from 'node-llama-cpp';
 * import { generateWithRules, hewitt2024ForLlama } from 'rulelm/node-llama-cpp';
 *
 * const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
 * const model = await llama.loadModel({ modelPath: 'stories260K.gguf' });
 * const context = await model.createContext({ contextSize: 512, threads: 1 });
 * const rules = hewitt2024ForLlama(model);
 * const prompt = [model.tokens.bos!, ...model.tokenize('<|user|>\nTell me a story about a dog.\n<|assistant|>\n')];
 * const { tokens } = await generateWithRules(context.getSequence(), rules, prompt);
 * ```
 */
export function hewitt2024ForLlama(model: LlamaModel, options: Hewitt2024Options = {}): Hewitt2024 {
  const tokenizer = llamaTokenizer(model);
  const ends = [...new Set([model.tokens.eos, model.tokens.eot].filter((id): id is NonNullable<typeof id> => id !== null).map(Number))];
  return hewitt2024(tokenizer, { ...(ends.length > 0 ? { eosTokenIds: ends } : {}), ...options });
}
