import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { TypicalP } from '../../src/processors/typical-p';
import { row } from '../helpers/rows';

const I = Infinity;
const [A, B, C] = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];

function apply(processor: TypicalP, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

// Probabilities 0.5, 0.3, 0.2: entropy H = 1.0297 nats; |-log p - H| = 0.3365, 0.1743, 0.5798.
// Ranked by that distance: id 1 (0.3), id 0 (0.5), id 2 (0.2); cumulative 0.3, 0.8, 1.0.
describe('TypicalP', () => {
  it('keeps the tokens closest to the entropy until their mass reaches typicalP', () => {
    expect(apply(new TypicalP({ typicalP: 0.2 }), [A, B, C])).toEqual(row([-I, B, -I]));
    expect(apply(new TypicalP({ typicalP: 0.29 }), [A, B, C])).toEqual(row([-I, B, -I]));
    expect(apply(new TypicalP({ typicalP: 0.31 }), [A, B, C])).toEqual(row([A, B, -I]));
    expect(apply(new TypicalP({ typicalP: 0.5 }), [A, B, C])).toEqual(row([A, B, -I]));
    expect(apply(new TypicalP({ typicalP: 0.85 }), [A, B, C])).toEqual(row([A, B, C]));
  });

  it('keeps every token tied with the boundary distance (HF removes only larger distances)', () => {
    expect(apply(new TypicalP({ typicalP: 0.3 }), [1, 1, 1, 1])).toEqual(row([1, 1, 1, 1]));
    // 0.4, 0.4, 0.2: H = 1.0549; distances 0.1386, 0.1386, 0.5545
    const [p, q] = [Math.log(0.4), Math.log(0.2)];
    expect(apply(new TypicalP({ typicalP: 0.1 }), [p, q, p])).toEqual(row([p, -I, p]));
  });

  it('keeps the first minTokensToKeep by distance', () => {
    expect(apply(new TypicalP({ typicalP: 0.2, minTokensToKeep: 2 }), [A, B, C])).toEqual(row([A, B, -I]));
    expect(apply(new TypicalP({ typicalP: 0.2, minTokensToKeep: 3 }), [A, B, C])).toEqual(row([A, B, C]));
  });

  it('keeps exactly the first minTokensToKeep ranks, not the tokens tied with the last of them (HF sets ranks [0, minTokensToKeep) only)', () => {
    // 0.6, 0.2, 0.2: H = 0.9503; distances 0.4394, 0.6592, 0.6592. Rank 0 (id 0) alone reaches
    // 0.5; minTokensToKeep 2 adds rank 1, id 1 (the lower id of the tie), and not id 2.
    const [a, b] = [Math.log(0.6), Math.log(0.2)];
    expect(apply(new TypicalP({ typicalP: 0.5 }), [a, b, b])).toEqual(row([a, -I, -I]));
    expect(apply(new TypicalP({ typicalP: 0.5, minTokensToKeep: 2 }), [a, b, b])).toEqual(row([a, b, -I]));
  });

  it('gives masked and NaN scores an infinite distance, and +Infinity scores all the mass', () => {
    expect(apply(new TypicalP({ typicalP: 0.5 }), [A, -I, B, NaN, C])).toEqual(row([A, -I, B, -I, -I]));
    expect(apply(new TypicalP({ typicalP: 0.5 }), [I, 0, I])).toEqual(row([I, -I, I]));
    expect(apply(new TypicalP({ typicalP: 0.5 }), [NaN, -I])).toEqual(row([-I, -I]));
  });
});
