import type { GenericSchema } from 'valibot';
import type { Processor } from '../core/processor';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import type { ChainSpec } from '../core/chain';
import type { EndOfSequenceRampSpec } from '../processors/end-of-sequence-ramp';
import type { PositionBiasSpec } from '../processors/position-bias';
import type { ProductOfExpertsSpec } from '../processors/product-of-experts';
import type { RepetitionPenaltySpec } from '../processors/repetition-penalty';
import type { TokenBiasSpec } from '../processors/token-bias';
import type { Hewitt2024Spec } from '../presets/hewitt2024';
import type { DRYSpec } from '../processors/dry';
import type { EpsilonCutoffSpec } from '../processors/epsilon-cutoff';
import type { EtaCutoffSpec } from '../processors/eta-cutoff';
import type { MinPSpec } from '../processors/min-p';
import type { NoRepeatNGramSpec } from '../processors/no-repeat-ngram';
import type { TopKSpec } from '../processors/top-k';
import type { TopNSigmaSpec } from '../processors/top-n-sigma';
import type { TopPSpec } from '../processors/top-p';
import type { TypicalPSpec } from '../processors/typical-p';
import type { XTCSpec } from '../processors/xtc';

/**
 * An anchor in a spec: where a processor counts from (the `Anchor` option, in JSON). A marker
 * anchor without `fallback` gets the processor's default, as the option does.
 */
export type AnchorSpec = 'response' | 'sequence' | { readonly after: readonly number[]; readonly fallback?: 'response' | 'sequence' };

/**
 * The JSON form of a processor: its `kind` and its options (the JSON-safe ones; token ids
 * instead of text where a tokenizer was needed). Each kind's spec is defined next to its class.
 */
export type ProcessorSpec =
  | ChainSpec
  | EndOfSequenceRampSpec
  | RepetitionPenaltySpec
  | TokenBiasSpec
  | PositionBiasSpec
  | ProductOfExpertsSpec
  | Hewitt2024Spec
  | TopKSpec
  | TopPSpec
  | MinPSpec
  | TypicalPSpec
  | EpsilonCutoffSpec
  | EtaCutoffSpec
  | TopNSigmaSpec
  | XTCSpec
  | DRYSpec
  | NoRepeatNGramSpec;

/** A rule spec document: a format version and the processor. */
export interface RuleSpec {
  /** The spec format version. */
  readonly rulelm: 1;
  /** The processor. */
  readonly processor: ProcessorSpec;
}

/**
 * What building a processor from its spec may use.
 *
 * @internal
 */
export interface SpecContext {
  /** The tokenizer given to `parseSpec`, for specs that hold text. */
  readonly tokenizer: Vocabulary | TokenizerLike | undefined;
  /**
   * Builds a nested processor (a chain member, an expert).
   *
   * @param spec The nested spec.
   * @param path Where it is in the document, for error messages (`spec.processor.processors[0]`).
   * @returns The processor.
   */
  build(spec: ProcessorSpec, path: string): Processor;
}

/**
 * How one kind of processor is read from JSON: its schema (checked by the compiler against its
 * spec type) and its construction from a checked spec. Each processor file defines its own.
 *
 * @template S The kind's spec type.
 * @internal
 */
export interface SpecDefinition<S extends { readonly kind: string }> {
  /** The kind it reads. */
  readonly kind: S['kind'];
  /**
   * The schema of the spec.
   *
   * @param processor The schema of any processor spec, for nested processors.
   * @returns The schema.
   */
  schema(processor: GenericSchema<unknown, ProcessorSpec>): GenericSchema<unknown, S>;
  /**
   * Builds the processor from a spec the schema accepted.
   *
   * @param spec The spec.
   * @param context The tokenizer and the builder of nested specs.
   * @param path Where it is in the document.
   * @returns The processor.
   */
  fromSpec(spec: S, context: SpecContext, path: string): Processor;
}
