// The main example: the same base model with and without the paper's rules, side by side,
// streamed, with response length and repetition statistics.
//
//   npm run example                       # stories260K from ../shared (or a generated model)
//   npm run example -- --model ./my-model # a local transformers.js model folder
//   npm run example -- --model HuggingFaceTB/SmolLM2-135M --max-new-tokens 300   # online
import { TextStreamer } from '@huggingface/transformers';
import { parseArgs } from 'node:util';
import { formatPrompt, hewitt2024ForModel, logitsProcessor } from '../../src/adapters/transformers/index';
import { loadModel } from './load-model';
import { distinctN, repeatedNgramRate } from '../../src/eval/metrics';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '256' },
    instruction: { type: 'string', multiple: true },
  },
});
const maxNewTokens = Number(values['max-new-tokens']);
if (!Number.isInteger(maxNewTokens) || maxNewTokens <= 0) throw new Error(`--max-new-tokens must be a positive integer, but is ${values['max-new-tokens']}`);
const instructions = values.instruction ?? ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];

const { model, tokenizer, source } = await loadModel(values.model);
console.log(`Model: ${source}`);
const rules = hewitt2024ForModel(model, tokenizer);
console.log(`Rules: the paper's preset (${rules.rules.join(', ')}, fidelity "${rules.fidelity}"), ${rules.table.length} rows, skipped for this vocabulary: ${rules.skipped.join(' ') || 'none'}\n`);

const endIds = new Set(rules.table.filter((r) => r.rule === 'eos').map((r) => r.id));
const rows: string[][] = [];
for (const instruction of instructions) {
  const prompt = formatPrompt(tokenizer, instruction);
  const inputs = tokenizer(prompt.text);
  const promptLength = inputs.input_ids.dims[1] as number;
  console.log(`=== ${JSON.stringify(instruction)}`);
  for (const [label, processor] of [['base', undefined], ['base + rules', logitsProcessor(rules, { model, tokenizer })]] as const) {
    process.stdout.write(`--- ${label}:\n`);
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text: string) => process.stdout.write(text) });
    const started = performance.now();
    const output = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false, streamer, ...(processor ? { logits_processor: processor } : {}) })) as { tolist(): bigint[][] };
    const seconds = (performance.now() - started) / 1000;
    const response = (output.tolist()[0] as bigint[]).slice(promptLength).map(Number);
    const ended = response.length > 0 && endIds.has(response[response.length - 1] as number);
    const ratio = (x: number | undefined): string => (x ?? 0).toFixed(2);
    process.stdout.write('\n');
    rows.push([instruction.slice(0, 32), label, String(response.length), ended ? 'EOS' : 'limit', ratio(distinctN(response, 1)), ratio(distinctN(response, 2)), ratio(repeatedNgramRate(response, 4)), (response.length / seconds).toFixed(0)]);
  }
  console.log();
}

const header = ['instruction', 'decoding', 'tokens', 'ended by', 'distinct-1', 'distinct-2', 'repeated 4-grams', 'tokens/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
