import type { Anchor, Boundary, EndOfSequenceRampState, Hewitt2024, Hewitt2024Rule, Hewitt2024TableRow, MemberChanges, ProcessorSpec, ReadonlyTokenHistory, RepetitionMode, RepetitionPenaltyState, ResolvedBias, RuleSpec, Sequence, TextResolution, TokenBiasEntry, Vocabulary, VocabularyKind } from '../src/index';
import { describe, expectTypeOf, it } from 'vitest';
import { Chain, createVocabulary, DRY, EndOfSequenceRamp, EpsilonCutoff, EtaCutoff, hewitt2024, HEWITT2024, logSumExp, MinP, NoRepeatNGram, parseSpec, PositionBias, Processor, ProductOfExperts, RepetitionPenalty, resolveText, RuleLMError, startScore, startSequence, TokenBias, TopK, TopNSigma, TopP, toSpec, toVocabulary, TypicalP, XTC } from '../src/index';

const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '\u2581I'], eosTokenIds: 2 });

describe('literal kinds', () => {
  it('every class has its literal tag', () => {
    expectTypeOf(new EndOfSequenceRamp({ eosTokenIds: 2 }).kind).toEqualTypeOf<'end-of-sequence-ramp'>();
    expectTypeOf(new RepetitionPenalty({ mode: 'presence', penalty: 1 }).kind).toEqualTypeOf<'repetition-penalty'>();
    expectTypeOf(new TokenBias({ biases: [{ token: 1, bias: 1 }] }).kind).toEqualTypeOf<'token-bias'>();
    expectTypeOf(new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }] }).kind).toEqualTypeOf<'position-bias'>();
    expectTypeOf(new ProductOfExperts({ experts: [{ processor: new Chain() }] }).kind).toEqualTypeOf<'product-of-experts'>();
    expectTypeOf(new Chain().kind).toEqualTypeOf<'chain'>();
    expectTypeOf(hewitt2024(vocabulary).kind).toEqualTypeOf<'chain'>();
    expectTypeOf(new TopK({ topK: 5 }).kind).toEqualTypeOf<'top-k'>();
    expectTypeOf(new TopP({ topP: 0.9 }).kind).toEqualTypeOf<'top-p'>();
    expectTypeOf(new MinP({ minP: 0.05 }).kind).toEqualTypeOf<'min-p'>();
    expectTypeOf(new TypicalP({ typicalP: 0.9 }).kind).toEqualTypeOf<'typical-p'>();
    expectTypeOf(new EpsilonCutoff({ epsilon: 3e-4 }).kind).toEqualTypeOf<'epsilon-cutoff'>();
    expectTypeOf(new EtaCutoff({ epsilon: 2e-3 }).kind).toEqualTypeOf<'eta-cutoff'>();
    expectTypeOf(new TopNSigma({ n: 1 }).kind).toEqualTypeOf<'top-n-sigma'>();
    expectTypeOf(new XTC({ probability: 0.5 }).kind).toEqualTypeOf<'xtc'>();
    expectTypeOf(new DRY({ multiplier: 0.8 }).kind).toEqualTypeOf<'dry'>();
    expectTypeOf(new NoRepeatNGram({ size: 3 }).kind).toEqualTypeOf<'no-repeat-ngram'>();
  });

  it('processors are Processors of their state', () => {
    expectTypeOf<EndOfSequenceRamp>().toExtend<Processor<EndOfSequenceRampState>>();
    expectTypeOf<RepetitionPenalty>().toExtend<Processor<RepetitionPenaltyState>>();
    expectTypeOf<TokenBias>().toExtend<Processor<null>>();
    expectTypeOf<PositionBias>().toExtend<Processor>();
    expectTypeOf<ProductOfExperts>().toExtend<Processor>();
    expectTypeOf<Chain>().toExtend<Processor<unknown[]>>();
    expectTypeOf<Hewitt2024>().toExtend<Chain>();
    expectTypeOf<EndOfSequenceRamp['createState']>().returns.toEqualTypeOf<EndOfSequenceRampState>();
    expectTypeOf<TokenBias['createState']>().returns.toEqualTypeOf<null>();
    expectTypeOf<Processor['process']>().parameters.toEqualTypeOf<[row: Float32Array, state: unknown, history: ReadonlyTokenHistory, weight: number]>();
    expectTypeOf<Processor<{ n: number }>['process']>().parameters.toEqualTypeOf<[row: Float32Array, state: { n: number }, history: ReadonlyTokenHistory, weight: number]>();
    expectTypeOf<Processor<{ n: number }>['update']>().parameters.toEqualTypeOf<[state: { n: number }, history: ReadonlyTokenHistory, from: number]>();
    expectTypeOf<Processor<{ n: number }>['createState']>().returns.toEqualTypeOf<{ n: number }>();
    expectTypeOf<Processor['additive']>().toEqualTypeOf<boolean>();
    expectTypeOf<Processor['kind']>().toEqualTypeOf<string>();
    expectTypeOf<Processor['members']>().toEqualTypeOf<readonly Processor[]>();
    expectTypeOf<Processor['checkVocabulary']>().toEqualTypeOf<(vocabSize: number) => void>();
    expectTypeOf<Processor['toJSON']>().toEqualTypeOf<(() => ProcessorSpec) | undefined>();
  });
  it('inspection fields have precise types', () => {
    expectTypeOf(new EndOfSequenceRamp({ eosTokenIds: 2 }).biasAt).toEqualTypeOf<(t: number) => number | undefined>();
    expectTypeOf(new EndOfSequenceRamp({ eosTokenIds: 2 }).eosTokenIds).toEqualTypeOf<readonly number[]>();
    expectTypeOf(new RepetitionPenalty({ mode: 'frequency', penalty: 1 }).mode).toEqualTypeOf<RepetitionMode>();
    expectTypeOf(new TokenBias({ biases: [{ token: 1, bias: 1 }] }).resolved).toEqualTypeOf<readonly ResolvedBias[]>();
    expectTypeOf(new TokenBias({ biases: [{ token: 1, bias: 1 }] }).skipped).toEqualTypeOf<readonly string[]>();
    expectTypeOf(new ProductOfExperts({ experts: [{ processor: new Chain() }] }).output).toEqualTypeOf<'logits' | 'log-probs'>();
    expectTypeOf(new ProductOfExperts({ experts: [{ processor: new Chain() }] }).experts).toEqualTypeOf<readonly { readonly processor: Processor; readonly weight: number }[]>();
    expectTypeOf(new PositionBias({ positions: [{ at: 0, biases: new Float32Array(1) }] }).positions).toEqualTypeOf<readonly number[]>();
    expectTypeOf(new Chain().processors).toEqualTypeOf<readonly Processor[]>();
    expectTypeOf(logSumExp).toEqualTypeOf<(row: Float32Array) => number>();
    expectTypeOf(startScore).toEqualTypeOf<(piece: string) => number>();
  });
});

