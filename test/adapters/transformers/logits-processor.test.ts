import type { Loaded } from '../../helpers/models';
import { StoppingCriteria, TextStreamer, pipeline } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { chain, endOfSequenceRamp, hewitt2024, positionBias, repetitionPenalty, RuleLMError, tokenBias } from '../../../src/index';
import { logitsProcessor } from '../../../src/adapters/transformers/index';
import { generateTokens, HAS_SHARED_MODEL, loadShared, loadTiny, untilEnd } from '../../helpers/models';

const PROMPTS = ['Once upon a time', 'The little dog', 'Lily and her mom went to', 'One day, a big'];

const models: [string, () => Promise<Loaded>, boolean][] = [
  ['generated tiny model', loadTiny, true],
  ['shared stories260K', loadShared, HAS_SHARED_MODEL],
];

function neutral(eos: number): ReturnType<typeof chain> {
  return chain(
    tokenBias({ biases: [{ token: 5, bias: 0 }, { tokens: [5, 6], bias: 0 }] }),
    repetitionPenalty({ mode: 'presence', penalty: 0 }),
    repetitionPenalty({ mode: 'multiplicative', penalty: 1, scope: 'sequence' }),
    endOfSequenceRamp({ eosTokenIds: eos, maxBias: 0 }),
  );
}

function repeatedRate(responses: number[][]): number {
  let repeated = 0;
  let total = 0;
  for (const r of responses) {
    repeated += r.length - new Set(r).size;
    total += r.length;
  }
  return repeated / total;
}

function ends(loaded: Loaded): number[] {
  const eos = loaded.model.generation_config?.eos_token_id;
  return typeof eos === 'number' ? [eos] : [...(eos ?? [])];
}

