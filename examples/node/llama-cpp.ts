// The paper's rules in llama.cpp (node-llama-cpp): a GGUF base model with and without the preset,
// side by side, streamed. Additive rules such as the preset run through llama.cpp's per-step token
// bias, so llama.cpp's own sampling stays.
//
//   npx tsx examples/node/llama-cpp.ts --model ./stories260K.gguf
//   npx tsx examples/node/llama-cpp.ts --model ./model.gguf --threads 4 --max-new-tokens 300
//
// In this repository, `npx tsx tools/run-example.ts llama-cpp` writes the GGUF of stories260K (or of
// a generated model when ../shared is missing) and runs this on it. node-llama-cpp must be
// installed: `npm run setup:llama-cpp` here; in a project, `npm install node-llama-cpp`.
import type { Token } from 'node-llama-cpp';
import { getLlama } from 'node-llama-cpp';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HEWITT2024 } from 'rulelm';
import { hewitt2024ForLlama, streamWithRules } from 'rulelm/node-llama-cpp';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '256' },
    threads: { type: 'string', default: '1' },
    instruction: { type: 'string', multiple: true },
  },
});
if (values.model === undefined || !existsSync(values.model)) {
  console.error(`Pass --model <a GGUF file>${values.model === undefined ? '' : ` (no file at ${resolve(values.model)})`}.`);
  process.exit(1);
}
const maxTokens = Number(values['max-new-tokens']);
const threads = Number(values.threads);
if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new Error(`--max-new-tokens must be a positive integer, but is ${values['max-new-tokens']}`);
if (!Number.isInteger(threads) || threads <= 0) throw new Error(`--threads must be a positive integer, but is ${values.threads}`);
const instructions = values.instruction ?? ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];

// The prebuilt CPU binary only: nothing downloaded or built. Set the thread count: node-llama-cpp's
// default can be far slower than 1 thread on a small machine.
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
const model = await llama.loadModel({ modelPath: values.model });
const context = await model.createContext({ contextSize: Math.min(2048, model.trainContextSize), threads });
const sequence = context.getSequence();
console.log(`Model: ${resolve(values.model)}, ${threads} thread(s)`);

const rules = hewitt2024ForLlama(model);
console.log(`Rules: the paper's preset (${rules.rules.join(', ')}), ${rules.table.length} rows; additive, so it runs on llama.cpp's token bias\n`);
// The base model alone: node-llama-cpp's own evaluate, greedy, ending as the adapter does.
async function* baseStream(prompt: Token[]): AsyncGenerator<Token, { tokens: Token[]; stopReason: string }> {
  const tokens: Token[] = [];
  for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
    tokens.push(token);
    yield token;
    if (model.isEogToken(token)) return { tokens, stopReason: 'eos' };
    if (tokens.length >= maxTokens) return { tokens, stopReason: 'maxTokens' };
  }
  return { tokens, stopReason: 'eos' };
}

const rows: string[][] = [];
for (const instruction of instructions) {
  const text = HEWITT2024.promptTemplate.replace('{instruction}', instruction);
  const prompt = [...(model.tokens.bos === null ? [] : [model.tokens.bos]), ...model.tokenize(text)];
  console.log(`=== ${JSON.stringify(instruction)}`);
  for (const [label, processor] of [['base', undefined], ['base + rules', rules]] as const) {
    process.stdout.write(`--- ${label}:\n`);
    await sequence.clearHistory();
    const started = performance.now();
    // The base model alone is llama.cpp's own greedy generation; with rules, the adapter's.
    const stream = processor === undefined ? baseStream(prompt) : streamWithRules(sequence, processor, prompt, { maxTokens });
    const response: Token[] = [];
    let step = await stream.next();
    while (step.done !== true) {
      // The previous tokens tell llama.cpp whether a piece starts with a space.
      process.stdout.write(model.detokenize([step.value], false, response.slice(-4)));
      response.push(step.value);
      step = await stream.next();
    }
    const seconds = (performance.now() - started) / 1000;
    const { tokens, stopReason } = step.value;
    process.stdout.write('\n');
    rows.push([instruction.slice(0, 32), label, String(tokens.length), stopReason === 'eos' ? `EOS (id ${tokens.at(-1)})` : 'limit', (tokens.length / seconds).toFixed(0)]);
  }
  console.log();
}

const header = ['instruction', 'decoding', 'tokens', 'ended by', 'tokens/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
await context.dispose();
await model.dispose();
