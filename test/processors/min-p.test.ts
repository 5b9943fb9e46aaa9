import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { MinP } from '../../src/processors/min-p';
import { row } from '../helpers/rows';

const I = Infinity;

function apply(processor: MinP, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

describe('MinP', () => {
  it('masks tokens whose probability is below minP times the best one', () => {
    // ratios to the best: 1, e^-2 = 0.135, e^-3 = 0.0498
    expect(apply(new MinP({ minP: 0.1 }), [0, -2, -3])).toEqual(row([0, -2, -I]));
    expect(apply(new MinP({ minP: 0.05 }), [0, -2, -3])).toEqual(row([0, -2, -I]));
    expect(apply(new MinP({ minP: 0.04 }), [0, -2, -3])).toEqual(row([0, -2, -3]));
    expect(apply(new MinP({ minP: 1 }), [0, -2, 0])).toEqual(row([0, -I, 0]));
    expect(apply(new MinP({ minP: 0 }), [0, -2, -I])).toEqual(row([0, -2, -I]));
  });

  it('keeps a token exactly at the threshold (HF removes only probs < min_p * top)', () => {
    const half = Math.fround(Math.log(0.5));
    const minP = Math.exp(half); // the ratio of a score of log 0.5 to a best score of 0, exactly
    expect(apply(new MinP({ minP }), [0, half, half, -1])).toEqual(row([0, half, half, -I]));
  });

  it('keeps the best minTokensToKeep, the lower id first among equal scores', () => {
    expect(apply(new MinP({ minP: 0.5, minTokensToKeep: 3 }), [0, -5, -6, -7])).toEqual(row([0, -5, -6, -I]));
    expect(apply(new MinP({ minP: 0.5, minTokensToKeep: 2 }), [0, -5, -5, -7])).toEqual(row([0, -5, -I, -I]));
    expect(apply(new MinP({ minP: 0.5, minTokensToKeep: 2 }), [-5, 0, -5, -7])).toEqual(row([-5, 0, -I, -I]));
    expect(apply(new MinP({ minP: 0.5, minTokensToKeep: 9 }), [0, -5])).toEqual(row([0, -5]));
  });

  it('turns NaN into -Infinity; with +Infinity scores only they have probability', () => {
    expect(apply(new MinP({ minP: 0.1 }), [NaN, 0, -3])).toEqual(row([-I, 0, -I]));
    expect(apply(new MinP({ minP: 0.1 }), [I, 0, I])).toEqual(row([I, -I, I]));
    expect(apply(new MinP({ minP: 0.1 }), [-I, NaN])).toEqual(row([-I, -I]));
  });
});
