// checkVocabulary: every processor checks the ids it holds against a vocabulary size, naming the
// option that holds an id outside it; composites check their members; startSequence calls it.
import type { Processor } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { Chain, DRY, EndOfSequenceRamp, EpsilonCutoff, EtaCutoff, MinP, NoRepeatNGram, PositionBias, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias, TopK, TopNSigma, TopP, TypicalP, XTC } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';

const outside = (argument: string, id: number, vocabSize: number): string => `\`${argument}\` holds token id ${id}, outside a vocabulary of ${vocabSize} ids (0 to ${vocabSize - 1})`;

/** [what, the processor, the option named, its largest id]: the processor fits a vocabulary of exactly `largest + 1` ids. */
const cases: [string, () => Processor, string, number][] = [
  ['end-of-sequence ramp ids', () => new EndOfSequenceRamp({ eosTokenIds: [3, 11, 4] }), 'eosTokenIds', 11],
  ['end-of-sequence ramp marker', () => new EndOfSequenceRamp({ eosTokenIds: 2, countFrom: { after: [5, 12] } }), 'countFrom.after', 12],
  ['exponential ramp ids', () => new EndOfSequenceRamp({ eosTokenIds: 9, shape: 'exponential', factor: 2 }), 'eosTokenIds', 9],
  ['repetition penalty exempt ids', () => new RepetitionPenalty({ mode: 'presence', penalty: 1, exempt: [10, 1] }), 'exempt', 10],
  ['repetition penalty scope marker', () => new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: { after: [7], fallback: 'response' } }), 'scope.after', 7],
  ['token bias ids', () => new TokenBias({ biases: [{ token: 1, bias: 1 }, { token: 13, bias: -1 }] }), 'biases', 13],
  ['token bias sequences', () => new TokenBias({ biases: [{ tokens: [14, 2], bias: 1 }] }), 'biases', 14],
  ['position bias sparse ids', () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 6, bias: 1 }] }, { at: 3, biases: [{ token: 8, bias: 1 }] }] }), 'positions', 8],
  ['position bias marker', () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }], countFrom: { after: [2, 9] } }), 'countFrom.after', 9],
  ['DRY breaker ids', () => new DRY({ multiplier: 1, sequenceBreakers: [3, 10] }), 'sequenceBreakers', 10],
  ['DRY breaker sequences', () => new DRY({ multiplier: 1, sequenceBreakers: [4, [16, 2]] }), 'sequenceBreakers', 16],
  ['DRY in a chain', () => new Chain(new TopK({ topK: 2 }), new DRY({ multiplier: 1, sequenceBreakers: [[1, 5]] })), 'sequenceBreakers', 5],
  ['a chain member', () => new Chain(new TokenBias({ biases: [{ token: 1, bias: 1 }] }), [new RepetitionPenalty({ mode: 'presence', penalty: 1, exempt: [15] })]), 'exempt', 15],
  ['an expert of a product', () => new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 2, bias: 1 }] }) }, { processor: new EndOfSequenceRamp({ eosTokenIds: 6 }), weight: 2 }] }), 'eosTokenIds', 6],
  ['a chain inside an expert inside a chain', () => new Chain(new ProductOfExperts({ experts: [{ processor: new Chain(new PositionBias({ positions: [{ at: 1, biases: [{ token: 4, bias: 1 }] }] })) }] })), 'positions', 4],
];

describe('checkVocabulary', () => {
  for (const [what, make, argument, largest] of cases) {
    it(`${what}: passes at the boundary (id = vocabSize - 1), throws naming \`${argument}\` below it`, () => {
      const p = make();
      expect(() => p.checkVocabulary(largest + 1)).not.toThrow();
      expect(() => p.checkVocabulary(largest + 1000)).not.toThrow();
      expectRuleLMError(() => p.checkVocabulary(largest), outside(argument, largest, largest), argument);
    });

    it(`${what}: startSequence checks it before the sequence starts`, () => {
      expectRuleLMError(() => startSequence(make(), { prompt: [], vocabSize: largest }), outside(argument, largest, largest), argument);
      expect(startSequence(make(), { prompt: [], vocabSize: largest + 1 }).history.vocabSize).toBe(largest + 1);
    });
  }

  it('reports the first id outside the vocabulary, in the order the option lists them', () => {
    const ramp = new EndOfSequenceRamp({ eosTokenIds: [3, 11, 4] });
    expectRuleLMError(() => ramp.checkVocabulary(4), outside('eosTokenIds', 11, 4), 'eosTokenIds');
    expectRuleLMError(() => ramp.checkVocabulary(3), outside('eosTokenIds', 3, 3), 'eosTokenIds');
    const chain = new Chain(new TokenBias({ biases: [{ token: 5, bias: 1 }] }), new EndOfSequenceRamp({ eosTokenIds: 7 }));
    expectRuleLMError(() => chain.checkVocabulary(5), outside('biases', 5, 5), 'biases');
    expectRuleLMError(() => chain.checkVocabulary(6), outside('eosTokenIds', 7, 6), 'eosTokenIds');
    const dry = new DRY({ multiplier: 1, sequenceBreakers: [[5, 2], 9] });
    expectRuleLMError(() => dry.checkVocabulary(6), outside('sequenceBreakers', 9, 6), 'sequenceBreakers');
    expectRuleLMError(() => dry.checkVocabulary(4), outside('sequenceBreakers', 5, 4), 'sequenceBreakers');
  });

  it('checks a dense position vector by its length', () => {
    const p = new PositionBias({ positions: [{ at: 2, biases: new Float32Array(6) }] });
    expect(() => p.checkVocabulary(6)).not.toThrow();
    expectRuleLMError(() => p.checkVocabulary(5), '`positions` has a dense vector of length 6 at t = 2, longer than the vocabulary of 5 ids', 'positions');
  });

  it('passes for processors without ids', () => {
    expect(() => new RepetitionPenalty({ mode: 'presence', penalty: 1 }).checkVocabulary(1)).not.toThrow();
    expect(() => new Chain().checkVocabulary(1)).not.toThrow();
    // The samplers hold no ids (DRY holds only its breakers).
    const samplers = [new TopK({ topK: 50 }), new TopP({ topP: 0.9 }), new MinP({ minP: 0.05 }), new TypicalP({ typicalP: 0.9 }), new EpsilonCutoff({ epsilon: 3e-4 }), new EtaCutoff({ epsilon: 2e-3 }), new TopNSigma({ n: 1 }), new XTC({ probability: 1 }), new NoRepeatNGram({ size: 3 }), new DRY({ multiplier: 1 })];
    for (const sampler of samplers) {
      expect(() => sampler.checkVocabulary(1)).not.toThrow();
      expect(startSequence(sampler, { prompt: [0], vocabSize: 1 }).history.vocabSize).toBe(1);
    }
  });

  it('is not done by the constructors: a processor is built without a vocabulary', () => {
    expect(() => new TokenBias({ biases: [{ token: 2 ** 31 - 1, bias: 1 }] })).not.toThrow();
    expect(() => new EndOfSequenceRamp({ eosTokenIds: 1_000_000 })).not.toThrow();
  });
});

