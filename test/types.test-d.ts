import type {
  Anchor,
  AnyProcessor,
  Boundary,
  Chain,
  EndOfSequenceRamp,
  EndOfSequenceRampState,
  Hewitt2024,
  Hewitt2024Rule,
  Hewitt2024TableRow,
  LogitsProcessor,
  PositionBias,
  ProductOfExperts,
  ReadonlyTokenHistory,
  RepetitionMode,
  RepetitionPenalty,
  RepetitionPenaltyState,
  ResolvedBias,
  Sequence,
  TextResolution,
  TokenBias,
  TokenBiasEntry,
  Vocabulary,
  VocabularyKind,
} from '../src/index';
import { describe, expectTypeOf, it } from 'vitest';
import {
  chain,
  createVocabulary,
  endOfSequenceRamp,
  hewitt2024,
  HEWITT2024,
  logSumExp,
  positionBias,
  productOfExperts,
  repetitionPenalty,
  resolveText,
  RuleLMError,
  startScore,
  startSequence,
  tokenBias,
  toVocabulary,
} from '../src/index';

const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '\u2581I'], eosTokenIds: 2 });

describe('literal kinds', () => {
  it('every factory returns its literal tag', () => {
    expectTypeOf(endOfSequenceRamp({ eosTokenIds: 2 }).kind).toEqualTypeOf<'end-of-sequence-ramp'>();
    expectTypeOf(repetitionPenalty({ mode: 'presence', penalty: 1 }).kind).toEqualTypeOf<'repetition-penalty'>();
    expectTypeOf(tokenBias({ biases: [{ token: 1, bias: 1 }] }).kind).toEqualTypeOf<'token-bias'>();
    expectTypeOf(positionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }] }).kind).toEqualTypeOf<'position-bias'>();
    expectTypeOf(productOfExperts({ experts: [{ processor: chain() }] }).kind).toEqualTypeOf<'product-of-experts'>();
    expectTypeOf(chain().kind).toEqualTypeOf<'chain'>();
    expectTypeOf(hewitt2024(vocabulary).kind).toEqualTypeOf<'chain'>();
  });

  it('processors are LogitsProcessors of their kind and state', () => {
    expectTypeOf<EndOfSequenceRamp>().toExtend<LogitsProcessor<'end-of-sequence-ramp', EndOfSequenceRampState>>();
    expectTypeOf<RepetitionPenalty>().toExtend<LogitsProcessor<'repetition-penalty', RepetitionPenaltyState>>();
    expectTypeOf<TokenBias>().toExtend<LogitsProcessor<'token-bias', null>>();
    expectTypeOf<PositionBias>().toExtend<AnyProcessor>();
    expectTypeOf<ProductOfExperts>().toExtend<AnyProcessor>();
    expectTypeOf<Hewitt2024>().toExtend<Chain>();
    expectTypeOf<EndOfSequenceRamp['createState']>().returns.toEqualTypeOf<EndOfSequenceRampState>();
    expectTypeOf<TokenBias['createState']>().returns.toEqualTypeOf<null>();
    expectTypeOf<LogitsProcessor['process']>().parameters.toEqualTypeOf<[row: Float32Array, state: unknown, history: ReadonlyTokenHistory, weight: number]>();
    expectTypeOf<LogitsProcessor['additive']>().toEqualTypeOf<boolean>();
  });

  it('inspection fields have precise types', () => {
    expectTypeOf(endOfSequenceRamp({ eosTokenIds: 2 }).biasAt).toEqualTypeOf<(t: number) => number | undefined>();
    expectTypeOf(endOfSequenceRamp({ eosTokenIds: 2 }).eosTokenIds).toEqualTypeOf<readonly number[]>();
    expectTypeOf(repetitionPenalty({ mode: 'frequency', penalty: 1 }).mode).toEqualTypeOf<RepetitionMode>();
    expectTypeOf(tokenBias({ biases: [{ token: 1, bias: 1 }] }).resolved).toEqualTypeOf<readonly ResolvedBias[]>();
    expectTypeOf(tokenBias({ biases: [{ token: 1, bias: 1 }] }).skipped).toEqualTypeOf<readonly string[]>();
    expectTypeOf(productOfExperts({ experts: [{ processor: chain() }] }).output).toEqualTypeOf<'logits' | 'log-probs'>();
    expectTypeOf(productOfExperts({ experts: [{ processor: chain() }] }).experts).toEqualTypeOf<readonly { readonly processor: AnyProcessor; readonly weight: number }[]>();
    expectTypeOf(positionBias({ positions: [{ at: 0, biases: new Float32Array(1) }] }).positions).toEqualTypeOf<readonly number[]>();
    expectTypeOf(chain().processors).toEqualTypeOf<readonly AnyProcessor[]>();
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
    endOfSequenceRamp({ eosTokenIds: 2, rampLenght: 100 });
    // @ts-expect-error: shape is a closed union
    endOfSequenceRamp({ eosTokenIds: 2, shape: 'cubic' });
    // @ts-expect-error: eosTokenIds is required
    endOfSequenceRamp({ maxBias: 3 });
    // @ts-expect-error: countFrom fallback misspelled
    endOfSequenceRamp({ eosTokenIds: 2, countFrom: { after: [1], fallbak: 'response' } });
    // @ts-expect-error: windw
    repetitionPenalty({ mode: 'presence', penalty: 1, windw: 3 });
    // @ts-expect-error: mode is a closed union
    repetitionPenalty({ mode: 'linear', penalty: 1 });
    // @ts-expect-error: tokenzer
    tokenBias({ biases: [{ token: 1, bias: 1 }], tokenzer: vocabulary });
    // @ts-expect-error: an entry with both token and text
    tokenBias({ biases: [{ token: 1, text: 'I', bias: 1 }] });
    // @ts-expect-error: boundary only with text
    tokenBias({ biases: [{ token: 1, bias: 1, boundary: 'none' }] });
    // @ts-expect-error: a bias is required
    tokenBias({ biases: [{ token: 1 }] });
    // @ts-expect-error: countfrom
    positionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }], countfrom: 'response' });
    // @ts-expect-error: dense biases must be a Float32Array
    positionBias({ positions: [{ at: 0, biases: new Float64Array(2) }] });
    // @ts-expect-error: basWeight
    productOfExperts({ experts: [{ processor: chain() }], basWeight: 1 });
    // @ts-expect-error: weigth
    productOfExperts({ experts: [{ processor: chain(), weigth: 1 }] });
    // @ts-expect-error: fidelty
    hewitt2024(vocabulary, { fidelty: 'clean' });
    // @ts-expect-error: rules record keys are the rule names
    hewitt2024(vocabulary, { rules: { eos: true, diversty: false } });
    // @ts-expect-error: system is not a marker
    hewitt2024(vocabulary, { markers: { system: '<|system|>' } });
    // @ts-expect-error: capacty
    startSequence(chain(), { prompt: [], vocabSize: 3, capacty: 10 });
    // @ts-expect-error: eosTokenId
    createVocabulary({ pieces: ['a'], eosTokenId: 0 });
    // @ts-expect-error: kind is a closed union
    createVocabulary({ pieces: ['a'], kind: 'bpe' });
  });

  it('the well-formed calls compile', () => {
    expectTypeOf(endOfSequenceRamp).toBeCallableWith({ eosTokenIds: [2, 3], shape: 'exponential', factor: 1.1, start: 10, countFrom: { after: [1, 2], fallback: 'response' } });
    expectTypeOf(repetitionPenalty).toBeCallableWith({ mode: 'multiplicative', penalty: 1.2, scope: 'sequence', window: 64, exempt: [0] });
    expectTypeOf(tokenBias).toBeCallableWith({ tokenizer: vocabulary, unresolved: 'skip', biases: [{ text: 'I', bias: -5, boundary: 'leading' }, { tokens: [1, 2], bias: 1 }, { token: 3, bias: 2 }] });
    expectTypeOf(hewitt2024).toBeCallableWith(vocabulary, { rules: 'eos-uniform', fidelity: 'clean', eosTokenIds: 2, markers: { user: [1], assistant: '<|assistant|>' } });
    expectTypeOf(hewitt2024).toBeCallableWith(vocabulary, { rules: { diversity: false } });
  });
});

describe('Sequence', () => {
  it('has process, push, append and a read-only history', () => {
    expectTypeOf(startSequence).returns.toEqualTypeOf<Sequence>();
    expectTypeOf<Sequence['process']>().toEqualTypeOf<(row: Float32Array) => Float32Array>();
    expectTypeOf<Sequence['push']>().toEqualTypeOf<(token: number) => void>();
    expectTypeOf<Sequence['append']>().toEqualTypeOf<(tokens: ArrayLike<number>) => void>();
    expectTypeOf<Sequence['history']>().toEqualTypeOf<ReadonlyTokenHistory>();
    const sequence = startSequence(chain(), { prompt: [1], vocabSize: 3 });
    // @ts-expect-error: the history is read-only
    sequence.history.length = 0;
    const other = startSequence(chain(), { prompt: [2], vocabSize: 3 });
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
  });
});
