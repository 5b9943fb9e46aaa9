import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { count, optionsOf } from '../serialization/schemas';
import { assertInRange, entropy, expWeights, keyScratch, rankAt, scan, Truncation, weightScratch } from './truncation';

/** Options of {@link TypicalP}. */
export interface TypicalPOptions {
  /** The probability mass to keep (HF `typical_p`), in (0, 1). */
  readonly typicalP: number;
  /** Keep at least this many of the most typical tokens (HF `min_tokens_to_keep`). Default 1. */
  readonly minTokensToKeep?: number;
}

/** The JSON spec of a {@link TypicalP}: its options. */
export interface TypicalPSpec extends TypicalPOptions {
  /** The kind. */
  readonly kind: 'typical-p';
}

/**
 * Locally typical sampling (Meister et al. 2022), as HF transformers' `TypicalLogitsWarper`:
 * tokens are ranked by how far their information `-log p` is from the entropy `H` of the row
 * (`|-log p - H|`, closest first); with `i` the first rank where the cumulative probability
 * reaches `typicalP`, every token at most as far as the token at rank `i` is kept (ties with it
 * included, as HF's `>` removal does), and so are the first `minTokensToKeep` ranks; the rest
 * become `-Infinity`. When the mass never reaches `typicalP` (rounding), HF's clamp to the last
 * rank keeps everything. Among equal distances the lower id ranks first (HF: `torch.sort`'s
 * order). `NaN` scores become `-Infinity`; with `+Infinity` scores present only they have
 * probability. Per step: the maximum, one `exp` pass, the entropy, one distance pass, a partial
 * selection and one masking pass; no sort.
 *
 * @example
 * ```ts
 * import { TypicalP, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new TypicalP({ typicalP: 0.5 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)])); // [log 0.5, log 0.3, -Infinity]: the tokens nearest the entropy, until their mass reaches 0.5
 * ```
 */
export class TypicalP extends Truncation {
  /** The kind. */
  readonly kind = 'typical-p' as const;
  /** The mass kept. */
  readonly typicalP: number;

  /**
   * Creates a typical-p truncation.
   *
   * @param options `typicalP` and `minTokensToKeep`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: TypicalPOptions) {
    super(options, ['typicalP']);
    assertInRange('typicalP', options.typicalP, 0, 1, true);
    this.typicalP = options.typicalP;
  }

  /**
   * Masks the atypical tokens.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    const { max } = scan(row);
    if (max === -Infinity) return;
    const n = row.length;
    const weights = weightScratch(n);
    const total = expWeights(row, max, weights);
    const h = entropy(row, max, weights, total);
    const logTotal = Math.log(total);
    const infinite = max === Infinity;
    const keys = keyScratch(n);
    for (let i = 0; i < n; i++) {
      // -log p = log(total) - log(w), with log(w) = score - max; Infinity for probability 0.
      keys[i] = (weights[i] as number) > 0 ? Math.abs(logTotal - (infinite ? 0 : (row[i] as number) - max) - h) : Infinity;
    }
    const at = rankAt(keys, n, 1, weights, this.typicalP * total);
    if (at < 0) return;
    const edge = keys[at] as number;
    const keep = Math.min(this.minTokensToKeep, n);
    const forced = keep > 1 ? rankAt(keys, n, 1, undefined, keep) : -1;
    const forcedKey = forced < 0 ? -Infinity : (keys[forced] as number);
    for (let i = 0; i < n; i++) {
      const k = keys[i] as number;
      if (k > edge && !(k < forcedKey || (k === forcedKey && i <= forced))) row[i] = -Infinity;
    }
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "typical-p", typicalP, minTokensToKeep }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'typical-p', typicalP: this.typicalP, minTokensToKeep: this.minTokensToKeep } satisfies TypicalPSpec;
  }

  /** How a typical-p truncation is read from JSON. @internal */
  static readonly spec: SpecDefinition<TypicalPSpec> = {
    kind: 'typical-p',
    schema: () => v.strictObject({ kind: v.literal('typical-p'), typicalP: v.pipe(v.number(), v.gtValue(0), v.ltValue(1)), minTokensToKeep: v.exactOptional(count) }),
    fromSpec: (spec) => new TypicalP(optionsOf(spec)),
  };
}