describe('unions', () => {
  it('modes, anchors, boundaries, kinds and rules are closed string unions', () => {
    expectTypeOf<RepetitionMode>().toEqualTypeOf<'presence' | 'frequency' | 'multiplicative'>();
    expectTypeOf<Boundary>().toEqualTypeOf<'both' | 'leading' | 'none'>();
    expectTypeOf<VocabularyKind>().toEqualTypeOf<'sentencepiece' | 'byte-level' | 'plain'>();
    expectTypeOf<Hewitt2024Rule>().toEqualTypeOf<'eos' | 'uniform' | 'diversity' | 'start'>();
    expectTypeOf<Anchor>().toEqualTypeOf<'response' | 'sequence' | { readonly after: readonly number[]; readonly fallback?: 'response' | 'sequence' }>();
  });

  it('tokenBias entries are a discriminated union: exactly one of token, tokens, text', () => {
    expectTypeOf<Extract<TokenBiasEntry, { token: number }>>().toEqualTypeOf<{
      readonly token: number;
      readonly bias: number;
      readonly tokens?: never;
      readonly text?: never;
      readonly boundary?: never;
    }>();
    expectTypeOf<Extract<TokenBiasEntry, { text: string }>['boundary']>().toEqualTypeOf<Boundary | undefined>();
    expectTypeOf<Extract<TokenBiasEntry, { tokens: readonly number[] }>['tokens']>().toEqualTypeOf<readonly number[]>();
    const entry = {} as TokenBiasEntry;
    if (entry.text !== undefined) expectTypeOf(entry).toEqualTypeOf<Extract<TokenBiasEntry, { text: string }>>();
    if ('tokens' in entry && entry.tokens !== undefined) expectTypeOf(entry.tokens).toEqualTypeOf<readonly number[]>();
    expectTypeOf<{ token: 1; bias: 2 }>().toExtend<TokenBiasEntry>();
    expectTypeOf<{ tokens: number[]; bias: 2 }>().toExtend<TokenBiasEntry>();
    expectTypeOf<{ text: 'I'; bias: 2; boundary: 'leading' }>().toExtend<TokenBiasEntry>();
    expectTypeOf<{ token: 1; text: 'I'; bias: 2 }>().not.toExtend<TokenBiasEntry>();
    expectTypeOf<{ token: 1; tokens: [1, 2]; bias: 2 }>().not.toExtend<TokenBiasEntry>();
    expectTypeOf<{ token: 1; bias: 2; boundary: 'none' }>().not.toExtend<TokenBiasEntry>();
    expectTypeOf<{ bias: 2 }>().not.toExtend<TokenBiasEntry>();
  });
});

