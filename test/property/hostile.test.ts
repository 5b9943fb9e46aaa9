// Hostile and odd input: each gets a clear error or documented, tested behavior.
import { describe, expect, it } from 'vitest';
import type { Processor } from '../../src/index';
import { Chain, EndOfSequenceRamp, hewitt2024, ProductOfExperts, RepetitionPenalty, RuleLMError, startSequence, TokenBias } from '../../src/index';
import { logitsProcessorList } from '../../src/adapters/transformers/index';
import { loadTokenizer } from '../helpers/tokenizers';

const V = 8;
const everything = (): Processor =>
  new Chain(
    new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 4, rampLength: 4 }),
    new RepetitionPenalty({ mode: 'presence', penalty: 1 }),
    new RepetitionPenalty({ mode: 'multiplicative', penalty: 2, scope: 'sequence' }),
    new TokenBias({ biases: [{ token: 5, bias: 1 }] }),
    new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 6, bias: 2 }] }), weight: 1 }] }),
  );

describe('NaN and Infinity coming from a model', () => {
  it('a NaN score stays NaN and never spreads to other tokens, in every processor', () => {
    const sequence = startSequence(everything(), { prompt: [1, 5, 2], vocabSize: V });
    sequence.push(5);
    const row = Float32Array.from([0.5, -1, NaN, 2, 0, 1, -3, 4]);
    sequence.process(row);
    expect(Number.isNaN(row[2])).toBe(true);
    row.forEach((x, j) => {
      if (j !== 2) expect(Number.isFinite(x)).toBe(true);
    });
  });

  it('+Infinity in the exact product of experts takes all the mass: 0 there, -Infinity elsewhere', () => {
    const poe = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: 3 }] }), weight: 1 }] });
    const row = Float32Array.from([1, Infinity, 0, -Infinity]);
    startSequence(poe, { prompt: [], vocabSize: 4 }).process(row);
    const lse = Math.log(3 + Math.exp(3));
    expect(Array.from(row)).toEqual([-Infinity, Math.fround(0 + (3 - lse)), -Infinity, -Infinity]);
  });

  it('additive processors leave +Infinity and -Infinity as they are', () => {
    const row = Float32Array.from([Infinity, -Infinity, 0, 0, 0, 0, 0, 0]);
    startSequence(new TokenBias({ biases: [{ token: 0, bias: -5 }, { token: 1, bias: 5 }] }), { prompt: [], vocabSize: V }).process(row);
    expect(row[0]).toBe(Infinity);
    expect(row[1]).toBe(-Infinity);
  });
});

describe('odd prompts, windows and markers', () => {
  it('an empty prompt works: nothing to count, t starts at 0', () => {
    const sequence = startSequence(everything(), { prompt: [], vocabSize: V });
    const row = new Float32Array(V);
    sequence.process(row);
    expect(Array.from(row).every(Number.isFinite)).toBe(true);
    expect(sequence.history.length).toBe(0);
  });

  it('a prompt longer than the window counts only the window', () => {
    const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: 'sequence', window: 3 });
    const row = new Float32Array(V);
    startSequence(p, { prompt: [1, 1, 1, 1, 1, 2, 3, 3], vocabSize: V }).process(row);
    expect(Array.from(row)).toEqual([0, 0, -1, -2, 0, 0, 0, 0]);
  });

  it('markers that never appear fall back as documented (the preset on a prompt without tags)', () => {
    const tokenizer = loadTokenizer('llama2');
    const preset = hewitt2024(tokenizer);
    const prompt = tokenizer.encode('No tags here at all.');
    const sequence = startSequence(preset, { prompt, vocabSize: 32000 });
    sequence.push(100);
    const row = new Float32Array(32000);
    sequence.process(row);
    expect(row[2]).toBeCloseTo(0.06, 6); // t counts from the response start
    expect(row[prompt[2]!]).toBe(-1.5); // diversity from the sequence start
  });
});

describe('ids and sizes that do not fit', () => {
  it('vocabulary sizes that do not match are errors', () => {
    const sequence = startSequence(everything(), { prompt: [1], vocabSize: V });
    expect(() => sequence.process(new Float32Array(V + 1))).toThrow('`row` must be a Float32Array of length 8 (the vocabulary size), but is a Float32Array of length 9');
    expect(() => startSequence(new TokenBias({ biases: [{ token: 9, bias: 1 }] }), { prompt: [], vocabSize: V })).toThrow('`biases` holds token id 9, outside a vocabulary of 8 ids (0 to 7)');
    const call = logitsProcessorList(everything(), { vocabSize: V }).processors[0] as (ids: bigint[][], logits: unknown) => unknown;
    expect(() => call([[1n]], { dims: [1, V + 2], data: new Float32Array(V + 2) })).toThrow("`logits` has 10 scores per row, but the model's vocabulary has 8");
    expect(() => call([[1n], [2n]], { dims: [1, V], data: new Float32Array(V) })).toThrow('`input_ids` has 2 row(s), but the logits have 1 (their batch size)');
  });

  it('bigint ids outside the vocabulary are errors naming input_ids', () => {
    const call = logitsProcessorList(everything(), { vocabSize: V }).processors[0] as (ids: bigint[][], logits: unknown) => unknown;
    expect(() => call([[1n, 99n]], { dims: [1, V], data: new Float32Array(V) })).toThrow(RuleLMError);
    expect(() => call([[1n, 99n]], { dims: [1, V], data: new Float32Array(V) })).toThrow('`input_ids[0][1]` must be a token id from 0 to 7, but is 99');
    const ids = [[1n]];
    call(ids, { dims: [1, V], data: new Float32Array(V) });
    ids[0]!.push(-4n);
    expect(() => call(ids, { dims: [1, V], data: new Float32Array(V) })).toThrow('`input_ids[0][1]` must be a token id from 0 to 7, but is -4');
  });
});

describe('long generations', () => {
  it('100,000 steps of the paper\'s preset keep memory bounded: fixed-size state, history grown by doubling only', () => {
    const tokenizer = loadTokenizer('llama2');
    const preset = hewitt2024(tokenizer);
    const prompt = tokenizer.encode('<|user|>\nWrite a long story.\n<|assistant|>\n');
    const sequence = startSequence(preset, { prompt, vocabSize: 32000 });
    const row = new Float32Array(32000);
    const states = (sequence as unknown as { history: { tokens: Int32Array } }).history;
    let seed = 1;
    const before = process.memoryUsage().heapUsed;
    for (let step = 0; step < 100_000; step++) {
      sequence.process(row);
      seed = (seed * 1103515245 + 12345) >>> 0;
      sequence.push(3 + (seed % 2000));
    }
    const grown = process.memoryUsage().heapUsed - before;
    expect(sequence.history.length).toBe(prompt.length + 100_000);
    expect(states.tokens.length).toBeLessThanOrEqual(2 * (prompt.length + 100_000) + 128);
    expect(grown).toBeLessThan(32 * 1024 * 1024); // the token buffer is 0.4-0.8 MB; nothing grows per step
    // Diversity saw at most the 2000 distinct ids plus the prompt's: all -1.5, no other token touched.
    const touched = Array.from(row).filter((x) => x !== 0).length;
    expect(touched).toBeLessThanOrEqual(2000 + prompt.length + 15);
  });
});
