// See why the model stopped: trace every processor's changes per step.
//   npx tsx examples/node/trace.ts [--model <local folder or hub id>]   (default ../shared/models/stories260K)
import type { TraceEvent } from 'rulelm/transformers';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
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
const name = local ? basename(resolve(values.model)) : values.model;
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
console.log(`Model: ${values.model}`);

// The trace reports, per generation, batch row and step, what each member of the chain changed.
const events: TraceEvent[] = [];
const processor = logitsProcessorList(hewitt2024ForModel(model, tokenizer), { model, tokenizer, trace: (event) => events.push(event) });
const { text, addSpecialTokens } = formatPrompt(tokenizer, 'Tell me about the moon.');
await model.generate({ ...tokenizer(text, { add_special_tokens: addSpecialTokens }), max_new_tokens: 200, do_sample: false, logits_processor: processor });

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