describe('options reject unknown keys and wrong values at the type level', () => {
  it('object literals with misspelled options do not compile', () => {
    // @ts-expect-error: rampLenght
    new EndOfSequenceRamp({ eosTokenIds: 2, rampLenght: 100 });
    // @ts-expect-error: shape is a closed union
    new EndOfSequenceRamp({ eosTokenIds: 2, shape: 'cubic' });
    // @ts-expect-error: eosTokenIds is required
    new EndOfSequenceRamp({ maxBias: 3 });
    // @ts-expect-error: countFrom fallback misspelled
    new EndOfSequenceRamp({ eosTokenIds: 2, countFrom: { after: [1], fallbak: 'response' } });
    // @ts-expect-error: windw
    new RepetitionPenalty({ mode: 'presence', penalty: 1, windw: 3 });
    // @ts-expect-error: mode is a closed union
    new RepetitionPenalty({ mode: 'linear', penalty: 1 });
    // @ts-expect-error: tokenzer
    new TokenBias({ biases: [{ token: 1, bias: 1 }], tokenzer: vocabulary });
    // @ts-expect-error: an entry with both token and text
    new TokenBias({ biases: [{ token: 1, text: 'I', bias: 1 }] });
    // @ts-expect-error: boundary only with text
    new TokenBias({ biases: [{ token: 1, bias: 1, boundary: 'none' }] });
    // @ts-expect-error: a bias is required
    new TokenBias({ biases: [{ token: 1 }] });
    // @ts-expect-error: countfrom
    new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }], countfrom: 'response' });
    // @ts-expect-error: dense biases must be a Float32Array
    new PositionBias({ positions: [{ at: 0, biases: new Float64Array(2) }] });
    // @ts-expect-error: basWeight
    new ProductOfExperts({ experts: [{ processor: new Chain() }], basWeight: 1 });
    // @ts-expect-error: weigth
    new ProductOfExperts({ experts: [{ processor: new Chain(), weigth: 1 }] });
    // @ts-expect-error: fidelty
    hewitt2024(vocabulary, { fidelty: 'clean' });
    // @ts-expect-error: rules record keys are the rule names
    hewitt2024(vocabulary, { rules: { eos: true, diversty: false } });
    // @ts-expect-error: system is not a marker
    hewitt2024(vocabulary, { markers: { system: '<|system|>' } });
    // @ts-expect-error: capacty
    startSequence(new Chain(), { prompt: [], vocabSize: 3, capacty: 10 });
    // @ts-expect-error: eosTokenId
    createVocabulary({ pieces: ['a'], eosTokenId: 0 });
    // @ts-expect-error: kind is a closed union
    createVocabulary({ pieces: ['a'], kind: 'bpe' });
  });

  it('the well-formed calls compile', () => {
    expectTypeOf(EndOfSequenceRamp).toBeConstructibleWith({ eosTokenIds: [2, 3], shape: 'exponential', factor: 1.1, start: 10, countFrom: { after: [1, 2], fallback: 'response' } });
    expectTypeOf(EndOfSequenceRamp).toBeConstructibleWith({ eosTokenIds: 2 });
    expectTypeOf(RepetitionPenalty).toBeConstructibleWith({ mode: 'multiplicative', penalty: 1.2, scope: 'sequence', window: 64, exempt: [0] });
    expectTypeOf(TokenBias).toBeConstructibleWith({ tokenizer: vocabulary, unresolved: 'skip', biases: [{ text: 'I', bias: -5, boundary: 'leading' }, { tokens: [1, 2], bias: 1 }, { token: 3, bias: 2 }] });
    expectTypeOf(PositionBias).toBeConstructibleWith({ positions: [{ at: 0, biases: new Float32Array(4) }, { at: 1, biases: [{ token: 1, bias: 2 }] }], countFrom: { after: [3] } });
    expectTypeOf(ProductOfExperts).toBeConstructibleWith({ baseWeight: 0.5, output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: 1 }] }), weight: 2 }] });
    expectTypeOf(new Chain(new Chain(), [new TokenBias({ biases: [{ token: 1, bias: 1 }] })], hewitt2024(vocabulary))).toEqualTypeOf<Chain>();
    expectTypeOf(new Chain()).toEqualTypeOf<Chain>();
    expectTypeOf(hewitt2024).toBeCallableWith(vocabulary, { rules: 'eos-uniform', fidelity: 'clean', eosTokenIds: 2, markers: { user: [1], assistant: '<|assistant|>' } });
    expectTypeOf(hewitt2024).toBeCallableWith(vocabulary, { rules: { diversity: false } });
  });

  it('a chain takes processors, not look-alikes or numbers', () => {
    const lookAlike = { kind: 'x', additive: true, createState: () => null, update: () => undefined, process: () => undefined };
    // @ts-expect-error: a plain object is not a Processor
    new Chain(lookAlike);
    // @ts-expect-error: nor is a number
    new Chain(new Chain(), 5);
    // @ts-expect-error: an expert's processor must be a Processor
    new ProductOfExperts({ experts: [{ processor: lookAlike }] });
    // @ts-expect-error: so must startSequence's
    startSequence(lookAlike, { prompt: [], vocabSize: 3 });
  });
});

