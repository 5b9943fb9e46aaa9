// rulelm without transformers.js's generate(): the core works on Float32Array rows, so any
// decoding loop can use it. Here: full forward passes and greedy decoding by hand.
//   npx tsx examples/node/manual-loop.ts
import { Tensor } from '@huggingface/transformers';
import { hewitt2024, startSequence } from '../../src/index';
import { formatPrompt, modelInfo } from '../../src/adapters/transformers/index';
import { loadModel } from './load-model';

const { model, tokenizer, source } = await loadModel(undefined);
console.log(`Model: ${source}`);
const info = modelInfo(model);
const vocabSize = info.vocabSize as number;
const { text, markers } = formatPrompt(tokenizer, 'Tell me a story.');
const prompt: number[] = tokenizer.encode(text);
const sequence = startSequence(hewitt2024(tokenizer, { eosTokenIds: info.eosTokenIds, markers }), { prompt, vocabSize });

const generated: number[] = [];
while (generated.length < 150) {
  const ids = [...prompt, ...generated];
  const input_ids = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const { logits } = (await model({ input_ids, attention_mask })) as { logits: Tensor };
  const row = (logits.data as Float32Array).slice((ids.length - 1) * vocabSize, ids.length * vocabSize);
  sequence.process(row); // the rules, in place
  let next = 0;
  for (let i = 1; i < vocabSize; i++) if ((row[i] as number) > (row[next] as number)) next = i;
  sequence.push(next);
  generated.push(next);
  if (info.eosTokenIds.includes(next)) break;
}
console.log(tokenizer.decode(generated, { skip_special_tokens: true }));
console.log(`(${generated.length} tokens)`);
