// Options, errors and JSON specs of the samplers (the registry lists them once added there; until
// then each class's own `spec` is exercised directly).
import type { GenericSchema } from 'valibot';
import type { Processor } from '../../src/index';
import type { ProcessorSpec, SpecContext, SpecDefinition } from '../../src/serialization/types';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { DRY } from '../../src/processors/dry';
import { EpsilonCutoff } from '../../src/processors/epsilon-cutoff';
import { EtaCutoff } from '../../src/processors/eta-cutoff';
import { MinP } from '../../src/processors/min-p';
import { NoRepeatNGram } from '../../src/processors/no-repeat-ngram';
import { TopK } from '../../src/processors/top-k';
import { TopNSigma } from '../../src/processors/top-n-sigma';
import { TopP } from '../../src/processors/top-p';
import { TypicalP } from '../../src/processors/typical-p';
import { XTC } from '../../src/processors/xtc';
import { expectRuleLMError } from '../helpers/errors';

const context: SpecContext = {
  tokenizer: undefined,
  build: () => {
    throw new Error('no nested specs here');
  },
};

function roundTrip<S extends { readonly kind: string }>(definition: SpecDefinition<S>, processor: Processor): Processor {
  const json = JSON.parse(JSON.stringify(processor.toJSON?.())) as unknown;
  const spec = v.parse(definition.schema(undefined as unknown as GenericSchema<unknown, ProcessorSpec>), json);
  return definition.fromSpec(spec, context, 'spec');
}

describe('sampler specs', () => {
  const cases: [SpecDefinition<{ readonly kind: string }>, Processor, unknown][] = [
    [TopK.spec, new TopK({ topK: 5 }), { kind: 'top-k', topK: 5, minTokensToKeep: 1 }],
    [TopP.spec, new TopP({ topP: 0.9, minTokensToKeep: 2 }), { kind: 'top-p', topP: 0.9, minTokensToKeep: 2 }],
    [MinP.spec, new MinP({ minP: 0.05 }), { kind: 'min-p', minP: 0.05, minTokensToKeep: 1 }],
    [TypicalP.spec, new TypicalP({ typicalP: 0.95 }), { kind: 'typical-p', typicalP: 0.95, minTokensToKeep: 1 }],
    [EpsilonCutoff.spec, new EpsilonCutoff({ epsilon: 3e-4 }), { kind: 'epsilon-cutoff', epsilon: 3e-4, minTokensToKeep: 1 }],
    [EtaCutoff.spec, new EtaCutoff({ epsilon: 2e-3 }), { kind: 'eta-cutoff', epsilon: 2e-3, minTokensToKeep: 1 }],
    [TopNSigma.spec, new TopNSigma({ n: 1 }), { kind: 'top-n-sigma', n: 1 }],
    [XTC.spec, new XTC({ probability: 0.5, seed: 3 }), { kind: 'xtc', probability: 0.5, threshold: 0.1, minTokensToKeep: 1, seed: 3 }],
    [NoRepeatNGram.spec, new NoRepeatNGram({ size: 3 }), { kind: 'no-repeat-ngram', size: 3 }],
    [DRY.spec, new DRY({ multiplier: 0.8, lastN: 64, sequenceBreakers: [5, [6, 7]] }), { kind: 'dry', multiplier: 0.8, base: 1.75, allowedLength: 2, lastN: 64, sequenceBreakers: [5, [6, 7]] }],
  ];

  it.each(cases.map(([definition, processor, json]) => [processor.kind, definition, processor, json] as const))('%s: toJSON writes every option and the spec rebuilds an equal processor', (_kind, definition, processor, json) => {
    expect(processor.toJSON?.()).toEqual(json);
    const rebuilt = roundTrip(definition, processor);
    expect(rebuilt.constructor).toBe(processor.constructor);
    expect(rebuilt.toJSON?.()).toEqual(json);
  });

  it('rejects specs with unknown keys or out-of-range values', () => {
    const schema = (d: SpecDefinition<{ readonly kind: string }>): GenericSchema<unknown, unknown> => d.schema(undefined as unknown as GenericSchema<unknown, ProcessorSpec>);
    expect(v.safeParse(schema(TopP.spec), { kind: 'top-p', topP: 1.5 }).success).toBe(false);
    expect(v.safeParse(schema(TopK.spec), { kind: 'top-k', topK: 2, extra: 1 }).success).toBe(false);
    expect(v.safeParse(schema(TypicalP.spec), { kind: 'typical-p', typicalP: 1 }).success).toBe(false);
    expect(v.safeParse(schema(NoRepeatNGram.spec), { kind: 'no-repeat-ngram', size: 0 }).success).toBe(false);
    expect(v.safeParse(schema(DRY.spec), { kind: 'dry', multiplier: 1, sequenceBreakers: ['\n', [1, 2], 3] }).success).toBe(true);
  });
});