describe.each(models)('logitsProcessor on the %s', (_name, load, present) => {
  it.skipIf(!present)('with every processor neutral, equals plain generate() token for token (greedy)', async () => {
    const loaded = await load();
    for (const prompt of PROMPTS) {
      const plain = await generateTokens(loaded, prompt, { max_new_tokens: 40 });
      const ruled = await generateTokens(loaded, prompt, { max_new_tokens: 40, logits_processor: logitsProcessor(neutral(2), { model: loaded.model }) });
      expect(ruled).toEqual(plain);
      expect(plain[0]!.length).toBeGreaterThan(0);
    }
  });

  it.skipIf(!present)('a left-padded batch gives each row the tokens of that prompt alone', async () => {
    const loaded = await load();
    const { tokenizer, model } = loaded;
    tokenizer.padding_side = 'left'; // transformers.js pads with the tokenizer's pad id (stories260K: its EOS, 2)
    const prompts = ['Once upon a time there was a girl', 'The dog'];
    // A bias at an absolute position (counted from the sequence start): if the padding were not
    // stripped, the short row would see it at another step than when generated alone.
    const shortLength = tokenizer(prompts[1]!).input_ids.dims[1] as number;
    const forced = 7;
    const rules = chain(
      repetitionPenalty({ mode: 'presence', penalty: 2, scope: 'sequence' }),
      endOfSequenceRamp({ eosTokenIds: 2, maxBias: 8, rampLength: 30 }),
      positionBias({ positions: [{ at: shortLength + 2, biases: [{ token: forced, bias: 100 }] }], countFrom: 'sequence' }),
    );
    const batch = await generateTokens(loaded, prompts, { max_new_tokens: 30, logits_processor: logitsProcessor(rules, { model, tokenizer }) });
    for (const [i, prompt] of prompts.entries()) {
      const alone = await generateTokens(loaded, prompt, { max_new_tokens: 30, logits_processor: logitsProcessor(rules, { model, tokenizer }) });
      expect(untilEnd(batch[i]!, ends(loaded))).toEqual(untilEnd(alone[0]!, ends(loaded)));
    }
    expect(batch[1]![2]).toBe(forced);
  });

  it.skipIf(!present)('streaming yields the same text as the final output', async () => {
    const loaded = await load();
    const { tokenizer, model } = loaded;
    let streamed = '';
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text: string) => (streamed += text) });
    const processor = logitsProcessor(hewitt2024(tokenizer, { fidelity: 'clean', eosTokenIds: 2 }), { model });
    const [tokens] = await generateTokens(loaded, 'Once upon a time', { max_new_tokens: 60, streamer, logits_processor: processor });
    expect(streamed.trimEnd()).toBe(tokenizer.decode(tokens!, { skip_special_tokens: true }).trimEnd());
    expect(streamed.length).toBeGreaterThan(0);
  });

  it.skipIf(!present)('one processor reused across sequential generations equals fresh processors', async () => {
    const loaded = await load();
    const rules = hewitt2024(loaded.tokenizer, { fidelity: 'clean', eosTokenIds: 2 });
    const shared = logitsProcessor(rules, { model: loaded.model });
    const order = [PROMPTS[0]!, PROMPTS[1]!, PROMPTS[0]!];
    const reused: number[][] = [];
    for (const p of order) reused.push((await generateTokens(loaded, p, { max_new_tokens: 50, logits_processor: shared }))[0]!);
    const fresh: number[][] = [];
    for (const p of order) fresh.push((await generateTokens(loaded, p, { max_new_tokens: 50, logits_processor: logitsProcessor(rules, { model: loaded.model }) }))[0]!);
    expect(reused).toEqual(fresh);
    expect(reused[0]).toEqual(reused[2]);
    expect(shared.generations).toBe(3);
  });

  it.skipIf(!present)('two generations running at once with one processor do not share state', async () => {
    const loaded = await load();
    const rules = chain(repetitionPenalty({ mode: 'presence', penalty: 3 }), endOfSequenceRamp({ eosTokenIds: 2, maxBias: 10, rampLength: 25 }));
    const shared = logitsProcessor(rules, { model: loaded.model });
    const [a, b] = await Promise.all([
      generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: shared }),
      generateTokens(loaded, PROMPTS[2]!, { max_new_tokens: 40, logits_processor: shared }),
    ]);
    expect(a).toEqual(await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: logitsProcessor(rules, { model: loaded.model }) }));
    expect(b).toEqual(await generateTokens(loaded, PROMPTS[2]!, { max_new_tokens: 40, logits_processor: logitsProcessor(rules, { model: loaded.model }) }));
  });

  it.skipIf(!present)('the EOS ramp ends responses sooner', async () => {
    const loaded = await load();
    const ramp = logitsProcessor(endOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 30, rampLength: 40 }), { model: loaded.model });
    const base: number[] = [];
    const ramped: number[] = [];
    for (const p of PROMPTS) {
      base.push(untilEnd((await generateTokens(loaded, p, { max_new_tokens: 120 }))[0]!, ends(loaded)).length);
      const r = (await generateTokens(loaded, p, { max_new_tokens: 120, logits_processor: ramp }))[0]!;
      expect(ends(loaded)).toContain(r[r.length - 1]);
      ramped.push(r.length);
    }
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.max(...ramped)).toBeLessThanOrEqual(40);
    expect(mean(ramped)).toBeLessThan(mean(base));
  });

  it.skipIf(!present)('the presence penalty lowers the rate of repeated tokens', async () => {
    const loaded = await load();
    const penalty = logitsProcessor(repetitionPenalty({ mode: 'presence', penalty: 4 }), { model: loaded.model });
    const base: number[][] = [];
    const penalized: number[][] = [];
    for (const p of PROMPTS) {
      base.push((await generateTokens(loaded, p, { max_new_tokens: 60, min_new_tokens: 60 }))[0]!);
      penalized.push((await generateTokens(loaded, p, { max_new_tokens: 60, min_new_tokens: 60, logits_processor: penalty }))[0]!);
    }
    expect(repeatedRate(penalized)).toBeLessThan(repeatedRate(base));
  });

  it.skipIf(!present)('a token bias changes how often the biased token appears', async () => {
    const loaded = await load();
    const base = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 60, min_new_tokens: 60 }))[0]!;
    const common = [...base].sort((x, y) => base.filter((t) => t === y).length - base.filter((t) => t === x).length)[0]!;
    const count = (xs: number[], t: number): number => xs.filter((x) => x === t).length;
    const banned = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 60, min_new_tokens: 60, logits_processor: logitsProcessor(tokenBias({ biases: [{ token: common, bias: -100 }] }), { model: loaded.model }) }))[0]!;
    expect(count(base, common)).toBeGreaterThan(0);
    expect(count(banned, common)).toBe(0);
    // A token the model writes for another prompt but not for this one.
    const other = (await generateTokens(loaded, PROMPTS[1]!, { max_new_tokens: 60, min_new_tokens: 60 }))[0]!;
    const rare = other.find((t) => count(base, t) === 0)!;
    expect(rare).toBeDefined();
    const boosted = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 60, min_new_tokens: 60, logits_processor: logitsProcessor(tokenBias({ biases: [{ token: rare, bias: 8 }] }), { model: loaded.model }) }))[0]!;
    expect(count(boosted, rare)).toBeGreaterThan(0);
  });

  it.skipIf(!present)('works with sampling: a masked token never appears and a forced token always does', async () => {
    const loaded = await load();
    const forced = logitsProcessor(tokenBias({ biases: [{ token: 7, bias: 1e6 }] }), { model: loaded.model });
    const sampled = await generateTokens(loaded, PROMPTS[1]!, { do_sample: true, temperature: 0.7, top_k: 0, max_new_tokens: 20, logits_processor: forced });
    expect(sampled[0]).toEqual(new Array(20).fill(7));
  });

  it.skipIf(!present)('stops with custom stopping criteria and max_new_tokens', async () => {
    const loaded = await load();
    class StopAfter extends StoppingCriteria {
      readonly total: number;
      constructor(total: number) {
        super();
        this.total = total;
      }
      override _call(inputIds: number[][]): boolean[] {
        return inputIds.map((row) => row.length >= this.total);
      }
    }
    const width = loaded.tokenizer(PROMPTS[0]!).input_ids.dims[1] as number;
    const criteria = [new StopAfter(width + 7)];
    const rules = logitsProcessor(hewitt2024(loaded.tokenizer, { fidelity: 'clean', eosTokenIds: 2 }), { model: loaded.model });
    const [tokens] = await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 50, stopping_criteria: criteria, logits_processor: rules });
    expect(tokens!.length).toBeLessThanOrEqual(7);
  });

  it.skipIf(!present)('runs inside a text-generation pipeline', async () => {
    const loaded = await load();
    const generator = await pipeline('text-generation', loaded.dir.split('/').pop()!, { dtype: 'fp32' });
    const rules = chain(endOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 30, rampLength: 12 }));
    const out = (await generator(PROMPTS[0]!, { max_new_tokens: 40, do_sample: false, logits_processor: logitsProcessor(rules, { model: loaded.model }) } as never)) as { generated_text: string }[];
    const direct = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: logitsProcessor(rules, { model: loaded.model }) }))[0]!;
    expect(out[0]!.generated_text).toBe(loaded.tokenizer.decode(loaded.tokenizer(PROMPTS[0]!).input_ids.tolist()[0].map(Number).concat(direct), { skip_special_tokens: true }));
    expect(direct.length).toBeLessThanOrEqual(12);
  });
});

