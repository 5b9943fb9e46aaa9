// The paper's rules in a text-generation pipeline.
//   npx tsx examples/node/pipeline.ts
import type { TextGenerationPipeline } from '@huggingface/transformers';
import { pipeline } from '@huggingface/transformers';
import { formatPrompt, hewitt2024ForModel, logitsProcessor } from '../../src/adapters/transformers/index';
import { loadModel } from './load-model';

const { source, name } = await loadModel(undefined); // finds (or generates) the model and sets up offline loading
console.log(`Model: ${source}`);
const generator = (await pipeline('text-generation', name, { dtype: 'fp32' })) as TextGenerationPipeline;
const rules = logitsProcessor(hewitt2024ForModel(generator.model, generator.tokenizer), { model: generator.model });
const { text } = formatPrompt(generator.tokenizer, 'Tell me a story about a cat.');
const [result] = (await generator(text, { max_new_tokens: 200, do_sample: false, return_full_text: false, logits_processor: rules } as never)) as { generated_text: string }[];
console.log(result?.generated_text);