describe('sampler options', () => {
  it('name the bad option and say what was expected', () => {
    expectRuleLMError(() => new TopK({ topK: 0 }), '`topK` must be a positive integer, but is 0', 'topK');
    expectRuleLMError(() => new TopK({ topK: 3, minTokensToKeep: 0 }), '`minTokensToKeep` must be a positive integer, but is 0', 'minTokensToKeep');
    expectRuleLMError(() => new TopP({ topP: 1.2 }), '`topP` must be a number in [0, 1], but is 1.2', 'topP');
    expectRuleLMError(() => new MinP({ minP: -0.1 }), '`minP` must be a number in [0, 1], but is -0.1', 'minP');
    expectRuleLMError(() => new TypicalP({ typicalP: 1 }), '`typicalP` must be a number in (0, 1), but is 1', 'typicalP');
    expectRuleLMError(() => new EpsilonCutoff({ epsilon: 0 }), '`epsilon` must be a number in (0, 1), but is 0', 'epsilon');
    expectRuleLMError(() => new EtaCutoff({ epsilon: Number.NaN }), '`epsilon` must be a number in (0, 1), but is NaN', 'epsilon');
    expectRuleLMError(() => new TopNSigma({ n: 0 }), '`n` must be a finite number greater than 0, but is 0', 'n');
    expectRuleLMError(() => new XTC({ probability: 2 }), '`probability` must be a number in [0, 1], but is 2', 'probability');
    expectRuleLMError(() => new XTC({ probability: 1, seed: 0.5 }), '`seed` must be a safe integer, but is 0.5', 'seed');
    expectRuleLMError(() => new NoRepeatNGram({ size: 1.5 }), '`size` must be a positive integer, but is 1.5', 'size');
    expectRuleLMError(() => new DRY({ multiplier: 0 }), '`multiplier` must be a finite number greater than 0, but is 0', 'multiplier');
    expectRuleLMError(() => new DRY({ multiplier: 1, base: 0.5 }), '`base` must be a finite number of at least 1, but is 0.5', 'base');
    expectRuleLMError(() => new DRY({ multiplier: 1, allowedLength: 0 }), '`allowedLength` must be a positive integer, but is 0', 'allowedLength');
    expectRuleLMError(() => new DRY({ multiplier: 1, lastN: -1 }), '`lastN` must be a positive integer, but is -1', 'lastN');
    expectRuleLMError(() => new DRY({ multiplier: 1, sequenceBreakers: ['\n'] }), '`sequenceBreakers[0]` is text, so `tokenizer` is required', 'tokenizer');
    expectRuleLMError(() => new DRY({ multiplier: 1, sequenceBreakers: [[1, -2]] }), '`sequenceBreakers[0][1]` must be a token id (an integer of at least 0), but is -2', 'sequenceBreakers[0][1]');
    expectRuleLMError(() => new TopP({ topP: 0.5, top_p: 0.5 } as never), '`options` has an unknown option "top_p"; known options are `topP`, `minTokensToKeep`', 'options.top_p');
  });

  it('checks DRY breaker ids against the vocabulary when a sequence starts', () => {
    expectRuleLMError(() => startSequence(new DRY({ multiplier: 1, sequenceBreakers: [[1, 9]] }), { prompt: [], vocabSize: 8 }), '`sequenceBreakers` holds token id 9, outside a vocabulary of 8 ids (0 to 7)', 'sequenceBreakers');
  });
});
