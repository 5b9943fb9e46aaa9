import type { Tensor as TensorType } from '@huggingface/transformers';
import type { ReadonlyTokenHistory } from '../../../src/index';
import type { TraceEvent } from '../../../src/adapters/transformers/index';
import type { Loaded } from '../../helpers/models';
import { LogitsProcessor, LogitsProcessorList, RepetitionPenaltyLogitsProcessor, StoppingCriteria, Tensor, TextStreamer, pipeline } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { Chain, EndOfSequenceRamp, hewitt2024, PositionBias, Processor, RepetitionPenalty, RuleLMError, TokenBias } from '../../../src/index';
import { RuleLMLogitsProcessor, logitsProcessorList } from '../../../src/adapters/transformers/index';
import { generateTokens, HAS_SHARED_MODEL, loadShared, loadTiny, untilEnd } from '../../helpers/models';
import { loadTokenizer } from '../../helpers/tokenizers';

const PROMPTS = ['Once upon a time', 'The little dog', 'Lily and her mom went to', 'One day, a big'];

const models: [string, () => Promise<Loaded>, boolean][] = [
  ['generated tiny model', loadTiny, true],
  ['shared stories260K', loadShared, HAS_SHARED_MODEL],
];

function neutral(eos: number[]): Chain {
  return new Chain(
    new TokenBias({ biases: [{ token: 5, bias: 0 }, { tokens: [5, 6], bias: 0 }] }),
    new RepetitionPenalty({ mode: 'presence', penalty: 0 }),
    new RepetitionPenalty({ mode: 'multiplicative', penalty: 1, scope: 'sequence' }),
    new EndOfSequenceRamp({ eosTokenIds: eos, maxBias: 0 }),
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

describe.each(models)('logitsProcessorList on the %s', (_name, load, present) => {
  it.skipIf(!present)('with every processor neutral, equals plain generate() token for token (greedy)', async () => {
    const loaded = await load();
    for (const prompt of PROMPTS) {
      const plain = await generateTokens(loaded, prompt, { max_new_tokens: 40 });
      const ruled = await generateTokens(loaded, prompt, { max_new_tokens: 40, logits_processor: logitsProcessorList(neutral(ends(loaded)), { model: loaded.model }) });
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
    const rules = new Chain(
      new RepetitionPenalty({ mode: 'presence', penalty: 2, scope: 'sequence' }),
      new EndOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 8, rampLength: 30 }),
      new PositionBias({ positions: [{ at: shortLength + 2, biases: [{ token: forced, bias: 100 }] }], countFrom: 'sequence' }),
    );
    const batch = await generateTokens(loaded, prompts, { max_new_tokens: 30, logits_processor: logitsProcessorList(rules, { model, tokenizer }) });
    for (const [i, prompt] of prompts.entries()) {
      const alone = await generateTokens(loaded, prompt, { max_new_tokens: 30, logits_processor: logitsProcessorList(rules, { model, tokenizer }) });
      expect(untilEnd(batch[i]!, ends(loaded))).toEqual(untilEnd(alone[0]!, ends(loaded)));
    }
    expect(batch[1]![2]).toBe(forced);
  });

  it.skipIf(!present)('streaming yields the same text as the final output', async () => {
    const loaded = await load();
    const { tokenizer, model } = loaded;
    let streamed = '';
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text: string) => (streamed += text) });
    const processor = logitsProcessorList(hewitt2024(tokenizer, { fidelity: 'clean', eosTokenIds: ends(loaded) }), { model });
    const [tokens] = await generateTokens(loaded, 'Once upon a time', { max_new_tokens: 60, streamer, logits_processor: processor });
    expect(streamed.trimEnd()).toBe(tokenizer.decode(tokens!, { skip_special_tokens: true }).trimEnd());
    expect(streamed.length).toBeGreaterThan(0);
  });

  it.skipIf(!present)('one processor reused across sequential generations equals fresh processors', async () => {
    const loaded = await load();
    const rules = hewitt2024(loaded.tokenizer, { fidelity: 'clean', eosTokenIds: ends(loaded) });
    const adapter = new RuleLMLogitsProcessor(rules, { model: loaded.model });
    const shared = new LogitsProcessorList();
    shared.push(adapter);
    const order = [PROMPTS[0]!, PROMPTS[1]!, PROMPTS[0]!];
    const reused: number[][] = [];
    for (const p of order) reused.push((await generateTokens(loaded, p, { max_new_tokens: 50, logits_processor: shared }))[0]!);
    const fresh: number[][] = [];
    for (const p of order) fresh.push((await generateTokens(loaded, p, { max_new_tokens: 50, logits_processor: logitsProcessorList(rules, { model: loaded.model }) }))[0]!);
    expect(reused).toEqual(fresh);
    expect(reused[0]).toEqual(reused[2]);
    expect(adapter.generations).toBe(3);
  });

  it.skipIf(!present)('two generations running at once with one processor do not share state', async () => {
    const loaded = await load();
    const rules = new Chain(new RepetitionPenalty({ mode: 'presence', penalty: 3 }), new EndOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 10, rampLength: 25 }));
    const shared = logitsProcessorList(rules, { model: loaded.model });
    const [a, b] = await Promise.all([
      generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: shared }),
      generateTokens(loaded, PROMPTS[2]!, { max_new_tokens: 40, logits_processor: shared }),
    ]);
    expect(a).toEqual(await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: logitsProcessorList(rules, { model: loaded.model }) }));
    expect(b).toEqual(await generateTokens(loaded, PROMPTS[2]!, { max_new_tokens: 40, logits_processor: logitsProcessorList(rules, { model: loaded.model }) }));
  });

  it.skipIf(!present)('the EOS ramp ends responses sooner', async () => {
    const loaded = await load();
    const ramp = logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 30, rampLength: 40 }), { model: loaded.model });
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
    const penalty = logitsProcessorList(new RepetitionPenalty({ mode: 'presence', penalty: 4 }), { model: loaded.model });
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
    const banned = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 60, min_new_tokens: 60, logits_processor: logitsProcessorList(new TokenBias({ biases: [{ token: common, bias: -100 }] }), { model: loaded.model }) }))[0]!;
    expect(count(base, common)).toBeGreaterThan(0);
    expect(count(banned, common)).toBe(0);
    // A token the model writes for another prompt but not for this one.
    const other = (await generateTokens(loaded, PROMPTS[1]!, { max_new_tokens: 60, min_new_tokens: 60 }))[0]!;
    const rare = other.find((t) => count(base, t) === 0)!;
    expect(rare).toBeDefined();
    const boosted = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 60, min_new_tokens: 60, logits_processor: logitsProcessorList(new TokenBias({ biases: [{ token: rare, bias: 8 }] }), { model: loaded.model }) }))[0]!;
    expect(count(boosted, rare)).toBeGreaterThan(0);
  });

  it.skipIf(!present)('works with sampling: a masked token never appears and a forced token always does', async () => {
    const loaded = await load();
    const forced = logitsProcessorList(new TokenBias({ biases: [{ token: 7, bias: 1e6 }] }), { model: loaded.model });
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
    const rules = logitsProcessorList(hewitt2024(loaded.tokenizer, { fidelity: 'clean', eosTokenIds: ends(loaded) }), { model: loaded.model });
    const [tokens] = await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 50, stopping_criteria: criteria, logits_processor: rules });
    expect(tokens!.length).toBeLessThanOrEqual(7);
  });

  it.skipIf(!present)('runs inside a text-generation pipeline', async () => {
    const loaded = await load();
    const generator = await pipeline('text-generation', loaded.dir.split('/').pop()!, { dtype: 'fp32' });
    const rules = new Chain(new EndOfSequenceRamp({ eosTokenIds: ends(loaded), maxBias: 30, rampLength: 12 }));
    const out = await generator(PROMPTS[0]!, { max_new_tokens: 40, do_sample: false, logits_processor: logitsProcessorList(rules, { model: loaded.model }) });
    const direct = (await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 40, logits_processor: logitsProcessorList(rules, { model: loaded.model }) }))[0]!;
    expect(out[0]!.generated_text).toBe(loaded.tokenizer.decode(loaded.tokenizer(PROMPTS[0]!).input_ids.tolist()[0].map(Number).concat(direct), { skip_special_tokens: true }));
    expect(direct.length).toBeLessThanOrEqual(12);
  });
});