describe('Processor: the base class of your own', () => {
  class Counter extends Processor<{ count: number }> {
    readonly kind = 'counter' as const;
    createState(): { count: number } {
      return { count: 0 };
    }
    override update(state: { count: number }, history: ReadonlyTokenHistory, from: number): void {
      state.count += history.length - from;
    }
    process(row: Float32Array, state: { count: number }): void {
      row[0]! -= state.count;
    }
  }

  it('is abstract and generic in its state', () => {
    // @ts-expect-error: Processor is abstract
    new Processor();
    expectTypeOf(new Counter()).toExtend<Processor<{ count: number }>>();
    expectTypeOf(new Counter()).toExtend<Processor>();
    expectTypeOf(new Counter().createState()).toEqualTypeOf<{ count: number }>();
    expectTypeOf(new Counter().kind).toEqualTypeOf<'counter'>();
    expectTypeOf(startSequence).toBeCallableWith(new Counter(), { prompt: [], vocabSize: 3 });
    expectTypeOf(new Chain(new Counter(), new TokenBias({ biases: [{ token: 1, bias: 1 }] }))).toEqualTypeOf<Chain>();
  });

  it('a subclass must implement kind, createState and process', () => {
    // @ts-expect-error: process is missing
    class NoProcess extends Processor<null> {
      readonly kind = 'no-process';
      createState(): null {
        return null;
      }
    }
    // @ts-expect-error: kind is missing
    class NoKind extends Processor<null> {
      createState(): null {
        return null;
      }
      process(): void {}
    }
    expectTypeOf<NoProcess | NoKind>().not.toBeAny();
  });

  it('Processor.isInstance narrows unknown to Processor', () => {
    expectTypeOf(Processor.isInstance).guards.toEqualTypeOf<Processor>();
    const value: unknown = new Counter();
    if (Processor.isInstance(value)) {
      expectTypeOf(value).toEqualTypeOf<Processor>();
      expectTypeOf(value.kind).toEqualTypeOf<string>();
      expectTypeOf(value.checkVocabulary).toBeCallableWith(10);
    }
  });
});

