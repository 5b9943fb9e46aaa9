/**
 * rulelm: composable logits processors that make a base language model follow instructions
 * without tuning (Hewitt, Liu, Liang and Manning, 2024). The core has no dependency: it works on
 * `Float32Array` rows and numeric token ids. The transformers.js adapter is `rulelm/transformers`.
 *
 * @packageDocumentation
 */
export { RuleLMError } from './core/errors';
export type { ReadonlyTokenHistory } from './core/history';
export { TokenHistory } from './core/history';
export type { AnyProcessor, LogitsProcessor } from './core/processor';
export type { Sequence, SequenceOptions } from './core/sequence';
export { startSequence } from './core/sequence';
export type { Chain } from './core/chain';
export { chain } from './core/chain';
export type { Anchor } from './core/marker';
export type { TokenizerLike, Vocabulary, VocabularyKind, VocabularySource } from './core/vocabulary';
export { createVocabulary, toVocabulary } from './core/vocabulary';
export type { Boundary, TextResolution } from './core/resolve';
export { resolveMarker, resolveText } from './core/resolve';
export type { EndOfSequenceRamp, EndOfSequenceRampOptions, EndOfSequenceRampState } from './processors/end-of-sequence-ramp';
export { endOfSequenceRamp } from './processors/end-of-sequence-ramp';
export type { RepetitionMode, RepetitionPenalty, RepetitionPenaltyOptions, RepetitionPenaltyState } from './processors/repetition-penalty';
export { repetitionPenalty } from './processors/repetition-penalty';
export type { ResolvedBias, TokenBias, TokenBiasEntry, TokenBiasOptions } from './processors/token-bias';
export { tokenBias } from './processors/token-bias';
export type { PositionBias, PositionBiasEntry, PositionBiasOptions, PositionBiasState } from './processors/position-bias';
export { positionBias } from './processors/position-bias';
export type { Expert, ProductOfExperts, ProductOfExpertsOptions, ProductOfExpertsState } from './processors/product-of-experts';
export { logSumExp, productOfExperts } from './processors/product-of-experts';
export type { Hewitt2024, Hewitt2024Options, Hewitt2024Rule, Hewitt2024TableRow } from './presets/hewitt2024';
export { hewitt2024 } from './presets/hewitt2024';
export { HEWITT2024, startScore } from './presets/hewitt2024-constants';
export type { Decoding, DecodingOptions, RandomSource } from './decoding/sampling';
export { argmax, decodingOptions, pickToken, seededRandom } from './decoding/sampling';
export type { AnchorSpec, ProcessorSpec, RuleSpec, TokenBiasEntrySpec } from './spec/types';
export type { ParseSpecOptions } from './spec/parse';
export { parseSpec, toSpec } from './spec/parse';