describe('logitsProcessor checks and trace (generated tiny model)', () => {
  it('rejects ids outside the model vocabulary before generation starts', async () => {
    const { model } = await loadTiny();
    const size = (model.config as unknown as { vocab_size: number }).vocab_size;
    expect(() => logitsProcessor(tokenBias({ biases: [{ token: size, bias: 1 }] }), { model })).toThrow(RuleLMError);
    expect(() => logitsProcessor(tokenBias({ biases: [{ token: size, bias: 1 }] }), { model })).toThrow(`\`biases\` holds token id ${size}, outside a vocabulary of ${size} ids`);
  });

  it('rejects an EOS ramp on an id the model does not stop on', async () => {
    const { model } = await loadTiny();
    expect(() => logitsProcessor(endOfSequenceRamp({ eosTokenIds: 5 }), { model })).toThrow('`processor` ramps end-of-sequence id 5, but the model stops only on [2]');
  });

  it('rejects bad options', () => {
    expect(() => logitsProcessor({} as never)).toThrow('`processor` must be a rulelm processor');
    expect(() => logitsProcessor(chain(), { vocabsize: 3 } as never)).toThrow('unknown option "vocabsize"');
    expect(() => logitsProcessor(chain(), { trace: 3 } as never)).toThrow('`trace` must be a function, but is 3');
  });

  it('throws when input_ids stop extending what it saw', async () => {
    const processor = logitsProcessor(tokenBias({ biases: [{ token: 1, bias: 1 }] }), { vocabSize: 4 });
    const ids = [[1n, 2n]];
    const logits = { dims: [1, 4], data: new Float32Array(4) };
    const call = processor.processors[0] as (i: bigint[][], l: unknown) => unknown;
    call(ids, logits);
    expect(Array.from(logits.data)).toEqual([0, 1, 0, 0]);
    ids[0]![1] = 3n;
    expect(() => call(ids, logits)).toThrow('`input_ids` row 0 no longer extends the tokens seen at the previous step');
    expect(() => call([[1n]], { dims: [1, 5], data: new Float32Array(5) })).toThrow('`logits` has 5 scores per row, but the model\'s vocabulary has 4');
  });

  it('strips left padding from the prompt, keeping a BOS that shares the padding id', () => {
    const seen: number[][] = [];
    const probe = {
      kind: 'probe',
      additive: true,
      createState: () => null,
      update: (_s: null, h: { tokens: Int32Array; length: number; promptLength: number }) => seen.push([h.promptLength, ...h.tokens.subarray(0, h.length)]),
      process: () => {},
    };
    const call = logitsProcessor(probe, { padTokenId: 0 }).processors[0] as (i: bigint[][], l: unknown) => unknown;
    call([[0n, 0n, 5n, 6n], [4n, 5n, 6n, 7n]], { dims: [2, 8], data: new Float32Array(16) });
    expect(seen).toEqual([[2, 5, 6], [4, 4, 5, 6, 7]]);
    seen.length = 0;
    const sharing = logitsProcessor(probe, { model: { config: { pad_token_id: 1, bos_token_id: 1 } } }).processors[0] as (i: bigint[][], l: unknown) => unknown;
    sharing([[1n, 1n, 1n, 5n]], { dims: [1, 8], data: new Float32Array(8) });
    expect(seen).toEqual([[2, 1, 5]]);
    // The tokenizer's pad id (what transformers.js pads with) and the model's both count.
    seen.length = 0;
    const both = logitsProcessor(probe, { model: { config: { pad_token_id: 0, bos_token_id: 1 } }, tokenizer: { pad_token_id: 2 } }).processors[0] as (i: bigint[][], l: unknown) => unknown;
    both([[2n, 2n, 1n, 5n], [0n, 1n, 6n, 7n]], { dims: [2, 8], data: new Float32Array(16) });
    expect(seen).toEqual([[2, 1, 5], [3, 1, 6, 7]]);
  });

  it('traces each processor\'s changes per step and row', async () => {
    const loaded = await loadTiny();
    const events: { step: number; kind: string; changes: readonly { token: number; delta: number }[] }[] = [];
    const rules = chain(tokenBias({ biases: [{ token: 7, bias: 2 }] }), endOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 }));
    const processor = logitsProcessor(rules, { model: loaded.model, trace: (e) => events.push(e) });
    const [tokens] = await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 5, logits_processor: processor });
    expect(tokens).toHaveLength(5);
    const bias = events.filter((e) => e.kind === 'token-bias');
    expect(bias.map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
    for (const e of bias) expect(e.changes).toEqual([{ token: 7, delta: expect.closeTo(2, 5) }]);
    const ramp = events.filter((e) => e.kind === 'end-of-sequence-ramp');
    expect(ramp[0]!.changes).toEqual([]);
    expect(ramp[3]!.changes).toEqual([{ token: 2, delta: expect.closeTo(0.3, 5) }]);
  });
});
