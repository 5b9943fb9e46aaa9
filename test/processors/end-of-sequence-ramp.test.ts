import { describe, expect, it } from 'vitest';
import { EndOfSequenceRamp, startSequence, TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run, step } from '../helpers/rows';

const V = 8;
const EOS = 7;
const zeros = (): Float32Array => new Float32Array(V);
/** A row of zeros with `value` at the EOS id. */
const eosRow = (value: number, base: Float32Array = zeros()): Float32Array => {
  const r = base.slice();
  r[EOS] = value;
  return r;
};

describe('endOfSequenceRamp', () => {
  describe('linear', () => {
    it("defaults to the paper's constants: 15 over 250 tokens, then holds", () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS });
      expect(ramp.kind).toBe('end-of-sequence-ramp');
      expect(ramp.additive).toBe(true);
      expect(ramp.eosTokenIds).toEqual([EOS]);
      expect(ramp.shape).toBe('linear');
      expect([0, 1, 125, 249, 250, 1025].map((t) => ramp.biasAt(t))).toEqual([0, 0.06, 7.5, 14.94, 15, 15]);
    });

    it('afterRamp "zero" drops the bias to 0 from t = rampLength (the reference code)', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, afterRamp: 'zero' });
      expect([0, 1, 125, 249, 250, 1025].map((t) => ramp.biasAt(t))).toEqual([0, 0.06, 7.5, 14.94, 0, 0]);
    });

    it('uses maxBias and rampLength', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: -6, rampLength: 3 });
      expect([0, 1, 2, 3, 4].map((t) => ramp.biasAt(t))).toEqual([0, -2, -4, -6, -6]);
      expect(run(ramp, [], [0, 0, 0, 0], zeros())).toEqual([0, -2, -4, -6, -6].map((b) => eosRow(b)));
    });

    it('adds the bias to the EOS score only, t counted from the response start', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 4, rampLength: 4 });
      const base = row([0.5, -1, 0, 0, 0, 0, 0, 0.25]);
      const rows = run(ramp, [1, 2, 3], [0, 0, 0, 0, 0], base);
      const expected = [0, 1, 2, 3, 4, 4].map((b) => eosRow(Math.fround(0.25 + b), base));
      expect(rows).toEqual(expected);
    });

    it('drops to zero after the ramp with afterRamp "zero"', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 4, rampLength: 4, afterRamp: 'zero' });
      const rows = run(ramp, [1], [0, 0, 0, 0, 0, 0], zeros());
      expect(rows).toEqual([0, 1, 2, 3, 0, 0, 0].map((b) => eosRow(b)));
    });

    it('keeps its own copy of the ids', () => {
      const ids = [2, 7];
      const ramp = new EndOfSequenceRamp({ eosTokenIds: ids, maxBias: 3, rampLength: 2 });
      ids[0] = 5;
      expect(ramp.eosTokenIds).toEqual([2, 7]);
      expect(run(ramp, [], [0], zeros())[1]).toEqual(row([0, 0, 1.5, 0, 0, 0, 0, 1.5]));
    });

    it('raises every EOS id', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: [2, 7], maxBias: 3, rampLength: 2 });
      expect(ramp.eosTokenIds).toEqual([2, 7]);
      const rows = run(ramp, [], [0, 1], zeros());
      expect(rows).toEqual([row([0, 0, 0, 0, 0, 0, 0, 0]), row([0, 0, 1.5, 0, 0, 0, 0, 1.5]), row([0, 0, 3, 0, 0, 0, 0, 3])]);
    });

    it('rounds to float32 like the row does', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS });
      const sequence = startSequence(ramp, { prompt: [0], vocabSize: V });
      for (let i = 0; i < 249; i++) sequence.push(1);
      const base = eosRow(-3.1);
      expect(step(sequence, base)).toEqual(eosRow(Math.fround(Math.fround(-3.1) + 14.94)));
    });

    it('scales the bias by the weight', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 4, rampLength: 4 });
      const history = new TokenHistory([1], V);
      const state = ramp.createState(history);
      ramp.update(state, history, 0);
      history.push(2);
      ramp.update(state, history, 1);
      const r = zeros();
      ramp.process(r, state, history, -2.5);
      expect(r).toEqual(eosRow(-2.5));
    });

    it('leaves -Infinity at -Infinity', () => {
      const rows = run(new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 4, rampLength: 4 }), [], [0], eosRow(-Infinity));
      expect(rows).toEqual([eosRow(-Infinity), eosRow(-Infinity)]);
    });
  });

  describe('countFrom', () => {
    const MARKER = [5, 6];
    const ramp = (fallback?: 'response' | 'sequence'): EndOfSequenceRamp =>
      new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 10, rampLength: 10, countFrom: fallback ? { after: MARKER, fallback } : { after: MARKER } });

    it('counts t from just after a marker in the prompt', () => {
      // The marker ends one token before the prompt's end, so t = 1 at the first step.
      const rows = run(ramp('response'), [1, 5, 6, 2], [0, 0], zeros());
      expect(rows).toEqual([1, 2, 3].map((b) => eosRow(b)));
    });

    it('restarts t at the last occurrence of the marker, also in the response', () => {
      const rows = run(ramp('response'), [5, 6], [0, 0, 5, 6, 0, 5], zeros());
      // t: 0 1 2 | 5 -> 3 | 6 -> 0 | 1 | 5 -> 2
      expect(rows).toEqual([0, 1, 2, 3, 0, 1, 2].map((b) => eosRow(b)));
    });

    it('finds a marker spanning prompt and response', () => {
      const rows = run(ramp('response'), [1, 5], [6, 0], zeros());
      // t from the response start (1, then 2) until 6 completes the marker: 0, then 1
      expect(rows).toEqual([0, 0, 1].map((b) => eosRow(b)));
    });

    it('without a marker, counts from the fallback: (default) the response start or the sequence start', () => {
      expect(run(ramp('response'), [1, 2, 3], [0], zeros())).toEqual([0, 1].map((b) => eosRow(b)));
      expect(run(ramp(), [1, 2, 3], [0], zeros())).toEqual([0, 1].map((b) => eosRow(b)));
      expect(run(ramp('sequence'), [1, 2, 3], [0], zeros())).toEqual([3, 4].map((b) => eosRow(b)));
    });

    it('"sequence" counts the prompt', () => {
      const rows = run(new EndOfSequenceRamp({ eosTokenIds: EOS, maxBias: 10, rampLength: 10, countFrom: 'sequence' }), [1, 2], [0], zeros());
      expect(rows).toEqual([2, 3].map((b) => eosRow(b)));
    });
  });

  describe('exponential (HF ExponentialDecayLengthPenalty)', () => {
    it('leaves the score alone while t <= start, then adds |score| * (factor ** (t - start) - 1)', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, shape: 'exponential', factor: 2, start: 1 });
      expect(ramp.additive).toBe(false);
      expect(ramp.shape).toBe('exponential');
      expect(ramp.biasAt(5)).toBeUndefined();
      const negative = run(ramp, [1], [0, 0, 0, 0], eosRow(-4));
      // t = 0, 1: unchanged; t = 2: -4 + 4 * (2 - 1) = 0; t = 3: -4 + 4 * 3 = 8; t = 4: -4 + 4 * 7 = 24
      expect(negative).toEqual([-4, -4, 0, 8, 24].map((s) => eosRow(s)));
      const positive = run(ramp, [1], [0, 0, 0, 0], eosRow(3));
      // 3 + 3 * (2 ** (t - 1) - 1) = 3 * 2 ** (t - 1)
      expect(positive).toEqual([3, 3, 6, 12, 24].map((s) => eosRow(s)));
    });

    it('starts at t = 1 by default and rounds to float32', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: [3, EOS], shape: 'exponential', factor: 1.1 });
      const base = row([0, 0, 0, -2.5, 0, 0, 0, 1.5]);
      const rows = run(ramp, [], [0, 0], base);
      const expected = (t: number): Float32Array =>
        row([0, 0, 0, Math.fround(-2.5 + 2.5 * (1.1 ** t - 1)), 0, 0, 0, Math.fround(1.5 + 1.5 * (1.1 ** t - 1))]);
      expect(rows).toEqual([base, expected(1), expected(2)]);
    });

    it('forces EOS (+Infinity) once the factor overflows, instead of NaN', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: [3, EOS], shape: 'exponential', factor: 2 });
      const sequence = startSequence(ramp, { prompt: [], vocabSize: V });
      sequence.append(new Array(1100).fill(0));
      const row = zeros();
      row[3] = -1;
      sequence.process(row);
      expect([row[3], row[EOS]]).toEqual([Infinity, Infinity]);
    });

    it('a factor below 1 lowers the score', () => {
      const rows = run(new EndOfSequenceRamp({ eosTokenIds: EOS, shape: 'exponential', factor: 0.5 }), [], [0, 0], eosRow(8));
      expect(rows).toEqual([8, 4, 2].map((s) => eosRow(s)));
    });

    it('leaves -Infinity and other ids untouched', () => {
      const base = row([1, -1, 0, 0, 0, 0, 0, -Infinity]);
      const rows = run(new EndOfSequenceRamp({ eosTokenIds: EOS, shape: 'exponential', factor: 3 }), [], [0, 0], base);
      expect(rows).toEqual([base, base, base]);
    });

    it('counts from a marker too', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: EOS, shape: 'exponential', factor: 2, countFrom: { after: [5] } });
      const rows = run(ramp, [5], [0, 5, 0], eosRow(-1));
      // t: 0, 1, 0, 1
      expect(rows).toEqual([-1, 0, -1, 0].map((s) => eosRow(s)));
    });
  });

  describe('validation', () => {
    it('rejects bad EOS ids', () => {
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: [] }), '`eosTokenIds` must be a non-empty array of token ids, but is []', 'eosTokenIds');
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: -1 }), '`eosTokenIds` must be a token id (an integer of at least 0), but is -1', 'eosTokenIds');
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: [2, 2.5] }), '`eosTokenIds[1]` must be a token id (an integer of at least 0), but is 2.5', 'eosTokenIds[1]');
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: Number.NaN }), '`eosTokenIds` must be a token id (an integer of at least 0), but is NaN', 'eosTokenIds');
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: '2' as never }), '`eosTokenIds` must be a token id or an array of token ids, but is "2"', 'eosTokenIds');
      expectRuleLMError(() => new EndOfSequenceRamp({} as never), '`eosTokenIds` must be a token id or an array of token ids, but is undefined', 'eosTokenIds');
    });

    it('rejects EOS ids outside the vocabulary when a sequence starts', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: [3, 8] });
      expectRuleLMError(() => startSequence(ramp, { prompt: [], vocabSize: V }), '`eosTokenIds` holds token id 8, outside a vocabulary of 8 ids (0 to 7)', 'eosTokenIds');
    });

    it('rejects bad numbers', () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ maxBias: Number.NaN }, '`maxBias` must be a finite number, but is NaN', 'maxBias'],
        [{ maxBias: Infinity }, '`maxBias` must be a finite number, but is Infinity', 'maxBias'],
        [{ maxBias: '15' }, '`maxBias` must be a finite number, but is "15"', 'maxBias'],
        [{ rampLength: 0 }, '`rampLength` must be a positive integer, but is 0', 'rampLength'],
        [{ rampLength: -3 }, '`rampLength` must be a positive integer, but is -3', 'rampLength'],
        [{ rampLength: 2.5 }, '`rampLength` must be a positive integer, but is 2.5', 'rampLength'],
        [{ rampLength: Number.NaN }, '`rampLength` must be a positive integer, but is NaN', 'rampLength'],
        [{ rampLength: Infinity }, '`rampLength` must be a positive integer, but is Infinity', 'rampLength'],
        [{ start: -1 }, '`start` must be a non-negative integer, but is -1', 'start'],
        [{ start: 0.5 }, '`start` must be a non-negative integer, but is 0.5', 'start'],
        [{ shape: 'exponential' }, '`factor` must be a finite number greater than 0, but is undefined', 'factor'],
        [{ shape: 'exponential', factor: 0 }, '`factor` must be a finite number greater than 0, but is 0', 'factor'],
        [{ shape: 'exponential', factor: -2 }, '`factor` must be a finite number greater than 0, but is -2', 'factor'],
        [{ shape: 'exponential', factor: Number.NaN }, '`factor` must be a finite number greater than 0, but is NaN', 'factor'],
        [{ shape: 'exponential', factor: Infinity }, '`factor` must be a finite number greater than 0, but is Infinity', 'factor'],
        [{ factor: 2 }, '`factor` does not apply to the linear shape; remove it or set `shape`', 'factor'],
        [{ start: 3 }, '`start` does not apply to the linear shape; remove it or set `shape`', 'start'],
        [{ shape: 'exponential', factor: 2, maxBias: 3 }, '`maxBias` does not apply to the exponential shape; remove it or set `shape`', 'maxBias'],
        [{ shape: 'exponential', factor: 2, afterRamp: 'zero' }, '`afterRamp` does not apply to the exponential shape; remove it or set `shape`', 'afterRamp'],
      ];
      for (const [options, message, argument] of cases) {
        expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: 2, ...options } as never), message, argument);
      }
    });

    it('rejects bad choices and anchors', () => {
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: 2, shape: 'cubic' as never }), '`shape` must be one of "linear", "exponential", but is "cubic"', 'shape');
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: 2, afterRamp: 'drop' as never }), '`afterRamp` must be one of "hold", "zero", but is "drop"', 'afterRamp');
      expectRuleLMError(
        () => new EndOfSequenceRamp({ eosTokenIds: 2, countFrom: 'prompt' as never }),
        '`countFrom` must be "response", "sequence" or { after: tokenIds }, but is "prompt"',
        'countFrom',
      );
      expectRuleLMError(() => new EndOfSequenceRamp({ eosTokenIds: 2, countFrom: { after: [] } }), '`countFrom.after` must be a non-empty array of token ids, but is []', 'countFrom.after');
    });

    it('rejects unknown option names and non-objects', () => {
      expectRuleLMError(
        // @ts-expect-error: a misspelled option
        () => new EndOfSequenceRamp({ eosTokenIds: 2, rampLenght: 100 }),
        '`options` has an unknown option "rampLenght"; known options are `eosTokenIds`, `shape`, `maxBias`, `rampLength`, `afterRamp`, `start`, `factor`, `countFrom`',
        'options.rampLenght',
      );
      expectRuleLMError(() => new EndOfSequenceRamp(2 as never), '`options` must be an object, but is 2', 'options');
    });
  });
});

describe('endOfSequenceRamp: hostile numbers (issue 13)', () => {
  it('maxBias near the largest number: biasAt(2) is 8e305, not Infinity (maxBias * t overflowed)', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 1e308, rampLength: 250 });
    expect(ramp.biasAt(2)).toBe(8e305);
    expect(ramp.biasAt(125)).toBe(5e307);
    expect(ramp.biasAt(250)).toBe(1e308);
    expect(new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: -Number.MAX_VALUE, rampLength: 2 }).biasAt(1)).toBe(-Number.MAX_VALUE / 2);
    // Small biases keep the exact rounding of maxBias * t / rampLength.
    expect(new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 15, rampLength: 250 }).biasAt(125)).toBe(7.5);
  });

  it('a masked EOS stays masked under the largest ramp, and +Infinity stays', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: [0, 1], maxBias: Number.MAX_VALUE, rampLength: 1 });
    expect(Array.from(run(ramp, [], [3], row([-Infinity, Infinity, 0, 0]))[1] as Float32Array)).toEqual([-Infinity, Infinity, 0, 0]);
  });
});
