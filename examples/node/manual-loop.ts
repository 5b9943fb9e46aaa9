// rulelm without transformers.js's generate(): the core works on Float32Array rows, so any
// decoding loop can use it. Here: full forward passes and greedy decoding by hand.
//   npx tsx examples/node/manual-loop.ts [--model <local folder or hub id>]   (default ../shared/models/stories260K)
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { argmax, hewitt2024, startSequence } from 'rulelm';
import { formatPrompt, modelInfo } from 'rulelm/transformers';

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

const info = modelInfo(model);
const vocabSize = info.vocabSize as number;
const { ids, markers } = formatPrompt(tokenizer, 'Tell me a story.');
const prompt: number[] = [...ids]; // exactly the ids the tokenizer's chat templating gives
// One sequence: its state is created for this prompt, then fed one token per step.
const sequence = startSequence(hewitt2024(tokenizer, { eosTokenIds: info.eosTokenIds, markers }), { prompt, vocabSize });

const generated: number[] = [];
while (generated.length < 150) {
  const ids = [...prompt, ...generated];
  const input_ids = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const { logits } = (await model({ input_ids, attention_mask })) as { logits: Tensor };
  const row = (logits.data as Float32Array).slice((ids.length - 1) * vocabSize, ids.length * vocabSize);
  sequence.process(row); // the rules, in place
  const next = argmax(row);
  sequence.push(next);
  generated.push(next);
  if (info.eosTokenIds.includes(next)) break;
}
console.log(tokenizer.decode(generated, { skip_special_tokens: true }));
console.log(`(${generated.length} tokens)`);
