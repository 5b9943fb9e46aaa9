import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { count, optionsOf } from '../serialization/schemas';
import { assertInRange, expWeights, keepThroughRank, rankAt, ranksBefore, scan, Truncation, weightScratch } from './truncation';

/** Options of {@link TopP}. */
export interface TopPOptions {
  /** The probability mass to keep (HF `top_p`), in [0, 1]. */
  readonly topP: number;
  /** Keep at least this many of the best tokens (HF `min_tokens_to_keep`). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of a {@link TopP}: its options. */
export interface TopPSpec extends TopPOptions {
  /** The kind. */
  readonly kind: 'top-p';
}

/**
 * Top-p (nucleus) truncation, as HF transformers' `TopPLogitsWarper`: tokens are ranked by score;
 * a token is kept when the probability of the tokens ranked before it is below `topP` (HF removes
 * those whose ascending cumulative probability is at most `1 - topP`), i.e. the smallest set of
 * best tokens whose mass reaches `topP`; the best `minTokensToKeep` are always kept; the rest
 * become `-Infinity`. transformers.js accepts `top_p` in a generation config and ignores it: add
 * this processor to `generate()` to get it.
 *
 * Ties: HF's order among equal scores is whatever `torch.sort` returns; here the lower id ranks
 * first (the token `argmax` and greedy decoding pick), so `topP` near 0 keeps exactly the greedy
 * token. `NaN` scores become `-Infinity`; with `+Infinity` scores present they hold all the
 * probability (shared equally). Per step: one pass for the maximum, one `exp` pass, a partial
 * selection (a histogram, refined only where the cut falls) and one masking pass; no sort.
 *
 * @example
 * ```ts
 * import { TopP, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new TopP({ topP: 0.5 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([0, Math.log(3), 0])); // probabilities 0.2, 0.6, 0.2: [-Infinity, 1.0986, -Infinity]
 * ```
 */
export class TopP extends Truncation {
  /** The kind. */
  readonly kind = 'top-p' as const;
  /** The mass kept. */
  readonly topP: number;

  /**
   * Creates a top-p truncation.
   *
   * @param options `topP` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: TopPOptions) {
    super(options, ['topP']);
    assertInRange('topP', options.topP, 0, 1, false);
    this.topP = options.topP;
  }

  /**
   * Masks the tokens outside the nucleus.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    const { max } = scan(row);
    if (max === -Infinity || this.topP >= 1) return;
    const weights = weightScratch(row.length);
    const total = expWeights(row, max, weights);
    // The first histogram spans the 32 nats below the best score (exp(-32) ~ 1e-14: the mass
    // beyond shares the last bucket, refined only if the cut falls there).
    let boundary = max === Infinity ? rankAt(row, row.length, -1, weights, this.topP * total) : rankAt(row, row.length, -1, weights, this.topP * total, 32, -max);
    if (boundary < 0) return;
    const keep = this.minTokensToKeep;
    if (keep > 1) {
      if (keep >= row.length) return;
      const least = rankAt(row, row.length, -1, undefined, keep);
      if (ranksBefore(row, boundary, least)) boundary = least;
    }
    keepThroughRank(row, boundary);
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "top-p", topP, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'top-p', topP: this.topP, minTokensToKeep: this.minTokensToKeep } satisfies TopPSpec;
  }

  /** How a top-p truncation is read from JSON. @internal */
  static readonly spec: SpecDefinition<TopPSpec> = {
    kind: 'top-p',
    schema: () => v.strictObject({ kind: v.literal('top-p'), topP: v.pipe(v.number(), v.minValue(0), v.maxValue(1)), minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new TopP(optionsOf(spec)),
  };
}
