// The two runtimes side by side: the paper's preset on stories260K through transformers.js and
// through node-llama-cpp (llama.cpp, on the GGUF written from the same ONNX weights), greedy, on
// the main example's three instructions: the same token ids.
import type { Tensor } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWithRules, hewitt2024ForLlama } from '../../../src/adapters/node-llama-cpp/index';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList } from '../../../src/adapters/transformers/index';
import { HAS_SHARED_MODEL, SHARED_MODEL_DIR, loadShared } from '../../helpers/models';
import { HAS_LLAMA_CPP, createContext, loadGgufOf } from './helpers';

const INSTRUCTIONS = ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];
const rows: string[] = [];

describe.skipIf(!HAS_SHARED_MODEL || !HAS_LLAMA_CPP)('stories260K with the paper preset: transformers.js and node-llama-cpp', () => {
  afterAll(() => {
    if (rows.length > 0) console.log(['| instruction | tokens | ended by | runtime |', '|---|---|---|---|', ...rows].join('\n'));
  });

  it('gives identical greedy token ids on the three instructions of the main example', async () => {
    const { model, tokenizer } = await loadShared();
    const rules = hewitt2024ForModel(model, tokenizer);
    const llamaModel = await loadGgufOf(SHARED_MODEL_DIR);
    const context = await createContext(llamaModel);
    const sequence = context.getSequence();
    // The preset built from the GGUF alone (no transformers.js), as examples/node/llama-cpp.ts does.
    const llamaOnly = hewitt2024ForLlama(llamaModel);
    const lengths: number[] = [];
    for (const instruction of INSTRUCTIONS) {
      const inputs = tokenizer(formatPrompt(tokenizer, instruction).text);
      const width = inputs.input_ids.dims[1] as number;
      const output = (await model.generate({ ...inputs, max_new_tokens: 256, do_sample: false, logits_processor: logitsProcessorList(rules, { model, tokenizer }) })) as Tensor;
      const expected = (output.tolist() as bigint[][])[0]!.slice(width).map(Number);
      const prompt = (inputs.input_ids.tolist() as bigint[][])[0]!.map(Number);
      await sequence.clearHistory();
      const result = await generateWithRules(sequence, rules, prompt, { maxTokens: 256 });
      expect(result.path).toBe('bias');
      expect(result.tokens).toEqual(expected);
      // The full-distribution path (rulelm reads the logits and decodes) agrees too.
      await sequence.clearHistory();
      expect((await generateWithRules(sequence, rules, prompt, { maxTokens: 256, path: 'logits' })).tokens).toEqual(expected);
      const last = expected.at(-1);
      const ended = result.stopReason === 'eos' ? `id ${last}` : 'limit';
      const text = formatPrompt(tokenizer, instruction).text;
      const llamaPrompt = [llamaModel.tokens.bos as number, ...llamaModel.tokenize(text)];
      expect(llamaPrompt).toEqual(prompt);
      await sequence.clearHistory();
      expect((await generateWithRules(sequence, llamaOnly, llamaPrompt, { maxTokens: 256 })).tokens).toEqual(expected);
      rows.push(`| ${instruction} | ${expected.length} | ${ended} | transformers.js 4 (onnxruntime) |`, `| ${instruction} | ${result.tokens.length} | ${ended} | node-llama-cpp 3.22 (llama.cpp, bias path) |`);
      lengths.push(result.tokens.length);
    }
    expect(lengths).toEqual([156, 101, 92]);
  });
});
