// The paper's rules in a text-generation pipeline.
//   npx tsx examples/node/pipeline.ts [--model <local folder or hub id>]   (default ../shared/models/stories260K)
import { env, pipeline } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList } from 'rulelm/transformers';

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
const generator = await pipeline('text-generation', local ? basename(resolve(values.model)) : values.model, { dtype: 'fp32' });
console.log(`Model: ${values.model}`);

const { model, tokenizer } = generator;
const rules = logitsProcessorList(hewitt2024ForModel(model, tokenizer), { model, tokenizer });
const { text, addSpecialTokens } = formatPrompt(tokenizer, 'Tell me a story about a cat.');
const [result] = await generator(text, { add_special_tokens: addSpecialTokens, max_new_tokens: 200, do_sample: false, return_full_text: false, logits_processor: rules });
console.log(result?.generated_text);