describe('Sequence', () => {
  it('has process, push, append and a read-only history', () => {
    expectTypeOf(startSequence).returns.toEqualTypeOf<Sequence>();
    expectTypeOf<Sequence['process']>().toEqualTypeOf<(row: Float32Array) => Float32Array>();
    expectTypeOf<Sequence['push']>().toEqualTypeOf<(token: number) => void>();
    expectTypeOf<Sequence['append']>().toEqualTypeOf<(tokens: ArrayLike<number>) => void>();
    expectTypeOf<Sequence['history']>().toEqualTypeOf<ReadonlyTokenHistory>();
    expectTypeOf<Sequence['processor']>().toEqualTypeOf<Processor>();
    expectTypeOf<Sequence['trace']>().toEqualTypeOf<(row: Float32Array, report: (changes: MemberChanges) => void) => Float32Array>();
    expectTypeOf<MemberChanges>().toEqualTypeOf<{
      readonly processorIndex: number;
      readonly kind: string;
      readonly changes: readonly { readonly token: number; readonly delta: number }[];
    }>();
    const sequence = startSequence(new Chain(), { prompt: [1], vocabSize: 3 });
    // @ts-expect-error: the history is read-only
    sequence.history.length = 0;
    const other = startSequence(new Chain(), { prompt: [2], vocabSize: 3 });
    // @ts-expect-error: so is the sequence's history field
    sequence.history = other.history;
    expectTypeOf<ReadonlyTokenHistory>().toEqualTypeOf<{
      readonly tokens: Int32Array;
      readonly length: number;
      readonly promptLength: number;
      readonly responseLength: number;
      readonly vocabSize: number;
    }>();
  });
});

