// The main example: the same base model with and without the paper's rules, side by side,
// streamed, with response length and repetition statistics.
//
//   npx tsx examples/node/compare.ts                        # ../shared/models/stories260K
//   npx tsx examples/node/compare.ts --model ./my-model     # a local transformers.js model folder
//   npx tsx examples/node/compare.ts --model HuggingFaceTB/SmolLM2-135M --max-new-tokens 300   # online
//
// In this repository, `npm run example` runs it on stories260K, or on a model it generates when
// ../shared is missing.
import type { Tensor } from '@huggingface/transformers';
import { AutoModelForCausalLM, AutoTokenizer, TextStreamer, env } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList } from 'rulelm/transformers';
import { distinctN, repeatedNgramRate } from 'rulelm/eval';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '../shared/models/stories260K' },
    'max-new-tokens': { type: 'string', default: '256' },
    instruction: { type: 'string', multiple: true },
  },
});
const maxNewTokens = Number(values['max-new-tokens']);
if (!Number.isInteger(maxNewTokens) || maxNewTokens <= 0) throw new Error(`--max-new-tokens must be a positive integer, but is ${values['max-new-tokens']}`);
const instructions = values.instruction ?? ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];

// --model: a local folder (loaded offline) or a Hugging Face hub id.
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
console.log(`Model: ${local ? `local folder ${resolve(values.model)}` : `hub model ${values.model}`}`);

const rules = hewitt2024ForModel(model, tokenizer);
console.log(`Rules: the paper's preset (${rules.rules.join(', ')}, fidelity "${rules.fidelity}"), ${rules.table.length} rows, skipped for this vocabulary: ${rules.skipped.join(' ') || 'none'}\n`);

const endIds = new Set(rules.table.filter((r) => r.rule === 'eos').map((r) => r.id));
const rows: string[][] = [];
for (const instruction of instructions) {
  const prompt = formatPrompt(tokenizer, instruction);
  const inputs = tokenizer(prompt.text, { add_special_tokens: prompt.addSpecialTokens }); // the chat template's own ids: one BOS
  const promptLength = inputs.input_ids.dims[1] as number;
  console.log(`=== ${JSON.stringify(instruction)}`);
  for (const [label, processor] of [['base', undefined], ['base + rules', logitsProcessorList(rules, { model, tokenizer })]] as const) {
    process.stdout.write(`--- ${label}:\n`);
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text: string) => process.stdout.write(text) });
    const started = performance.now();
    const output = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false, streamer, ...(processor ? { logits_processor: processor } : {}) })) as Tensor;
    const seconds = (performance.now() - started) / 1000;
    const response = (output.tolist() as bigint[][])[0]!.slice(promptLength).map(Number);
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
