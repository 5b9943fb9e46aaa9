import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { TopNSigma } from '../../src/processors/top-n-sigma';
import { row } from '../helpers/rows';

const I = Infinity;

function apply(processor: TopNSigma, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

describe('TopNSigma', () => {
  it('masks scores below max - n * σ (mean and population σ of the live scores)', () => {
    // [1, 3, 3, 1]: mean 2, σ 1
    expect(apply(new TopNSigma({ n: 1.5 }), [1, 3, 3, 1])).toEqual(row([-I, 3, 3, -I]));
    expect(apply(new TopNSigma({ n: 0.5 }), [1, 3, 3, 1])).toEqual(row([-I, 3, 3, -I]));
    // [0, 0, 2, 2]: mean 1, σ 1, threshold 1
    expect(apply(new TopNSigma({ n: 1 }), [0, 0, 2, 2])).toEqual(row([-I, -I, 2, 2]));
    // [0, 1, 2]: mean 1, population σ sqrt(2/3) = 0.8165, threshold 1.1835: 1 goes (the sample σ,
    // 1, would give threshold 1 and keep it)
    expect(apply(new TopNSigma({ n: 1 }), [0, 1, 2])).toEqual(row([-I, -I, 2]));
  });

  it('keeps scores exactly at the threshold (llama.cpp masks only logit < max - n σ)', () => {
    expect(apply(new TopNSigma({ n: 2 }), [1, 3, 3, 1])).toEqual(row([1, 3, 3, 1]));
  });

  it('leaves -Infinity out of the statistics and turns NaN into -Infinity', () => {
    expect(apply(new TopNSigma({ n: 1.5 }), [1, 3, -I, 3, 1])).toEqual(row([-I, 3, -I, 3, -I]));
    expect(apply(new TopNSigma({ n: 1.5 }), [NaN, 1, 3, 3, 1])).toEqual(row([-I, -I, 3, 3, -I]));
    expect(apply(new TopNSigma({ n: 1 }), [5, -I])).toEqual(row([5, -I]));
  });

  it('keeps only +Infinity scores when there are some', () => {
    expect(apply(new TopNSigma({ n: 3 }), [I, 3, 1, I])).toEqual(row([I, -I, -I, I]));
  });
});
