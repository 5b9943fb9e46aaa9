import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { EpsilonCutoff } from '../../src/processors/epsilon-cutoff';
import { EtaCutoff } from '../../src/processors/eta-cutoff';
import { row } from '../helpers/rows';

const I = Infinity;
const ln = Math.log;

function apply(processor: EpsilonCutoff | EtaCutoff, values: readonly number[]): Float32Array {
  return startSequence(processor, { prompt: [], vocabSize: values.length }).process(row(values));
}

describe('EpsilonCutoff', () => {
  it('masks tokens whose probability is below epsilon', () => {
    expect(apply(new EpsilonCutoff({ epsilon: 0.1 }), [ln(0.5), ln(0.45), ln(0.05)])).toEqual(row([ln(0.5), ln(0.45), -I]));
    expect(apply(new EpsilonCutoff({ epsilon: 0.46 }), [ln(0.5), ln(0.45), ln(0.05)])).toEqual(row([ln(0.5), -I, -I]));
    // 0.9 cuts every probability: the best token stays (minTokensToKeep 1)
    expect(apply(new EpsilonCutoff({ epsilon: 0.9 }), [ln(0.5), ln(0.45), ln(0.05)])).toEqual(row([ln(0.5), -I, -I]));
  });

  it('keeps scores at least the minTokensToKeep-th largest, ties included (HF topk comparison)', () => {
    const values = [ln(0.5), ln(0.02), ln(0.02), ln(0.46)];
    expect(apply(new EpsilonCutoff({ epsilon: 0.1, minTokensToKeep: 2 }), values)).toEqual(row([ln(0.5), -I, -I, ln(0.46)]));
    expect(apply(new EpsilonCutoff({ epsilon: 0.1, minTokensToKeep: 3 }), values)).toEqual(row(values));
    expect(apply(new EpsilonCutoff({ epsilon: 0.9 }), [0, 0, -1])).toEqual(row([0, 0, -I]));
  });

  it('turns NaN into -Infinity; with +Infinity scores only they have probability', () => {
    expect(apply(new EpsilonCutoff({ epsilon: 0.1 }), [NaN, ln(0.5), ln(0.45), ln(0.05)])).toEqual(row([-I, ln(0.5), ln(0.45), -I]));
    expect(apply(new EpsilonCutoff({ epsilon: 0.1 }), [I, 3, -I])).toEqual(row([I, -I, -I]));
  });
});

describe('EtaCutoff', () => {
  it('cuts below min(epsilon, sqrt(epsilon) * exp(-entropy))', () => {
    // 0.5, 0.45, 0.05: H = 0.8557, sqrt(0.09) * exp(-H) = 0.1275, so eta = 0.09
    expect(apply(new EtaCutoff({ epsilon: 0.09 }), [ln(0.5), ln(0.45), ln(0.05)])).toEqual(row([ln(0.5), ln(0.45), -I]));
    // 0.6, 0.3, 0.1: H = 0.8979, sqrt(0.4) * exp(-H) = 0.2577 < 0.4: 0.3 stays (epsilon alone would cut it)
    expect(apply(new EtaCutoff({ epsilon: 0.4 }), [ln(0.6), ln(0.3), ln(0.1)])).toEqual(row([ln(0.6), ln(0.3), -I]));
    expect(apply(new EpsilonCutoff({ epsilon: 0.4 }), [ln(0.6), ln(0.3), ln(0.1)])).toEqual(row([ln(0.6), -I, -I]));
    // epsilon 0.9: sqrt(0.9) * exp(-H) = 0.3865 cuts 0.3 too
    expect(apply(new EtaCutoff({ epsilon: 0.9 }), [ln(0.6), ln(0.3), ln(0.1)])).toEqual(row([ln(0.6), -I, -I]));
    // 0.75, 0.25: H = 0.5623, sqrt(0.2) * exp(-H) = 0.2549, so eta = min(0.2, 0.2549) = 0.2 and 0.25
    // stays (the entropy term alone would cut it)
    expect(apply(new EtaCutoff({ epsilon: 0.2 }), [ln(0.75), ln(0.25)])).toEqual(row([ln(0.75), ln(0.25)]));
  });

  it('keeps the minTokensToKeep best, ties included; NaN becomes -Infinity', () => {
    expect(apply(new EtaCutoff({ epsilon: 0.4, minTokensToKeep: 3 }), [ln(0.6), ln(0.3), ln(0.1)])).toEqual(row([ln(0.6), ln(0.3), ln(0.1)]));
    expect(apply(new EtaCutoff({ epsilon: 0.4 }), [ln(0.6), NaN, ln(0.3), ln(0.1)])).toEqual(row([ln(0.6), -I, ln(0.3), -I]));
  });
});
