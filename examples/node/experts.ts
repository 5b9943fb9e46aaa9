// Several neural models in one decoding loop: a product of experts with generateWithExperts.
// The base model (stories260K, or a generated one) is combined with a second model that shares
// its tokenizer: here a randomly initialised "amateur" the project generates, for contrastive
// decoding; and with the paper's rules, for base x rules.
//   npx tsx examples/node/experts.ts
import { AutoModelForCausalLM, env } from '@huggingface/transformers';
import { basename, dirname, join } from 'node:path';
import { baseTimesRules, contrastiveDecoding, formatPrompt, generateWithExperts, hewitt2024ForModel } from '../../src/adapters/transformers/index';
import { MODEL_CACHE_DIR, generateModel } from '../../tools/model-generator/index';
import { loadModel, SHARED_MODEL } from './load-model';
import { existsSync } from 'node:fs';

const { model, tokenizer, source, name } = await loadModel(undefined);
console.log(`Base model: ${source}`);

// An amateur with the base model's tokenizer and random weights (written once under .cache).
const tokenizerDir = name === basename(SHARED_MODEL) && existsSync(SHARED_MODEL) ? SHARED_MODEL : join(env.localModelPath as string, name);
const amateurDir = join(MODEL_CACHE_DIR, `amateur-for-${name}`);
if (!existsSync(join(amateurDir, 'onnx', 'model.onnx'))) {
  await generateModel({ outDir: amateurDir, tokenizer: join(tokenizerDir, 'tokenizer.json'), tokenizerConfig: join(tokenizerDir, 'tokenizer_config.json'), hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, seed: 3 });
}
env.localModelPath = `${dirname(amateurDir)}/`;
const amateur = await AutoModelForCausalLM.from_pretrained(basename(amateurDir), { dtype: 'fp32' });

const prompt = 'Once upon a time, there was a';
const runs = {
  'base alone': { experts: [{ model, weight: 1 }] },
  'contrastive decoding (base - 0.5 x amateur, alpha 0.1)': contrastiveDecoding({ expert: model, amateur, lambda: 0.5, alpha: 0.1 }),
};
for (const [label, recipe] of Object.entries(runs)) {
  const { rows } = await generateWithExperts({ tokenizer, prompts: prompt, maxNewTokens: 60, ...recipe });
  console.log(`--- ${label} (${rows[0]?.finishReason}):\n${prompt}${rows[0]?.text}\n`);
}

const instruction = formatPrompt(tokenizer, 'Tell me a story about a frog.');
const { rows } = await generateWithExperts({ tokenizer, prompts: instruction.text, maxNewTokens: 300, ...baseTimesRules({ base: model, rules: hewitt2024ForModel(model, tokenizer) }) });
console.log(`--- base x rules, answering ${JSON.stringify('Tell me a story about a frog.')} (${rows[0]?.tokens.length} tokens, ${rows[0]?.finishReason}):\n${rows[0]?.text}`);

// Sampling is reproducible with a seed.
const sampled = await generateWithExperts({ tokenizer, prompts: prompt, maxNewTokens: 30, experts: [{ model, weight: 1 }], sample: true, temperature: 0.8, topP: 0.9, seed: 1 });
console.log(`\n--- sampled with seed ${sampled.seed}:\n${prompt}${sampled.rows[0]?.text}`);