// Copies the logits it is handed at every step: pushed last in a list, it records what the
// processors before it left.
class RowRecorder extends LogitsProcessor {
  readonly rows: Float32Array[] = [];
  override _call(_inputIds: bigint[][], logits: TensorType): TensorType {
    this.rows.push((logits.data as Float32Array).slice());
    return logits;
  }
}

describe.skipIf(!HAS_SHARED_MODEL)('RuleLMLogitsProcessor next to transformers.js\'s own processors (shared stories260K)', () => {
  const prompt = 'Once upon a time, there was a little girl';
  // stories260K ends a story with id 1, which is also its BOS, so the prompt holds it: a
  // multiplicative repetition penalty divides the end-of-story score. Pushed before the ramp, it
  // divides the model's own score and the ramp's bias is added in full; pushed after, it divides
  // the ramped score too, so the story ends later. Order is visible in the output.
  const ramp = (): EndOfSequenceRamp => new EndOfSequenceRamp({ eosTokenIds: [2, 1], maxBias: 10, rampLength: 40 });
  const penalty = 1.3;

  async function run(loaded: Loaded, list: LogitsProcessorList): Promise<{ tokens: number[]; rows: Float32Array[] }> {
    const recorder = new RowRecorder();
    list.push(recorder);
    const [tokens] = await generateTokens(loaded, prompt, { max_new_tokens: 60, logits_processor: list });
    return { tokens: tokens!, rows: recorder.rows };
  }

  it('is a transformers.js LogitsProcessor; a LogitsProcessorList holding both, in either order, equals the same processors chained in rulelm', async () => {
    const loaded = await loadShared();
    const { model, tokenizer } = loaded;
    const adapter = new RuleLMLogitsProcessor(ramp(), { model, tokenizer });
    expect(adapter).toBeInstanceOf(LogitsProcessor);
    expect(adapter).toBeInstanceOf(RuleLMLogitsProcessor);
    expect(logitsProcessorList(ramp(), { model }).processors[0]).toBeInstanceOf(RuleLMLogitsProcessor);

    const penaltyFirst = new LogitsProcessorList();
    penaltyFirst.push(new RepetitionPenaltyLogitsProcessor(penalty));
    penaltyFirst.push(new RuleLMLogitsProcessor(ramp(), { model, tokenizer }));
    const rampFirst = new LogitsProcessorList();
    rampFirst.push(new RuleLMLogitsProcessor(ramp(), { model, tokenizer }));
    rampFirst.push(new RepetitionPenaltyLogitsProcessor(penalty));
    const mixedPenaltyFirst = await run(loaded, penaltyFirst);
    const mixedRampFirst = await run(loaded, rampFirst);

    // The same two steps, both rulelm's, in a rulelm chain: multiplicative, over the whole
    // sequence (prompt included), each seen id once, as transformers.js's processor does it.
    const rulelmPenalty = (): RepetitionPenalty => new RepetitionPenalty({ mode: 'multiplicative', penalty, scope: 'sequence' });
    const chainedPenaltyFirst = await run(loaded, logitsProcessorList(new Chain(rulelmPenalty(), ramp()), { model, tokenizer }));
    const chainedRampFirst = await run(loaded, logitsProcessorList(new Chain(ramp(), rulelmPenalty()), { model, tokenizer }));

    // Every processed row is the same, score for score, and so is every token.
    expect(mixedPenaltyFirst.rows).toEqual(chainedPenaltyFirst.rows);
    expect(mixedPenaltyFirst.tokens).toEqual(chainedPenaltyFirst.tokens);
    expect(mixedRampFirst.rows).toEqual(chainedRampFirst.rows);
    expect(mixedRampFirst.tokens).toEqual(chainedRampFirst.tokens);

    // The order is the list's: penalty first ends the story with id 1 after 46 tokens; ramp
    // first has its end-of-story bonus divided and runs to the limit.
    expect(mixedPenaltyFirst.tokens).toHaveLength(46);
    expect(mixedPenaltyFirst.tokens.at(-1)).toBe(1);
    expect(mixedRampFirst.tokens).toHaveLength(60);
    expect(mixedRampFirst.tokens).not.toContain(1);
    expect(mixedRampFirst.tokens.slice(0, 45)).toEqual(mixedPenaltyFirst.tokens.slice(0, 45));
    expect(mixedRampFirst.rows[45]![1]).toBeLessThan(mixedPenaltyFirst.rows[45]![1]!);
  });

  it('the mixed list runs inside a text-generation pipeline, as in generate()', async () => {
    const loaded = await loadShared();
    const { model, tokenizer } = loaded;
    const generator = await pipeline('text-generation', loaded.dir.split('/').pop()!, { dtype: 'fp32' });
    const list = new LogitsProcessorList();
    list.push(new RepetitionPenaltyLogitsProcessor(penalty));
    list.push(new RuleLMLogitsProcessor(ramp(), { model: generator.model, tokenizer: generator.tokenizer }));
    const [out] = await generator(prompt, { max_new_tokens: 60, do_sample: false, logits_processor: list });
    const direct = new LogitsProcessorList();
    direct.push(new RepetitionPenaltyLogitsProcessor(penalty));
    direct.push(new RuleLMLogitsProcessor(ramp(), { model, tokenizer }));
    const { tokens } = await run(loaded, direct);
    expect(tokens).toHaveLength(46);
    expect(out!.generated_text).toBe(tokenizer.decode([...tokenizer.encode(prompt), ...tokens], { skip_special_tokens: true }));
  });
});

