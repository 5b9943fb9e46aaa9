// The samplers transformers.js accepts in a generation config and ignores (its sampler applies
// top-k only), made to work in generate() by rulelm's processors.
import { random } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { generateWithExperts, logitsProcessorList } from '../../../src/adapters/transformers/index';
import { Chain } from '../../../src/index';
import { MinP } from '../../../src/processors/min-p';
import { NoRepeatNGram } from '../../../src/processors/no-repeat-ngram';
import { TopP } from '../../../src/processors/top-p';
import { generateTokens, HAS_SHARED_MODEL, loadShared } from '../../helpers/models';

const PROMPT = 'Once upon a time';
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

describe.skipIf(!HAS_SHARED_MODEL)('samplers in transformers.js generate() (stories260K)', () => {
  it('top_p 0.01 is ignored by transformers.js; rulelm TopP at 0.01 makes sampling equal greedy for 10 of 10 seeds', async () => {
    const loaded = await loadShared();
    const [greedy] = await generateTokens(loaded, PROMPT, { max_new_tokens: 24 });
    const sampled = async (withTopP: boolean): Promise<number> => {
      let equal = 0;
      for (const seed of SEEDS) {
        random.seed(seed);
        const options = { do_sample: true, top_k: 0, top_p: 0.01, max_new_tokens: 24, ...(withTopP ? { logits_processor: logitsProcessorList(new TopP({ topP: 0.01 }), { model: loaded.model, tokenizer: loaded.tokenizer }) } : {}) };
        const [tokens] = await generateTokens(loaded, PROMPT, options);
        if (JSON.stringify(tokens) === JSON.stringify(greedy)) equal++;
      }
      return equal;
    };
    const control = await sampled(false);
    const fixed = await sampled(true);
    console.log(`[samplers] equal to greedy out of 10 seeds: transformers.js top_p=0.01 alone ${control}, with rulelm TopP(0.01) ${fixed}`);
    expect(fixed).toBe(10);
    expect(control).toBeLessThan(10);
  });

  it('runs a sampler chain (MinP, NoRepeatNGram) inside generate(): no 3-gram repeats in the output', async () => {
    const loaded = await loadShared();
    random.seed(3);
    const chain = new Chain(new NoRepeatNGram({ size: 3 }), new MinP({ minP: 0.05 }));
    const inputs = loaded.tokenizer(PROMPT);
    const prompt = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    const [tokens] = await generateTokens(loaded, PROMPT, { do_sample: true, top_k: 0, max_new_tokens: 80, logits_processor: logitsProcessorList(chain, { model: loaded.model, tokenizer: loaded.tokenizer }) });
    const all = [...prompt, ...(tokens as number[])];
    const seen = new Set<string>();
    for (let i = 0; i + 3 <= all.length; i++) {
      const gram = all.slice(i, i + 3).join(',');
      expect(seen.has(gram)).toBe(false);
      seen.add(gram);
    }
    expect((tokens as number[]).length).toBeGreaterThan(10);
  });

  it('works in generateWithExperts too: sampling with TopP(0.01) equals greedy, and NoRepeatNGram holds', async () => {
    const loaded = await loadShared();
    const experts = [{ model: loaded.model, weight: 1 }];
    const greedy = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: PROMPT, experts, maxNewTokens: 24 });
    for (const seed of [0, 1, 2, 3, 4]) {
      const sampled = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: PROMPT, experts, maxNewTokens: 24, sample: true, seed, processor: new TopP({ topP: 0.01 }) });
      expect(sampled.rows[0]!.tokens).toEqual(greedy.rows[0]!.tokens);
    }
    const { rows } = await generateWithExperts({ tokenizer: loaded.tokenizer, prompts: PROMPT, experts, maxNewTokens: 60, processor: new NoRepeatNGram({ size: 2 }) });
    const tokens = rows[0]!.tokens;
    const grams = tokens.slice(1).map((t, i) => `${tokens[i]},${t}`);
    expect(new Set(grams).size).toBe(grams.length);
  });
});
