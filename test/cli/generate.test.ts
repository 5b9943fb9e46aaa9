// The CLI's generator against transformers.js generate() run by hand, on tiny generated models
// (one with the paper's template, one with a chat template that writes BOS itself).
import type { LoadedModel } from '../../src/cli/generate';
import { describe, expect, it } from 'vitest';
import { createGenerator, loadModel } from '../../src/cli/generate';
import { createByteLevelTokenizer, ensureTinyModel } from '../../tools/model-generator/index';

const SETTINGS = { maxNewTokens: 8, sample: false, temperature: 1, seed: 0, template: 'auto', fidelity: 'reference' } as const;
const CHAT_TEMPLATE = "{{ bos_token }}{% for m in messages %}[{{ m.role }}]\n{{ m.content }}</s>\n{% endfor %}{% if add_generation_prompt %}[assistant]\n{% endif %}";

// What the generator gave before it used formatPrompt's ids: generate() on the tokenized text.
async function byText(loaded: LoadedModel, text: string, addSpecialTokens: boolean): Promise<{ prompt: number[]; tokens: number[] }> {
  const { model, tokenizer } = loaded;
  const inputs = tokenizer(text, { add_special_tokens: addSpecialTokens });
  const output = (await model.generate({ ...inputs, max_new_tokens: SETTINGS.maxNewTokens, do_sample: false })) as unknown as { tolist(): bigint[][] };
  const row = (output.tolist()[0] ?? []).map(Number);
  const width = inputs.input_ids.dims[1] as number;
  const tokens = row.slice(width);
  return { prompt: row.slice(0, width), tokens: loaded.eosTokenIds.includes(tokens.at(-1)!) ? tokens.slice(0, -1) : tokens };
}

describe('createGenerator (greedy)', () => {
  it('generates from the ids of the prompt, one BOS: the same tokens and text as generate() on the tokenized text', async () => {
    const paper = await loadModel(await ensureTinyModel(), 'fp32', 'auto');
    const chatDir = await ensureTinyModel('tiny-llama-chat', { tokenizerConfig: { ...createByteLevelTokenizer().tokenizerConfig, chat_template: CHAT_TEMPLATE } });
    const chat = await loadModel(chatDir, 'fp32', 'auto');
    expect([paper.template, chat.template]).toEqual(['paper', 'chat']);
    const instruction = 'Write a haiku about rain.';
    const cases = [
      { loaded: paper, text: `<|user|>\n${instruction}\n<|assistant|>\n`, addSpecialTokens: true },
      { loaded: chat, text: `<s>[user]\n${instruction}</s>\n[assistant]\n`, addSpecialTokens: false },
    ];
    for (const { loaded, text, addSpecialTokens } of cases) {
      const record = await createGenerator(loaded, undefined, SETTINGS)(instruction, 0);
      const expected = await byText(loaded, text, addSpecialTokens);
      expect(expected.prompt.filter((id) => id === 1)).toEqual([1]); // one <s>
      expect(expected.prompt[0]).toBe(1);
      expect(record.promptTokens).toBe(expected.prompt.length);
      expect(record.tokens).toEqual(expected.tokens);
      expect(record.tokens.length).toBeGreaterThan(0);
      const { tokenizer } = loaded;
      const after = (skip: boolean): string => tokenizer.decode([...expected.prompt, ...expected.tokens], { skip_special_tokens: skip }).slice(tokenizer.decode(expected.prompt, { skip_special_tokens: skip }).length);
      expect(record.text).toBe(after(true));
      expect(record.raw ?? record.text).toBe(after(false));
    }
    expect(paper.turnMarkers).toEqual([]);
    expect(chat.turnMarkers).toEqual(['<s>[user]']);
  }, 60_000);
});
