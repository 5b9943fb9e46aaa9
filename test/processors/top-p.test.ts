import { describe, expect, it } from 'vitest';
import { seededRandom, startSequence } from '../../src/index';
import { TopP } from '../../src/processors/top-p';
import { row } from '../helpers/rows';

const I = Infinity;
const L3 = Math.fround(Math.log(3));

function apply(processor: TopP, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

// HF's TopPLogitsWarper on a full sort (ties: lower id first in descending order), in doubles.
function reference(values: Float32Array, topP: number, keep: number): Float32Array {
  const max = Math.max(...values.filter((x) => !Number.isNaN(x)));
  const p = Array.from(values, (x) => Math.exp(x - max));
  const total = p.reduce((s, x) => s + x, 0);
  const order = Array.from(values.keys()).sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  const out = values.slice();
  let before = 0;
  order.forEach((id, rank) => {
    if (before >= topP * total && rank >= keep) out[id] = -I;
    before += p[id] as number;
  });
  return out;
}

describe('TopP', () => {
  // probabilities 0.2, 0.6, 0.2
  it('keeps the smallest set of best tokens whose probability reaches topP', () => {
    expect(apply(new TopP({ topP: 0.5 }), [0, L3, 0])).toEqual(row([-I, L3, -I]));
    expect(apply(new TopP({ topP: 0.59 }), [0, L3, 0])).toEqual(row([-I, L3, -I]));
    // 0.6 < 0.7: the next token (id 0, the lower id of the tie) joins; then 0.8 >= 0.7 stops.
    expect(apply(new TopP({ topP: 0.7 }), [0, L3, 0])).toEqual(row([0, L3, -I]));
    expect(apply(new TopP({ topP: 0.95 }), [0, L3, 0])).toEqual(row([0, L3, 0]));
    expect(apply(new TopP({ topP: 1 }), [0, L3, 0])).toEqual(row([0, L3, 0]));
  });

  it('keeps exactly the greedy token at topP near 0, the lower id among tied best scores', () => {
    expect(apply(new TopP({ topP: 0 }), [1, 1, 0])).toEqual(row([1, -I, -I]));
    expect(apply(new TopP({ topP: 0.01 }), [0, 2, 2, 1])).toEqual(row([-I, 2, -I, -I]));
  });

  it('keeps the best minTokensToKeep tokens whatever the mass', () => {
    expect(apply(new TopP({ topP: 0.5, minTokensToKeep: 2 }), [0, L3, 0])).toEqual(row([0, L3, -I]));
    expect(apply(new TopP({ topP: 0.5, minTokensToKeep: 3 }), [0, L3, 0])).toEqual(row([0, L3, 0]));
    expect(apply(new TopP({ topP: 0.7, minTokensToKeep: 1 }), [0, L3, 0])).toEqual(row([0, L3, -I]));
  });

  it('leaves masked scores masked, turns NaN into -Infinity, and gives +Infinity all the mass', () => {
    expect(apply(new TopP({ topP: 0.5 }), [-I, 0, L3, 0])).toEqual(row([-I, -I, L3, -I]));
    expect(apply(new TopP({ topP: 0.5 }), [NaN, 0, L3, 0])).toEqual(row([-I, -I, L3, -I]));
    expect(apply(new TopP({ topP: 0.5 }), [NaN, -I])).toEqual(row([-I, -I]));
    // two +Infinity scores share the mass: 0.5 each
    expect(apply(new TopP({ topP: 0.4 }), [I, 5, I])).toEqual(row([I, -I, -I]));
    expect(apply(new TopP({ topP: 0.6 }), [I, 5, I])).toEqual(row([I, -I, I]));
  });

  it('matches a full sort on large random rows', () => {
    const next = seededRandom(11);
    for (const [size, p, keep] of [[50_000, 0.9, 1], [50_000, 0.5, 1], [30_000, 0.99, 5], [8000, 0.2, 300], [100, 0.97, 1]] as const) {
      const values = Float32Array.from({ length: size }, () => (next() < 0.02 ? -I : Math.round(next() * 600) / 100));
      expect(apply(new TopP({ topP: p, minTokensToKeep: keep }), [...values])).toEqual(reference(values, p, keep));
    }
  });
});
