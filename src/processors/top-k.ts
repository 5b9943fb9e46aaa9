import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { assertPositiveInteger } from '../core/validate';
import { count, optionsOf } from '../serialization/schemas';
import { rankAt, scan, Truncation } from './truncation';

/** Options of {@link TopK}. */
export interface TopKOptions {
  /** How many of the best tokens to keep (HF `top_k`): an integer of at least 1. */
  readonly topK: number;
  /** Keep at least this many (HF `min_tokens_to_keep`; the kept count is `max(topK, minTokensToKeep)`). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of a {@link TopK}: its options. */
export interface TopKSpec extends TopKOptions {
  /** The kind. */
  readonly kind: 'top-k';
}

/**
 * Top-k truncation, as HF transformers' `TopKLogitsWarper`: every score below the k-th largest
 * becomes `-Infinity`, with `k = min(max(topK, minTokensToKeep), vocabulary size)`. Ties with the
 * k-th score are all kept (so more than k tokens may stay), as HF's `scores < topk(...)[-1]`
 * does. Scores already `-Infinity` count as tokens (HF's `topk` counts them too), so a row with
 * fewer than k live scores is left as is. `NaN` scores become `-Infinity` (HF's `topk` would rank
 * `NaN` first and keep it). Per step: one pass, a partial selection, one masking pass; no sort.
 *
 * @example
 * ```ts
 * import { TopK, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new TopK({ topK: 2 }), { prompt: [], vocabSize: 4 });
 * sequence.process(Float32Array.from([1, 3, 2, 3])); // [-Infinity, 3, -Infinity, 3]: ties kept
 * ```
 */
export class TopK extends Truncation {
  /** The kind. */
  readonly kind = 'top-k' as const;
  /** The number of tokens kept. */
  readonly topK: number;

  /**
   * Creates a top-k truncation.
   *
   * @param options `topK` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: TopKOptions) {
    super(options, ['topK']);
    assertPositiveInteger('topK', options.topK);
    this.topK = options.topK;
  }

  /**
   * Masks the scores below the k-th largest.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    scan(row);
    const k = Math.max(this.topK, this.minTokensToKeep);
    if (k >= row.length) return;
    const edge = row[rankAt(row, row.length, -1, undefined, k)] as number;
    for (let i = 0; i < row.length; i++) if ((row[i] as number) < edge) row[i] = -Infinity;
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "top-k", topK, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'top-k', topK: this.topK, minTokensToKeep: this.minTokensToKeep } satisfies TopKSpec;
  }

  /** How a top-k truncation is read from JSON. @internal */
  static readonly spec: SpecDefinition<TopKSpec> = {
    kind: 'top-k',
    schema: () => v.strictObject({ kind: v.literal('top-k'), topK: count, minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new TopK(optionsOf(spec)),
  };
}
