// See why the model stopped: trace every processor's changes per step.
//   npx tsx examples/node/trace.ts [--model folder-or-hub-id]
import { parseArgs } from 'node:util';
import type { TraceEvent } from '../../src/adapters/transformers/index';
import { formatPrompt, hewitt2024ForModel, logitsProcessor } from '../../src/adapters/transformers/index';
import { loadModel } from './load-model';

const { values } = parseArgs({ options: { model: { type: 'string' } } });
const { model, tokenizer, source } = await loadModel(values.model);
console.log(`Model: ${source}`);

const events: TraceEvent[] = [];
const processor = logitsProcessor(hewitt2024ForModel(model, tokenizer), { model, trace: (event) => events.push(event) });
const { text } = formatPrompt(tokenizer, 'Tell me about the moon.');
await model.generate({ ...tokenizer(text), max_new_tokens: 200, do_sample: false, logits_processor: processor });

const steps = Math.max(...events.map((e) => e.step)) + 1;
console.log(`${steps} steps traced. Per step, what each rule changed (tokens touched, largest change):`);
for (let step = 0; step < steps; step += Math.max(1, Math.floor(steps / 12))) {
  const cells = events
    .filter((e) => e.step === step)
    .map((e) => {
      const largest = e.changes.reduce((best, c) => (Math.abs(c.delta) > Math.abs(best.delta) ? c : best), { token: -1, delta: 0 });
      return `${e.kind}: ${e.changes.length} tokens${largest.token >= 0 ? `, ${JSON.stringify(tokenizer.decode([largest.token]))} ${largest.delta > 0 ? '+' : ''}${largest.delta.toFixed(2)}` : ''}`;
    });
  console.log(`t = ${String(step).padStart(3)}  ${cells.join(' | ')}`);
}
