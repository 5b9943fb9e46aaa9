// Compose your own rules from the processors, by text, for any tokenizer.
//   npx tsx examples/node/custom-chain.ts [--model folder-or-hub-id]
import { parseArgs } from 'node:util';
import { chain, endOfSequenceRamp, repetitionPenalty, tokenBias } from '../../src/index';
import { logitsProcessor, modelInfo } from '../../src/adapters/transformers/index';
import { loadModel } from './load-model';

const { values } = parseArgs({ options: { model: { type: 'string' } } });
const { model, tokenizer, source } = await loadModel(values.model);
console.log(`Model: ${source}`);

const avoid = tokenBias({ tokenizer, biases: [{ text: 'happy', bias: -8 }, { text: 'big', bias: -8 }], unresolved: 'skip' });
console.log('"happy" and "big" resolved to:', avoid.resolved.map((r) => `${JSON.stringify(r.pieces.join(''))} (${r.tokens.join(' ')})`).join(', '), avoid.skipped.length > 0 ? `; skipped: ${avoid.skipped.join(', ')}` : '');

const rules = chain(
  avoid,
  repetitionPenalty({ mode: 'frequency', penalty: 0.4, window: 64 }),
  endOfSequenceRamp({ eosTokenIds: modelInfo(model).eosTokenIds, maxBias: 10, rampLength: 80 }),
);
const inputs = tokenizer('Once upon a time');
for (const [label, processor] of [['plain', undefined], ['custom chain', logitsProcessor(rules, { model, tokenizer })]] as const) {
  const output = (await model.generate({ ...inputs, max_new_tokens: 120, do_sample: false, ...(processor ? { logits_processor: processor } : {}) })) as { tolist(): bigint[][] };
  console.log(`--- ${label}:\n${tokenizer.decode(output.tolist()[0] as bigint[], { skip_special_tokens: true })}\n`);
}