describe('hewitt2024', () => {
  it('returns a Hewitt2024, assignable to Chain and Processor', () => {
    expectTypeOf(hewitt2024).returns.toEqualTypeOf<Hewitt2024>();
    expectTypeOf(hewitt2024(vocabulary)).toExtend<Chain>();
    expectTypeOf(hewitt2024(vocabulary)).toExtend<Processor>();
    const chain: Chain = hewitt2024(vocabulary);
    expectTypeOf(chain.processors).toEqualTypeOf<readonly Processor[]>();
  });

  it('has a typed table and report', () => {
    expectTypeOf<Hewitt2024['table']>().toEqualTypeOf<readonly Hewitt2024TableRow[]>();
    expectTypeOf<Hewitt2024TableRow>().toEqualTypeOf<{
      readonly rule: Hewitt2024Rule;
      readonly id: number;
      readonly piece: string;
      readonly bias: number;
      readonly when: string;
    }>();
    expectTypeOf<Hewitt2024['rules']>().toEqualTypeOf<readonly Hewitt2024Rule[]>();
    expectTypeOf<Hewitt2024['fidelity']>().toEqualTypeOf<'reference' | 'clean'>();
    expectTypeOf<Hewitt2024['markers']>().toEqualTypeOf<{ readonly user: readonly number[]; readonly assistant: readonly number[] } | undefined>();
    expectTypeOf<Hewitt2024['skipped']>().toEqualTypeOf<readonly string[]>();
  });

  it('HEWITT2024 is read-only', () => {
    expectTypeOf(HEWITT2024.uniform).toEqualTypeOf<readonly { readonly id: number; readonly piece: string; readonly text: string; readonly boundary: Boundary; readonly bias: number }[]>();
    // @ts-expect-error: read-only constant
    HEWITT2024.diversityPenalty = 2;
    // @ts-expect-error: read-only rows
    HEWITT2024.uniform[0]!.bias = 2;
  });
});

describe('serialization', () => {
  it('toSpec and parseSpec', () => {
    expectTypeOf(toSpec).parameters.toEqualTypeOf<[processor: Processor]>();
    expectTypeOf(toSpec).returns.toEqualTypeOf<RuleSpec>();
    expectTypeOf(parseSpec).returns.toEqualTypeOf<Processor>();
    expectTypeOf<RuleSpec['processor']>().toEqualTypeOf<ProcessorSpec>();
    expectTypeOf<ProcessorSpec['kind']>().toEqualTypeOf<'chain' | 'end-of-sequence-ramp' | 'repetition-penalty' | 'token-bias' | 'position-bias' | 'product-of-experts' | 'hewitt2024' | 'top-k' | 'top-p' | 'min-p' | 'typical-p' | 'epsilon-cutoff' | 'eta-cutoff' | 'top-n-sigma' | 'xtc' | 'dry' | 'no-repeat-ngram'>();
    expectTypeOf(new TokenBias({ biases: [{ token: 1, bias: 1 }] }).toJSON()).toEqualTypeOf<ProcessorSpec>();
  });

  it('each class reads its own kind from JSON', () => {
    expectTypeOf(EndOfSequenceRamp.spec.kind).toEqualTypeOf<'end-of-sequence-ramp'>();
    expectTypeOf(RepetitionPenalty.spec.kind).toEqualTypeOf<'repetition-penalty'>();
    expectTypeOf(TokenBias.spec.kind).toEqualTypeOf<'token-bias'>();
    expectTypeOf(PositionBias.spec.kind).toEqualTypeOf<'position-bias'>();
    expectTypeOf(ProductOfExperts.spec.kind).toEqualTypeOf<'product-of-experts'>();
    expectTypeOf(Chain.spec.kind).toEqualTypeOf<'chain'>();
  });
});

describe('vocabularies and errors', () => {
  it('resolveText and toVocabulary', () => {
    expectTypeOf(resolveText(vocabulary, 'I')).toEqualTypeOf<TextResolution>();
    expectTypeOf(toVocabulary(vocabulary)).toEqualTypeOf<Vocabulary>();
    expectTypeOf<Vocabulary['encode']>().toEqualTypeOf<((text: string) => readonly number[]) | undefined>();
  });

  it('RuleLMError.isInstance is a type guard with an optional argument field', () => {
    expectTypeOf(RuleLMError.isInstance).guards.toEqualTypeOf<RuleLMError>();
    expectTypeOf<RuleLMError['argument']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RuleLMError>().toExtend<Error>();
    expectTypeOf(RuleLMError).toBeConstructibleWith('message');
    expectTypeOf(RuleLMError).toBeConstructibleWith('message', { argument: 'x', cause: new Error('inner') });
    const error: unknown = new RuleLMError('x');
    if (RuleLMError.isInstance(error)) expectTypeOf(error.argument).toEqualTypeOf<string | undefined>();
  });
});
