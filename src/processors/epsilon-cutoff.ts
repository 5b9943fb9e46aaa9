import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { count, optionsOf } from '../serialization/schemas';
import { ProbabilityCutoff } from './truncation';

/** Options of {@link EpsilonCutoff}. */
export interface EpsilonCutoffOptions {
  /** The probability below which a token is cut (HF `epsilon_cutoff`), in (0, 1). */
  readonly epsilon: number;
  /** Keep at least the best this many (HF `min_tokens_to_keep`; ties with the last are kept). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of an {@link EpsilonCutoff}: its options. */
export interface EpsilonCutoffSpec extends EpsilonCutoffOptions {
  /** The kind. */
  readonly kind: 'epsilon-cutoff';
}

/**
 * Epsilon sampling (Hewitt et al. 2022, "Truncation Sampling as Language Model Desmoothing"), as
 * HF transformers' `EpsilonLogitsWarper`: a token whose probability is below `epsilon` becomes
 * `-Infinity`, unless its score is at least the `minTokensToKeep`-th largest (ties kept, as HF's
 * `topk` comparison does). `NaN` scores become `-Infinity`; with `+Infinity` scores present only
 * they have probability. Per step: the maximum, one `exp` pass and one masking pass (plus a
 * partial selection when `minTokensToKeep` is above 1).
 *
 * @example
 * ```ts
 * import { EpsilonCutoff, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new EpsilonCutoff({ epsilon: 0.1 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([Math.log(0.5), Math.log(0.45), Math.log(0.05)])); // the last becomes -Infinity
 * ```
 */
export class EpsilonCutoff extends ProbabilityCutoff {
  /** The kind. */
  readonly kind = 'epsilon-cutoff' as const;

  /**
   * Creates an epsilon cutoff.
   *
   * @param options `epsilon` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: EpsilonCutoffOptions) {
    super(options);
  }

  /**
   * The cutoff: `epsilon`.
   *
   * @returns `epsilon`.
   */
  protected cutoff(): number {
    return this.epsilon;
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "epsilon-cutoff", epsilon, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'epsilon-cutoff', epsilon: this.epsilon, minTokensToKeep: this.minTokensToKeep } satisfies EpsilonCutoffSpec;
  }

  /** How an epsilon cutoff is read from JSON. @internal */
  static readonly spec: SpecDefinition<EpsilonCutoffSpec> = {
    kind: 'epsilon-cutoff',
    schema: () => v.strictObject({ kind: v.literal('epsilon-cutoff'), epsilon: v.pipe(v.number(), v.gtValue(0), v.ltValue(1)), minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new EpsilonCutoff(optionsOf(spec)),
  };
}
