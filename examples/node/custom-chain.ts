// Compose your own rules from the processors, by text, for any tokenizer.
//   npx tsx examples/node/custom-chain.ts [--model <local folder or hub id>]   (default ../shared/models/stories260K)
import type { Tensor } from '@huggingface/transformers';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Chain, EndOfSequenceRamp, RepetitionPenalty, TokenBias } from 'rulelm';
import { logitsProcessorList, modelInfo } from 'rulelm/transformers';

// --model: a local folder (loaded offline) or a Hugging Face hub id.
const { values } = parseArgs({ options: { model: { type: 'string', default: '../shared/models/stories260K' } } });
const local = existsSync(values.model);
if (!local && /^[.~/]/.test(values.model)) {
  console.error(`No model folder at ${resolve(values.model)}: pass --model <local transformers.js model folder or hub id>.`);
  process.exit(1);
}
if (local) {
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(resolve(values.model))}/`;
}
const name = local ? basename(resolve(values.model)) : values.model;
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
console.log(`Model: ${values.model}`);

const avoid = new TokenBias({ tokenizer, biases: [{ text: 'happy', bias: -8 }, { text: 'big', bias: -8 }], unresolved: 'skip' });
console.log('"happy" and "big" resolved to:', avoid.resolved.map((r) => `${JSON.stringify(r.pieces.join(''))} (${r.tokens.join(' ')})`).join(', '), avoid.skipped.length > 0 ? `; skipped: ${avoid.skipped.join(', ')}` : '');

// The processors run in this order; nested chains are flattened.
const rules = new Chain(
  avoid,
  new RepetitionPenalty({ mode: 'frequency', penalty: 0.4, window: 64 }),
  new EndOfSequenceRamp({ eosTokenIds: modelInfo(model).eosTokenIds, maxBias: 10, rampLength: 80 }),
);
const inputs = tokenizer('Once upon a time');
for (const [label, processor] of [['plain', undefined], ['custom chain', logitsProcessorList(rules, { model, tokenizer })]] as const) {
  const output = (await model.generate({ ...inputs, max_new_tokens: 120, do_sample: false, ...(processor ? { logits_processor: processor } : {}) })) as Tensor;
  console.log(`--- ${label}:\n${tokenizer.batch_decode(output, { skip_special_tokens: true })[0]}\n`);
}