// A processor that records the history it is fed (prompt length, then the tokens).
class Probe extends Processor<null> {
  readonly kind = 'probe';
  override readonly additive = true;
  constructor(readonly seen: number[][]) {
    super();
  }
  createState(): null {
    return null;
  }
  override update(_state: null, history: ReadonlyTokenHistory): void {
    this.seen.push([history.promptLength, ...history.tokens.subarray(0, history.length)]);
  }
  process(): void {}
}

const logits = (batch: number, width: number): TensorType => new Tensor('float32', new Float32Array(batch * width), [batch, width]);

describe('RuleLMLogitsProcessor checks and trace (generated tiny model)', () => {
  it('rejects ids outside the model vocabulary before generation starts', async () => {
    const { model } = await loadTiny();
    const size = (model.config as unknown as { vocab_size: number }).vocab_size;
    expect(() => new RuleLMLogitsProcessor(new TokenBias({ biases: [{ token: size, bias: 1 }] }), { model })).toThrow(RuleLMError);
    expect(() => logitsProcessorList(new TokenBias({ biases: [{ token: size, bias: 1 }] }), { model })).toThrow(`\`biases\` holds token id ${size}, outside a vocabulary of ${size} ids`);
  });

  it('rejects an EOS ramp on an id the model does not stop on', async () => {
    const { model } = await loadTiny();
    expect(() => logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: 5 }), { model })).toThrow('`processor` ramps end-of-sequence id 5, but the model stops only on [2]');
    expect(() => new RuleLMLogitsProcessor(new Chain(new TokenBias({ biases: [{ token: 3, bias: 1 }] }), new Chain(new EndOfSequenceRamp({ eosTokenIds: 5 }))), { model })).toThrow('`processor` ramps end-of-sequence id 5');
  });

  it('rejects bad options', () => {
    expect(() => logitsProcessorList({} as never)).toThrow('`processor` must be a rulelm processor');
    expect(() => new RuleLMLogitsProcessor({ kind: 'x', process: () => {} } as never)).toThrow('`processor` must be a rulelm processor');
    expect(() => logitsProcessorList(new Chain(), { vocabsize: 3 } as never)).toThrow('unknown option "vocabsize"');
    expect(() => logitsProcessorList(new Chain(), { trace: 3 } as never)).toThrow('`trace` must be a function, but is 3');
  });

  it('throws when input_ids stop extending what it saw', () => {
    const adapter = new RuleLMLogitsProcessor(new TokenBias({ biases: [{ token: 1, bias: 1 }] }), { vocabSize: 4 });
    const ids = [[1n, 2n]];
    const scores = logits(1, 4);
    expect(adapter(ids, scores)).toBe(scores);
    expect(Array.from(scores.data as Float32Array)).toEqual([0, 1, 0, 0]);
    ids[0]![1] = 3n;
    expect(() => adapter(ids, scores)).toThrow('`input_ids` row 0 no longer extends the tokens seen at the previous step');
    expect(() => adapter([[1n]], logits(1, 5))).toThrow('`logits` has 5 scores per row, but the model\'s vocabulary has 4');
  });

  it('strips left padding from the prompt; with padding that shares the BOS id, every row keeps the BOS tokens its unpadded rows start with', () => {
    const seen: number[][] = [];
    const probe = new Probe(seen);
    const adapter = new RuleLMLogitsProcessor(probe, { padTokenId: 0 });
    adapter([[0n, 0n, 5n, 6n], [4n, 5n, 6n, 7n]], logits(2, 8));
    expect(seen).toEqual([[2, 5, 6], [4, 4, 5, 6, 7]]);
    // pad == BOS == 1, prompts written with one BOS: the padded row keeps one, like the unpadded row.
    seen.length = 0;
    const sharing = new RuleLMLogitsProcessor(probe, { model: { config: { pad_token_id: 1, bos_token_id: 1 } } });
    sharing([[1n, 1n, 1n, 5n], [1n, 4n, 5n, 6n]], logits(2, 8));
    expect(seen).toEqual([[2, 1, 5], [4, 1, 4, 5, 6]]);
    // A row alone is not padded: it keeps everything.
    seen.length = 0;
    sharing([[1n, 5n]], logits(1, 8));
    expect(seen).toEqual([[2, 1, 5]]);
    // pad == BOS, but the prompts carry no BOS (Qwen base configs: bos = pad = <|endoftext|>, no BOS added):
    // the padded row keeps none, as alone (before: it kept one pad as a "BOS" on padded rows only).
    seen.length = 0;
    const qwenLike = new RuleLMLogitsProcessor(probe, { model: { config: { pad_token_id: 3, bos_token_id: 3 } }, tokenizer: { pad_token_id: 3, bos_token_id: null } });
    qwenLike([[3n, 3n, 5n, 6n], [4n, 5n, 6n, 7n]], logits(2, 8));
    expect(seen).toEqual([[2, 5, 6], [4, 4, 5, 6, 7]]);
    // The tokenizer's pad id (what transformers.js pads with) and the model's both count.
    seen.length = 0;
    const both = new RuleLMLogitsProcessor(probe, { model: { config: { pad_token_id: 0, bos_token_id: 1 } }, tokenizer: { pad_token_id: 2 } });
    both([[2n, 2n, 1n, 5n], [0n, 1n, 6n, 7n]], logits(2, 8));
    expect(seen).toEqual([[2, 1, 5], [3, 1, 6, 7]]);
  });

  it('rows given as number[] are read like bigint[] rows, padding included', () => {
    const seen: number[][] = [];
    const adapter = new RuleLMLogitsProcessor(new Probe(seen), { padTokenId: 0 });
    adapter([[0, 0, 5, 6], [4, 5, 6, 7]] as never, logits(2, 8));
    expect(seen).toEqual([[2, 5, 6], [4, 4, 5, 6, 7]]);
    expect(() => adapter([[0, 9]] as never, logits(1, 8))).toThrow('`input_ids[0][1]` must be a token id from 0 to 7, but is 9');
    expect(() => adapter(['x'] as never, logits(1, 8))).toThrow('`input_ids[0]` must be an array of token ids (bigint or number), but is "x"');
  });

  it('names the dtype of float16 and float64 logits', () => {
    const adapter = new RuleLMLogitsProcessor(new Chain(), { vocabSize: 4 });
    expect(() => adapter([[1n]], new Tensor('float64', new Float64Array(4), [1, 4]))).toThrow(
      '`logits` must hold float32 scores, but its dtype is float64 (dims [1, 4] are fine); convert it to float32 before this processor, or load the model with a float32 output',
    );
    expect(() => adapter([[1n]], new Tensor('float16', new Uint16Array(4), [1, 4]))).toThrow('`logits` must hold float32 scores, but its dtype is float16 (dims [1, 4] are fine)');
    expect(() => adapter([[1n]], new Tensor('float32', new Float32Array(4), [4]))).toThrow('`logits` must be a [batch, vocab] tensor, but is [4]');
  });

  it('a hand-written loop passing a new input_ids array each step continues its generation (the EOS ramp rises)', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 });
    const adapter = new RuleLMLogitsProcessor(ramp, { vocabSize: 4 });
    let ids = [[1n, 3n]];
    const eos: number[] = [];
    for (let step = 0; step < 4; step++) {
      const scores = logits(1, 4);
      adapter(ids.map((row) => [...row]), scores); // a fresh array per step, as tensor.tolist() gives
      eos.push((scores.data as Float32Array)[2]!);
      ids = [[...ids[0]!, 3n]];
    }
    expect(eos).toEqual([0, 0.1, 0.2, 0.3].map(Math.fround));
    expect(adapter.generations).toBe(1);
  });

  it('a new generate() call whose prompt is the previous output starts a new generation (transformers.js grows its own array after the last step)', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 });
    const adapter = new RuleLMLogitsProcessor(ramp, { vocabSize: 4 });
    const first = [[1n, 3n]];
    adapter(first, logits(1, 4));
    first[0]!.push(3n); // what generate() does after its last step
    // The next call's prompt is that output: a new array holding the same ids, one token past what
    // the adapter saw, as a hand-written loop's next step would be but for the grown old array.
    const scores = logits(1, 4);
    adapter([[...first[0]!]], scores);
    expect((scores.data as Float32Array)[2]).toBe(0); // the ramp starts again (it would give 0.1 at step 1)
    expect(adapter.generations).toBe(2);
  });

  it('a new array one token longer whose rows do not extend a recent generation\'s starts a new generation', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 });
    const adapter = new RuleLMLogitsProcessor(ramp, { vocabSize: 4 });
    adapter([[1n, 3n]], logits(1, 4));
    // Same last seen id (3) and one token longer, but another first id: an unrelated prompt.
    const scores = logits(1, 4);
    adapter([[2n, 3n, 3n]], scores);
    expect((scores.data as Float32Array)[2]).toBe(0);
    expect(adapter.generations).toBe(2);
  });

  it('an array that grew by more than one token between steps is an error that says what to do', () => {
    const adapter = new RuleLMLogitsProcessor(new EndOfSequenceRamp({ eosTokenIds: 2 }), { vocabSize: 4 });
    const ids = [[1n, 3n]];
    adapter(ids, logits(1, 4));
    ids[0]!.push(3n, 1n, 3n);
    expect(() => adapter(ids, logits(1, 4))).toThrow(
      '`input_ids` row 0 grew by 3 tokens since the previous step, but a generation adds one per step; to add a turn (or any text) after a response, start a new generation with a new input_ids array (a new generate() call), whose prompt is everything so far',
    );
  });

  it('an EOS ramp that misses some of the model\'s EOS ids is an error unless partialEndOfSequence is set', () => {
    const model = { config: { vocab_size: 8 }, generation_config: { eos_token_id: [2, 1] } };
    expect(() => logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: 2 }), { model })).toThrow(
      '`processor` ramps end-of-sequence [2], but the model also stops on [1], which the ramp never raises; build the preset with `hewitt2024ForModel(model, tokenizer)` or pass `eosTokenIds: [2,1]`, or pass `partialEndOfSequence: true` to accept it',
    );
    expect(logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: 2 }), { model, partialEndOfSequence: true }).processors).toHaveLength(1);
    expect(logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: [1, 2] }), { model }).processors).toHaveLength(1);
    expect(() => logitsProcessorList(new EndOfSequenceRamp({ eosTokenIds: 5 }), { model, partialEndOfSequence: true })).toThrow('`processor` ramps end-of-sequence id 5, but the model stops only on [2,1]');
    expect(() => logitsProcessorList(new Chain(), { model, partialEndOfSequence: 'yes' } as never)).toThrow('`partialEndOfSequence` must be');
  });

  it('a tokenizer passed as the model is an error', () => {
    const tokenizer = loadTokenizer('llama2');
    expect(() => logitsProcessorList(new Chain(), { model: tokenizer as never })).toThrow(
      '`model` is a tokenizer (it has encode() and get_vocab()), not a model; pass the model as `model` and the tokenizer as `tokenizer`',
    );
  });

  it('traces every member per generation, row and step, with exact changes', () => {
    const events: TraceEvent[] = [];
    const rules = new Chain(new TokenBias({ biases: [{ token: 7, bias: 2 }] }), new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 }));
    const adapter = new RuleLMLogitsProcessor(rules, { vocabSize: 8, trace: (e) => events.push(e) });
    // Generation 0: two rows, two steps (a token appended to each row in between).
    const ids = [[1n, 3n], [1n, 4n]];
    adapter(ids, logits(2, 8));
    ids[0]!.push(5n);
    ids[1]!.push(6n);
    adapter(ids, logits(2, 8));
    // Generation 1: a new input_ids array, one row.
    adapter([[1n]], logits(1, 8));
    const bias = { processorIndex: 0, kind: 'token-bias', changes: [{ token: 7, delta: 2 }] };
    const ramp = (changes: { token: number; delta: number }[]): object => ({ processorIndex: 1, kind: 'end-of-sequence-ramp', changes });
    expect(events).toEqual([
      { generation: 0, batchIndex: 0, step: 0, ...bias },
      { generation: 0, batchIndex: 0, step: 0, ...ramp([]) },
      { generation: 0, batchIndex: 1, step: 0, ...bias },
      { generation: 0, batchIndex: 1, step: 0, ...ramp([]) },
      { generation: 0, batchIndex: 0, step: 1, ...bias },
      { generation: 0, batchIndex: 0, step: 1, ...ramp([{ token: 2, delta: Math.fround(0.1) }]) },
      { generation: 0, batchIndex: 1, step: 1, ...bias },
      { generation: 0, batchIndex: 1, step: 1, ...ramp([{ token: 2, delta: Math.fround(0.1) }]) },
      { generation: 1, batchIndex: 0, step: 0, ...bias },
      { generation: 1, batchIndex: 0, step: 0, ...ramp([]) },
    ]);
    expect(adapter.generations).toBe(2);
  });

  it('a processor that is not a chain traces as member 0', () => {
    const events: TraceEvent[] = [];
    const adapter = new RuleLMLogitsProcessor(new TokenBias({ biases: [{ token: 3, bias: -1.5 }] }), { vocabSize: 4, trace: (e) => events.push(e) });
    adapter([[0n]], logits(1, 4));
    expect(events).toEqual([{ generation: 0, batchIndex: 0, step: 0, processorIndex: 0, kind: 'token-bias', changes: [{ token: 3, delta: -1.5 }] }]);
  });

  it('traces each processor\'s changes per step and row in generate()', async () => {
    const loaded = await loadTiny();
    const events: TraceEvent[] = [];
    const rules = new Chain(new TokenBias({ biases: [{ token: 7, bias: 2 }] }), new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1, rampLength: 10 }));
    const processor = logitsProcessorList(rules, { model: loaded.model, trace: (e) => events.push(e) });
    const [tokens] = await generateTokens(loaded, PROMPTS[0]!, { max_new_tokens: 5, logits_processor: processor });
    expect(tokens).toHaveLength(5);
    expect(events.map((e) => [e.generation, e.batchIndex, e.step, e.processorIndex, e.kind])).toEqual(
      [0, 1, 2, 3, 4].flatMap((step) => [
        [0, 0, step, 0, 'token-bias'],
        [0, 0, step, 1, 'end-of-sequence-ramp'],
      ]),
    );
    const bias = events.filter((e) => e.kind === 'token-bias');
    for (const e of bias) expect(e.changes).toEqual([{ token: 7, delta: expect.closeTo(2, 5) }]);
    const ramp = events.filter((e) => e.kind === 'end-of-sequence-ramp');
    expect(ramp[0]!.changes).toEqual([]);
    expect(ramp[3]!.changes).toEqual([{ token: 2, delta: expect.closeTo(0.3, 5) }]);
  });
});
