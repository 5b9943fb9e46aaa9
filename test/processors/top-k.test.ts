import { describe, expect, it } from 'vitest';
import { seededRandom, startSequence } from '../../src/index';
import { TopK } from '../../src/processors/top-k';
import { row } from '../helpers/rows';

const I = Infinity;

function apply(processor: TopK, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

describe('TopK', () => {
  it('keeps the k best scores and masks the rest to -Infinity', () => {
    expect(apply(new TopK({ topK: 2 }), [5, 1, 4, 2, 3])).toEqual(row([5, -I, 4, -I, -I]));
    expect(apply(new TopK({ topK: 1 }), [5, 1, 4, 2, 3])).toEqual(row([5, -I, -I, -I, -I]));
  });

  it('keeps every score tied with the k-th (HF: scores < k-th value are removed)', () => {
    expect(apply(new TopK({ topK: 2 }), [1, 3, 2, 3])).toEqual(row([-I, 3, -I, 3]));
    expect(apply(new TopK({ topK: 2 }), [3, 2, 2, 2, 1])).toEqual(row([3, 2, 2, 2, -I]));
  });

  it('keeps max(topK, minTokensToKeep) tokens, and the whole row when that reaches its length', () => {
    expect(apply(new TopK({ topK: 1, minTokensToKeep: 3 }), [5, 1, 4, 2, 3])).toEqual(row([5, -I, 4, -I, 3]));
    expect(apply(new TopK({ topK: 5 }), [5, 1, 4, 2, 3])).toEqual(row([5, 1, 4, 2, 3]));
    expect(apply(new TopK({ topK: 9 }), [5, 1])).toEqual(row([5, 1]));
  });

  it('counts -Infinity scores as tokens (HF topk): fewer live scores than k leaves the row as is', () => {
    expect(apply(new TopK({ topK: 2 }), [0, -I, -I, -I])).toEqual(row([0, -I, -I, -I]));
    expect(apply(new TopK({ topK: 2 }), [-I, 2, -I, 1, 0])).toEqual(row([-I, 2, -I, 1, -I]));
  });

  it('turns NaN into -Infinity and never keeps it; +Infinity ranks first', () => {
    expect(apply(new TopK({ topK: 2 }), [NaN, 1, 2, 0])).toEqual(row([-I, 1, 2, -I]));
    expect(apply(new TopK({ topK: 2 }), [I, 1, 2, 0])).toEqual(row([I, -I, 2, -I]));
    expect(apply(new TopK({ topK: 1 }), [NaN, NaN])).toEqual(row([-I, -I]));
  });

  it('matches a full sort on large random rows with many ties (the partial selection refines buckets)', () => {
    const next = seededRandom(7);
    for (const [size, k] of [[50_000, 1], [50_000, 40], [50_000, 3000], [4096, 4095], [20_000, 700]] as const) {
      // Rounded scores: many exact ties; a few masked.
      const values = Array.from({ length: size }, () => (next() < 0.01 ? -I : Math.round(next() * 2000) / 100));
      const kth = [...values].sort((a, b) => b - a)[k - 1] as number;
      const expected = row(values.map((x) => (x < kth ? -I : x)));
      expect(apply(new TopK({ topK: k }), values)).toEqual(expected);
    }
  });
});
