import { describe, expect, it } from 'vitest';
import { seededRandom, startSequence, TokenHistory } from '../../src/index';
import { XTC } from '../../src/processors/xtc';
import { row } from '../helpers/rows';

const I = Infinity;
const ln = Math.log;

function apply(processor: XTC, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

describe('XTC', () => {
  it('masks every token at or above the threshold but the least probable of them', () => {
    const values = [ln(0.5), ln(0.3), ln(0.2)];
    expect(apply(new XTC({ probability: 1, threshold: 0.25 }), values)).toEqual(row([-I, ln(0.3), ln(0.2)]));
    expect(apply(new XTC({ probability: 1, threshold: 0.1 }), values)).toEqual(row([-I, -I, ln(0.2)]));
    // one token above the threshold: nothing to exclude
    expect(apply(new XTC({ probability: 1, threshold: 0.4 }), values)).toEqual(row(values));
  });

  it('keeps the highest id among equally least probable top choices (llama.cpp order made definite)', () => {
    expect(apply(new XTC({ probability: 1, threshold: 0.25 }), [ln(0.4), ln(0.3), ln(0.3)])).toEqual(row([-I, -I, ln(0.3)]));
  });

  it('acts only when minTokensToKeep tokens stay, probability > 0 and threshold <= 0.5', () => {
    const values = [ln(0.5), ln(0.3), ln(0.2)];
    expect(apply(new XTC({ probability: 1, threshold: 0.1, minTokensToKeep: 2 }), values)).toEqual(row(values));
    expect(apply(new XTC({ probability: 1, threshold: 0.25, minTokensToKeep: 2 }), values)).toEqual(row([-I, ln(0.3), ln(0.2)]));
    expect(apply(new XTC({ probability: 0, threshold: 0.1 }), values)).toEqual(row(values));
    // two tokens at exactly 0.5 both qualify at threshold 0.5, the largest that can act
    expect(apply(new XTC({ probability: 1, threshold: 0.5 }), [0, 0])).toEqual(row([-I, 0]));
    // masked tokens do not count as candidates
    expect(apply(new XTC({ probability: 1, threshold: 0.1 }), [0, -I, 0])).toEqual(row([-I, -I, 0]));
    expect(apply(new XTC({ probability: 1, threshold: 0.1 }), [NaN, 0, 0])).toEqual(row([-I, -I, 0]));
  });

  it('draws from a seeded source per sequence: acts exactly when the draw is <= probability, reproducibly', () => {
    const xtc = new XTC({ probability: 0.5, threshold: 0.1, seed: 7 });
    const draws = seededRandom(7);
    const expected = Array.from({ length: 40 }, () => draws() <= 0.5);
    for (let run = 0; run < 2; run++) {
      const sequence = startSequence(xtc, { prompt: [0], vocabSize: 3 });
      const acted = expected.map(() => {
        const out = sequence.process(row([ln(0.5), ln(0.3), ln(0.2)]));
        sequence.push(2);
        return out[0] === -I;
      });
      expect(acted).toEqual(expected);
    }
    expect(expected.filter(Boolean).length).toBeGreaterThan(5);
    expect(expected.filter((x) => !x).length).toBeGreaterThan(5);
  });

  it('does not draw at a step with fewer than two live tokens (llama.cpp returns before its draw)', () => {
    const draws = seededRandom(7);
    const expected = Array.from({ length: 20 }, () => draws() <= 0.5);
    const sequence = startSequence(new XTC({ probability: 0.5, threshold: 0.1, seed: 7 }), { prompt: [0], vocabSize: 3 });
    expect(sequence.process(row([0, -I, -I]))).toEqual(row([0, -I, -I]));
    sequence.push(0);
    expect(sequence.process(row([NaN, 0, -I]))).toEqual(row([-I, 0, -I]));
    sequence.push(1);
    const acted = expected.map(() => {
      const out = sequence.process(row([ln(0.5), ln(0.3), ln(0.2)]));
      sequence.push(2);
      return out[0] === -I;
    });
    // The same acts as a fresh sequence's: one draw more would have shifted them.
    expect(acted).toEqual(expected);
    const shifted = seededRandom(7);
    shifted();
    expect(expected.map(() => shifted() <= 0.5)).not.toEqual(expected);
  });

  it('does not draw with a threshold above 0.5 (llama.cpp returns before its draw: no two tokens can qualify)', () => {
    const xtc = new XTC({ probability: 1, threshold: 0.6, seed: 5 });
    const state = xtc.createState(new TokenHistory([], 2));
    for (const values of [[0, 0], [ln(0.6), ln(0.4)], [0, 0]]) {
      const out = row(values);
      xtc.process(out, state);
      expect(out).toEqual(row(values));
    }
    const fresh = seededRandom(5);
    expect([state.random(), state.random()]).toEqual([fresh(), fresh()]);
  });
});
