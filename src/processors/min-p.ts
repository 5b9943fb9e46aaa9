import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { count, optionsOf } from '../serialization/schemas';
import { assertInRange, keepThroughRank, rankAt, scan, Truncation } from './truncation';

/** Options of {@link MinP}. */
export interface MinPOptions {
  /** The minimum probability relative to the best token's (HF `min_p`), in [0, 1]. */
  readonly minP: number;
  /** Keep at least this many of the best tokens (HF `min_tokens_to_keep`). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of a {@link MinP}: its options. */
export interface MinPSpec extends MinPOptions {
  /** The kind. */
  readonly kind: 'min-p';
}

/**
 * Min-p truncation, as HF transformers' `MinPLogitsWarper` (llama.cpp's `min_p` keeps the same
 * tokens): a token whose probability is below `minP` times the best token's becomes
 * `-Infinity` (computed as `exp(score - max) < minP`, the same ratio without normalizing), except
 * the best `minTokensToKeep` tokens. Ties at the threshold are kept (`<` removes); among equal
 * scores for `minTokensToKeep`, the lower id ranks first. `NaN` scores become `-Infinity`; with
 * `+Infinity` scores present only they have probability. Per step: one pass for the maximum and
 * one that compares and masks, plus a partial selection only when `minTokensToKeep` exceeds the
 * tokens kept.
 *
 * @example
 * ```ts
 * import { MinP, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new MinP({ minP: 0.1 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([0, -2, -3])); // exp(-3) < 0.1 <= exp(-2): [0, -2, -Infinity]
 * ```
 */
export class MinP extends Truncation {
  /** The kind. */
  readonly kind = 'min-p' as const;
  /** The relative threshold. */
  readonly minP: number;

  /**
   * Creates a min-p truncation.
   *
   * @param options `minP` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: MinPOptions) {
    super(options, ['minP']);
    assertInRange('minP', options.minP, 0, 1, false);
    this.minP = options.minP;
  }

  /**
   * Masks the tokens below the relative threshold.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    const { max } = scan(row);
    if (max === -Infinity) return;
    const minP = this.minP;
    const infinite = max === Infinity;
    // The ratio grows with the score, so the kept tokens are those scoring at least the lowest
    // kept score (ties at the threshold included): a prefix of the ranking.
    let kept = 0;
    let edge = Infinity;
    // exp(x - max) >= minP, with exp only near the cut (the same test, exactly, at ties).
    const cut = max + Math.log(minP);
    for (let i = 0; i < row.length; i++) {
      const x = row[i] as number;
      const keepIt = infinite ? x === Infinity || minP === 0 : x - cut > 1e-6 ? true : x - cut < -1e-6 ? false : Math.exp(x - max) >= minP;
      if (keepIt) {
        kept++;
        if (x < edge) edge = x;
      }
    }
    const keep = this.minTokensToKeep;
    if (kept < keep) {
      if (keep < row.length) keepThroughRank(row, rankAt(row, row.length, -1, undefined, keep));
      return;
    }
    for (let i = 0; i < row.length; i++) if ((row[i] as number) < edge) row[i] = -Infinity;
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "min-p", minP, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'min-p', minP: this.minP, minTokensToKeep: this.minTokensToKeep } satisfies MinPSpec;
  }

  /** How a min-p truncation is read from JSON. @internal */
  static readonly spec: SpecDefinition<MinPSpec> = {
    kind: 'min-p',
    schema: () => v.strictObject({ kind: v.literal('min-p'), minP: v.pipe(v.number(), v.minValue(0), v.maxValue(1)), minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new MinP(optionsOf(spec)),
  };
}
