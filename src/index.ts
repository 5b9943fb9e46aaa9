/**
 * The core of rulelm: composable logits processors that make a base language model follow
 * instructions without tuning (Hewitt, Liu, Liang and Manning, 2024). It has no dependency: it
 * works on `Float32Array` rows of logits and numeric token ids, so every runtime adapter
 * (`rulelm/transformers`) drives the same processors.
 *
 * @packageDocumentation
 * @module rulelm
 */
export { RuleLMError } from './core/errors';
export type { ReadonlyTokenHistory } from './core/history';
export { TokenHistory } from './core/history';
export { Processor } from './core/processor';
export type { MemberChanges, Sequence, SequenceOptions } from './core/sequence';
export { startSequence } from './core/sequence';
export type { ChainSpec } from './core/chain';
export { Chain } from './core/chain';
export type { Anchor } from './core/marker';
export type { TokenizerLike, Vocabulary, VocabularyKind, VocabularySource } from './core/vocabulary';
export { createVocabulary, toVocabulary } from './core/vocabulary';
export type { Boundary, TextResolution } from './core/resolve';
export { resolveMarker, resolveText } from './core/resolve';
export type { EndOfSequenceRampOptions, EndOfSequenceRampSpec, EndOfSequenceRampState } from './processors/end-of-sequence-ramp';
export { EndOfSequenceRamp } from './processors/end-of-sequence-ramp';
export type { RepetitionMode, RepetitionPenaltyOptions, RepetitionPenaltySpec, RepetitionPenaltyState } from './processors/repetition-penalty';
export { RepetitionPenalty } from './processors/repetition-penalty';
export type { ResolvedBias, TokenBiasEntry, TokenBiasOptions, TokenBiasSpec } from './processors/token-bias';
export { TokenBias } from './processors/token-bias';
export type { PositionBiasEntry, PositionBiasOptions, PositionBiasSpec, PositionBiasState } from './processors/position-bias';
export { PositionBias } from './processors/position-bias';
export type { Expert, ProductOfExpertsOptions, ProductOfExpertsSpec, ProductOfExpertsState } from './processors/product-of-experts';
export { ProductOfExperts, logSumExp } from './processors/product-of-experts';
export type { TopKOptions, TopKSpec } from './processors/top-k';
export { TopK } from './processors/top-k';
export type { TopPOptions, TopPSpec } from './processors/top-p';
export { TopP } from './processors/top-p';
export type { MinPOptions, MinPSpec } from './processors/min-p';
export { MinP } from './processors/min-p';
export type { TypicalPOptions, TypicalPSpec } from './processors/typical-p';
export { TypicalP } from './processors/typical-p';
export type { EpsilonCutoffOptions, EpsilonCutoffSpec } from './processors/epsilon-cutoff';
export { EpsilonCutoff } from './processors/epsilon-cutoff';
export type { EtaCutoffOptions, EtaCutoffSpec } from './processors/eta-cutoff';
export { EtaCutoff } from './processors/eta-cutoff';
export type { TopNSigmaOptions, TopNSigmaSpec } from './processors/top-n-sigma';
export { TopNSigma } from './processors/top-n-sigma';
export type { XTCOptions, XTCSpec, XTCState } from './processors/xtc';
export { XTC } from './processors/xtc';
export type { DRYOptions, DRYSequenceBreaker, DRYSpec, DRYState } from './processors/dry';
export { DRY } from './processors/dry';
export type { NoRepeatNGramOptions, NoRepeatNGramSpec, NoRepeatNGramState } from './processors/no-repeat-ngram';
export { NoRepeatNGram } from './processors/no-repeat-ngram';
export { ProbabilityCutoff, Truncation } from './processors/truncation';
export type { Hewitt2024, Hewitt2024Options, Hewitt2024Rule, Hewitt2024Spec, Hewitt2024TableRow } from './presets/hewitt2024';
export { hewitt2024 } from './presets/hewitt2024';
export { HEWITT2024, startScore } from './presets/hewitt2024-constants';
export type { Decoding, DecodingOptions, RandomSource } from './decoding/sampling';
export { argmax, decodingOptions, pickToken, seededRandom } from './decoding/sampling';
export type { AnchorSpec, ProcessorSpec, RuleSpec } from './serialization/types';
export type { ParseSpecOptions } from './serialization/parse';
export { parseSpec, toSpec } from './serialization/parse';
