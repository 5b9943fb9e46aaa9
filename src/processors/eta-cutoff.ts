import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { count, optionsOf } from '../serialization/schemas';
import { entropy, ProbabilityCutoff } from './truncation';

/** Options of {@link EtaCutoff}. */
export interface EtaCutoffOptions {
  /** HF `eta_cutoff`, in (0, 1): the cutoff is `min(epsilon, sqrt(epsilon) * exp(-entropy))`. */
  readonly epsilon: number;
  /** Keep at least the best this many (HF `min_tokens_to_keep`; ties with the last are kept). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of an {@link EtaCutoff}: its options. */
export interface EtaCutoffSpec extends EtaCutoffOptions {
  /** The kind. */
  readonly kind: 'eta-cutoff';
}

/**
 * Eta sampling (Hewitt et al. 2022), as HF transformers' `EtaLogitsWarper`: with `H` the entropy
 * of the row (nats), a token whose probability is below `eta = min(epsilon, sqrt(epsilon) *
 * exp(-H))` becomes `-Infinity`, unless its score is at least the `minTokensToKeep`-th largest
 * (ties kept). `NaN` scores become `-Infinity`; with `+Infinity` scores present only they have
 * probability. Per step: the maximum, one `exp` pass, the entropy pass and one masking pass.
 *
 * @example
 * ```ts
 * import { EtaCutoff, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new EtaCutoff({ epsilon: 0.09 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([Math.log(0.5), Math.log(0.45), Math.log(0.05)])); // eta = 0.09: the last goes
 * ```
 */
export class EtaCutoff extends ProbabilityCutoff {
  /** The kind. */
  readonly kind = 'eta-cutoff' as const;

  /**
   * Creates an eta cutoff.
   *
   * @param options `epsilon` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: EtaCutoffOptions) {
    super(options);
  }

  /**
   * The cutoff: `min(epsilon, sqrt(epsilon) * exp(-entropy))`.
   *
   * @param row Scores, without `NaN`.
   * @param max The maximum score.
   * @param weights Unnormalized probabilities of the row.
   * @param total Their sum.
   * @returns The cutoff.
   */
  protected cutoff(row: Float32Array, max: number, weights: Float32Array, total: number): number {
    return Math.min(this.epsilon, Math.sqrt(this.epsilon) * Math.exp(-entropy(row, max, weights, total)));
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "eta-cutoff", epsilon, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'eta-cutoff', epsilon: this.epsilon, minTokensToKeep: this.minTokensToKeep } satisfies EtaCutoffSpec;
  }

  /** How an eta cutoff is read from JSON. @internal */
  static readonly spec: SpecDefinition<EtaCutoffSpec> = {
    kind: 'eta-cutoff',
    schema: () => v.strictObject({ kind: v.literal('eta-cutoff'), epsilon: v.pipe(v.number(), v.gtValue(0), v.ltValue(1)), minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new EtaCutoff(optionsOf(spec)),
  };
}
