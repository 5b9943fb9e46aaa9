import { describe, expect, it } from 'vitest';
import { addLogProbs, combineRow, maskBelow, rowStart, stepLogits } from '../../../src/adapters/transformers/experts-combine';
import { argmaxAt, logSumExpAt, maxAt } from '../../../src/core/row';
import { RuleLMError } from '../../../src/index';

const I = Infinity;

// Two experts, a batch of 2 rows, 2 positions, a vocabulary of 3: only the last position of each row counts.
const A = { data: Float32Array.from([9, 9, 9, 1, 3, 2.5, 9, 9, 9, 0, 0, 0]), positions: 2, vocab: 3 };
const B = { data: Float32Array.from([9, 9, 9, 0, -I, 4, 9, 9, 9, 5, 5, 5]), positions: 2, vocab: 3 };

describe('reading step logits', () => {
  it('views a [batch, positions, vocab] tensor in place and finds each row\'s last position', () => {
    const data = new Float32Array(12);
    const logits = stepLogits({ dims: [2, 2, 3], data }, 2, 0);
    expect(logits.data).toBe(data);
    expect([logits.positions, logits.vocab]).toEqual([2, 3]);
    expect([rowStart(logits, 0), rowStart(logits, 1)]).toEqual([3, 9]);
    expect(rowStart({ data, positions: 1, vocab: 3 }, 1)).toBe(3);
  });

  it('converts other float types, and names the expert on a wrong shape', () => {
    const converted = Float32Array.from([1, 2]);
    expect(stepLogits({ dims: [1, 1, 2], data: new Uint16Array(2), to: () => ({ dims: [1, 1, 2], data: converted }) }, 1, 0).data).toBe(converted);
    expect(() => stepLogits({ dims: [1, 1, 3], data: new Float32Array(3) }, 2, 1)).toThrow(new RuleLMError('expert 1 returned logits of shape [1,1,3], not [2, positions, vocab]', { argument: 'experts[1].model' }));
    expect(() => stepLogits({ dims: [2, 3], data: new Float32Array(6) }, 2, 0)).toThrow('expert 0 returned logits of shape [2,3], not [2, positions, vocab]');
  });
});

describe('the row loops', () => {
  it('maxAt and logSumExpAt read a window of the source', () => {
    const source = Float32Array.from([7, 0, Math.log(3), 7]);
    expect(maxAt(source, 1, 2)).toBe(Math.fround(Math.log(3)));
    expect(logSumExpAt(source, 1, 2, maxAt(source, 1, 2))).toBeCloseTo(Math.log(4), 6);
    expect(maxAt(Float32Array.from([-I, -I]), 0, 2)).toBe(-I);
    expect(logSumExpAt(Float32Array.from([-I, -I]), 0, 2, -I)).toBe(-I);
    expect(logSumExpAt(Float32Array.from([I, 0]), 0, 2, I)).toBe(I);
  });

  it('addLogProbs assigns or adds weight * (x - shift), and -Infinity masks whatever the weight', () => {
    const target = Float32Array.from([10, 10, 10]);
    addLogProbs(target, Float32Array.from([0, 1, 2, 3]), 1, 3, 2, 3, true);
    expect([...target]).toEqual([-4, -2, 0]);
    addLogProbs(target, Float32Array.from([-I, 1, 5]), 0, 3, -0.5, 1, false);
    expect([...target]).toEqual([-I, -2, -2]);
  });

  it('argmaxAt finds the first largest score of a window (the one-model greedy decision), -1 when all are masked or NaN', () => {
    // A's row 0 last position is [1, 3, 2.5] at offset 3; row 1's is [0, 0, 0] at offset 9 (a tie: the first).
    expect(argmaxAt(A.data, rowStart(A, 0), 3)).toBe(1);
    expect(argmaxAt(A.data, rowStart(A, 1), 3)).toBe(0);
    expect(argmaxAt(Float32Array.from([NaN, -I, 2, I, I]), 0, 5)).toBe(3);
    expect(argmaxAt(Float32Array.from([9, NaN, -I]), 1, 2)).toBe(-1);
  });

  it('maskBelow masks what the deciding expert scores under the threshold', () => {
    const target = Float32Array.from([1, 2, 3]);
    maskBelow(target, Float32Array.from([0, 0.5, 2, 1]), 1, 3, 1);
    expect([...target]).toEqual([-I, 2, 3]);
  });
});

describe('combineRow', () => {
  it('sums weight * (logits - max) without a processor: exact numbers', () => {
    const target = new Float32Array(3);
    combineRow(target, [A, B], [1, -0.5], 0, 3, false, undefined);
    // A: [1, 3, 2.5] - 3 = [-2, 0, -0.5]; B: -0.5 * ([0, -inf, 4] - 4) = [2, masked, 0].
    expect([...target]).toEqual([0, -I, -0.5]);
    combineRow(target, [A, B], [1, -0.5], 1, 3, false, undefined);
    expect([...target]).toEqual([0, 0, 0]);
  });

  it('sums weight * log_softmax when normalizing (a processor sees log-probabilities)', () => {
    const target = new Float32Array(3);
    combineRow(target, [A], [1], 0, 3, true, undefined);
    const lse = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2.5));
    [1, 3, 2.5].forEach((x, j) => expect(target[j]).toBeCloseTo(x - lse, 6));
    combineRow(target, [A, B], [0.5, 2], 1, 3, true, undefined);
    // Both rows are flat: 0.5 * -log 3 + 2 * -log 3.
    [0, 0, 0].forEach((_, j) => expect(target[j]).toBeCloseTo(-2.5 * Math.log(3), 6));
  });

  it('skips zero weights (all zeros when every weight is 0), and applies the plausibility cut from the deciding expert', () => {
    const target = Float32Array.from([7, 7, 7]);
    combineRow(target, [A, B], [0, 0], 0, 3, false, undefined);
    expect([...target]).toEqual([0, 0, 0]);
    // Threshold max + log(0.5) = 3 - 0.693: A's 1 is cut, 3 and 2.5 stay (B masks 1 itself).
    combineRow(target, [B, A], [1, 0], 0, 3, false, { expert: 1, alpha: 0.5 });
    expect([...target]).toEqual([-I, -I, 0]);
    combineRow(target, [A, B], [1, 0], 0, 3, false, { expert: 0, alpha: 1 });
    expect([...target]).toEqual([-I, 0, -I]);
  });

  it('combines only the first vocabSize ids (truncated vocabularies)', () => {
    const target = new Float32Array(2);
    combineRow(target, [A, B], [1, 1], 0, 2, false, undefined);
    // A: [1, 3] - 3; B: [0, -inf] - 0.
    expect([...target]).toEqual([-2, -I]);
  });
});
