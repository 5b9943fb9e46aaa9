import { describe, expect, it } from 'vitest';
import { hewitt2024 } from '../../../src/index';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList } from '../../../src/adapters/transformers/index';
import { generateTokens, HAS_SHARED_MODEL, loadShared, loadTiny } from '../../helpers/models';

const INSTRUCTIONS = ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.', 'Give me three tips for sleeping well.'];

describe('hewitt2024ForModel', () => {
  it('takes the EOS ids from the model\'s generation config and the markers from the template', async () => {
    const { model, tokenizer } = await loadTiny();
    const rules = hewitt2024ForModel(model, tokenizer);
    expect(rules.table.filter((r) => r.rule === 'eos').map((r) => r.id)).toEqual([2]);
    const { markers } = formatPrompt(tokenizer, '');
    expect(rules.markers).toEqual({ user: markers.user, assistant: markers.assistant });
    expect(hewitt2024ForModel(model, tokenizer, { eosTokenIds: 1 }).table.filter((r) => r.rule === 'eos').map((r) => r.id)).toEqual([1]);
    expect(() => hewitt2024ForModel(model, tokenizer, { marker: 1 } as never)).toThrow('unknown option "marker"');
  });

  it.skipIf(!HAS_SHARED_MODEL)('on stories260K ramps both ids that end a story (2 and 1); the tokenizer-only preset is refused by the adapter with a message that says what to do', async () => {
    const { model, tokenizer } = await loadShared();
    const rules = hewitt2024ForModel(model, tokenizer);
    expect(rules.table.filter((r) => r.rule === 'eos').map((r) => r.id)).toEqual([2, 1]);
    expect(logitsProcessorList(rules, { model, tokenizer }).processors).toHaveLength(1);
    // hewitt2024(tokenizer) ramps only the tokenizer's EOS (2): before, accepted silently (256 tokens to the limit instead of ending by the ramp).
    expect(() => logitsProcessorList(hewitt2024(tokenizer), { model, tokenizer })).toThrow('`processor` ramps end-of-sequence [2], but the model also stops on [1], which the ramp never raises');
    expect(logitsProcessorList(hewitt2024(tokenizer), { model, tokenizer, partialEndOfSequence: true }).processors).toHaveLength(1);
  });

  it('a tokenizer passed as the model (or twice) is an error naming `model`', async () => {
    const { tokenizer } = await loadTiny();
    expect(() => hewitt2024ForModel(tokenizer as never, tokenizer)).toThrow('`model` is a tokenizer (it has encode() and get_vocab()), not a model; pass the model as `model` and the tokenizer as `tokenizer`');
  });

  it.skipIf(!HAS_SHARED_MODEL)('changes stories260K\'s answers in the paper\'s direction: they end by themselves, shorter, with fewer repeats', async () => {
    const loaded = await loadShared();
    const { model, tokenizer } = loaded;
    const processor = logitsProcessorList(hewitt2024ForModel(model, tokenizer), { model });
    const stops = [1, 2];
    let baseLength = 0;
    let ruledLength = 0;
    let baseRepeats = 0;
    let ruledRepeats = 0;
    let ruledEnded = 0;
    for (const instruction of INSTRUCTIONS) {
      const { text } = formatPrompt(tokenizer, instruction);
      const base = (await generateTokens(loaded, text, { max_new_tokens: 300 }))[0]!;
      const ruled = (await generateTokens(loaded, text, { max_new_tokens: 300, logits_processor: processor }))[0]!;
      baseLength += base.length;
      ruledLength += ruled.length;
      baseRepeats += base.length - new Set(base).size;
      ruledRepeats += ruled.length - new Set(ruled).size;
      if (stops.includes(ruled[ruled.length - 1]!)) ruledEnded++;
    }
    expect(ruledEnded).toBe(INSTRUCTIONS.length);
    expect(ruledLength).toBeLessThan(baseLength);
    expect(ruledRepeats / ruledLength).toBeLessThan(baseRepeats / baseLength);
  });

  it.skipIf(!HAS_SHARED_MODEL)('the preset through the adapter equals the preset applied by hand in a manual loop', async () => {
    const loaded = await loadShared();
    const { model, tokenizer } = loaded;
    const rules = hewitt2024(tokenizer, { eosTokenIds: [2, 1], rules: 'eos-uniform-diversity-start' });
    const { text } = formatPrompt(tokenizer, 'Tell me a story.');
    const viaAdapter = (await generateTokens(loaded, text, { max_new_tokens: 30, logits_processor: logitsProcessorList(rules, { model }) }))[0]!;
    // By hand: full forward passes, the preset applied to the last row, greedy.
    const { startSequence } = await import('../../../src/index');
    const prompt = tokenizer.encode(text);
    const sequence = startSequence(rules, { prompt, vocabSize: 512 });
    const { Tensor } = await import('@huggingface/transformers');
    const manual: number[] = [];
    for (let step = 0; step < viaAdapter.length; step++) {
      const ids = [...prompt, ...manual];
      const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
      const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
      const { logits } = (await model({ input_ids, attention_mask })) as { logits: { data: Float32Array; dims: number[] } };
      const row = logits.data.slice((ids.length - 1) * 512, ids.length * 512);
      sequence.process(row);
      let best = 0;
      for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
      manual.push(best);
      sequence.push(best);
      if (best === 1 || best === 2) break;
    }
    expect(manual).toEqual(viaAdapter);
  });
});
