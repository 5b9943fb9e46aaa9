import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { Processor } from '../core/processor';
import { assertOptions, assertPositive } from '../core/validate';
import { finite, optionsOf } from '../serialization/schemas';
import { scan } from './truncation';

/** Options of {@link TopNSigma}. */
export interface TopNSigmaOptions {
  /** How many standard deviations below the best score a token may be (llama.cpp `top_n_sigma`), above 0. */
  readonly n: number;
}

/** The JSON spec of a {@link TopNSigma}: its options. */
export interface TopNSigmaSpec extends TopNSigmaOptions {
  /** The kind. */
  readonly kind: 'top-n-sigma';
}

/**
 * Top-nσ truncation (Tang et al. 2024), as llama.cpp's `top_n_sigma` sampler: with `mean` and
 * `σ` the mean and the population standard deviation of the scores above `-Infinity`, every
 * score below `max - n * σ` becomes `-Infinity` (ties at the threshold stay; the best token
 * always stays, so there is no `minTokensToKeep`). It works on scores (logits), not
 * probabilities, so it does not depend on temperature. llama.cpp treats `n <= 0` as "off";
 * here `n` must be above 0 (leave the processor out instead). Where llama.cpp lets a `NaN` or
 * `+Infinity` score turn `σ` into `NaN` and then keeps everything, rulelm rewrites `NaN` to
 * `-Infinity` (left out of the statistics) and, with `+Infinity` scores present, keeps only
 * those. Per step: one pass for the maximum, one for the mean, one for `σ`, one to mask.
 *
 * @example
 * ```ts
 * import { TopNSigma, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new TopNSigma({ n: 1 }), { prompt: [], vocabSize: 4 });
 * sequence.process(Float32Array.from([0, 0, 2, 2])); // mean 1, σ 1, threshold 1: [-Infinity, -Infinity, 2, 2]
 * ```
 */
export class TopNSigma extends Processor<null> {
  /** The kind. */
  readonly kind = 'top-n-sigma' as const;
  /** The number of standard deviations. */
  readonly n: number;

  /**
   * Creates a top-nσ truncation.
   *
   * @param options `n`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: TopNSigmaOptions) {
    super();
    assertOptions('options', options, ['n']);
    assertPositive('n', options.n);
    this.n = options.n;
  }

  /**
   * No per-sequence data.
   *
   * @returns `null`.
   */
  createState(): null {
    return null;
  }

  /**
   * Masks the scores more than `n` standard deviations below the best.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    const { max, live } = scan(row);
    if (max === -Infinity || live < 2) return;
    let threshold: number;
    if (max === Infinity) threshold = Infinity;
    else {
      let sum = 0;
      for (let i = 0; i < row.length; i++) {
        const x = row[i] as number;
        if (x > -Infinity) sum += x;
      }
      const mean = sum / live;
      let squares = 0;
      for (let i = 0; i < row.length; i++) {
        const x = row[i] as number;
        if (x > -Infinity) squares += (x - mean) * (x - mean);
      }
      threshold = max - this.n * Math.sqrt(squares / live);
    }
    for (let i = 0; i < row.length; i++) if ((row[i] as number) < threshold) row[i] = -Infinity;
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "top-n-sigma", n }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'top-n-sigma', n: this.n } satisfies TopNSigmaSpec;
  }

  /** How a top-nσ truncation is read from JSON. @internal */
  static readonly spec: SpecDefinition<TopNSigmaSpec> = {
    kind: 'top-n-sigma',
    schema: () => v.strictObject({ kind: v.literal('top-n-sigma'), n: finite }),
    fromSpec: (spec) => new TopNSigma(optionsOf(spec)),
  };
}
