// Several neural models in one decoding loop: a product of experts with generateWithExperts.
// The base model is combined with the paper's rules (base x rules), sampled with a seed, and,
// given a second model that shares its tokenizer (--amateur, e.g. a smaller model of the same
// family), used for contrastive decoding.
//   npx tsx examples/node/experts.ts [--model <local folder or hub id>] [--amateur <local folder or hub id>]
// (default model ../shared/models/stories260K; in this repository, `npx tsx tools/run-example.ts experts`
// passes a randomly initialised amateur it generates with stories260K's tokenizer.)
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { baseTimesRules, contrastiveDecoding, formatPrompt, generateWithExperts, hewitt2024ForModel } from 'rulelm/transformers';

// A local folder (loaded offline) or a Hugging Face hub id: the name to pass to from_pretrained.
function modelName(source: string): string {
  if (!existsSync(source)) {
    if (!/^[.~/]/.test(source)) return source;
    console.error(`No model folder at ${resolve(source)}: pass --model <local transformers.js model folder or hub id>.`);
    process.exit(1);
  }
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(resolve(source))}/`;
  return basename(resolve(source));
}

const { values } = parseArgs({ options: { model: { type: 'string', default: '../shared/models/stories260K' }, amateur: { type: 'string' } } });
const name = modelName(values.model);
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
console.log(`Base model: ${values.model}`);

const prompt = 'Once upon a time, there was a';
const base = await generateWithExperts({ tokenizer, prompts: prompt, maxNewTokens: 60, experts: [{ model, weight: 1 }] });
console.log(`--- base alone (${base.rows[0]?.finishReason}):\n${prompt}${base.rows[0]?.text}\n`);
if (values.amateur === undefined) {
  console.log('--- contrastive decoding: skipped (pass --amateur <a model with the same tokenizer>)\n');
} else {
  const amateur = await AutoModelForCausalLM.from_pretrained(modelName(values.amateur), { dtype: 'fp32' });
  // score = log p(base) - 0.5 log p(amateur), among the tokens the base gives at least 0.1 x its top probability.
  const { rows } = await generateWithExperts({ tokenizer, prompts: prompt, maxNewTokens: 60, ...contrastiveDecoding({ expert: model, amateur, lambda: 0.5, alpha: 0.1 }) });
  console.log(`--- contrastive decoding (base - 0.5 x amateur, alpha 0.1) (${rows[0]?.finishReason}):\n${prompt}${rows[0]?.text}\n`);
}

const instruction = formatPrompt(tokenizer, 'Tell me a story about a frog.');
const { rows } = await generateWithExperts({ tokenizer, prompts: [[...instruction.ids]], maxNewTokens: 300, ...baseTimesRules({ base: model, rules: hewitt2024ForModel(model, tokenizer) }) });
console.log(`--- base x rules, answering ${JSON.stringify('Tell me a story about a frog.')} (${rows[0]?.tokens.length} tokens, ${rows[0]?.finishReason}):\n${rows[0]?.text}`);

// Sampling is reproducible with a seed.
const sampled = await generateWithExperts({ tokenizer, prompts: prompt, maxNewTokens: 30, experts: [{ model, weight: 1 }], sample: true, temperature: 0.8, topP: 0.9, seed: 1 });
console.log(`\n--- sampled with seed ${sampled.seed}:\n${prompt}${sampled.rows[0]?.text}`);
