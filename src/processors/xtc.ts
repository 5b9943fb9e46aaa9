import type { ReadonlyTokenHistory } from '../core/history';
import type { RandomSource } from '../decoding/sampling';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { assertOptions } from '../core/validate';
import { Processor } from '../core/processor';
import { seededRandom } from '../decoding/sampling';
import { count, optionsOf } from '../serialization/schemas';
import { assertInRange, expWeights, minKeepOption, scan, weightScratch } from './truncation';

/** Options of {@link XTC}. */
export interface XTCOptions {
  /** The chance, at each step, that the top choices are excluded (llama.cpp `xtc_probability`), in [0, 1]. */
  readonly probability: number;
  /**
   * The probability a token needs to count as a top choice (llama.cpp `xtc_threshold`), in [0, 1].
   * Above 0.5 at most one token can qualify, so XTC never acts (llama.cpp returns early too).
   * Default 0.1 (llama.cpp's).
   */
  readonly threshold?: number;
  /** XTC acts only when at least this many tokens stay (llama.cpp `min_keep`). Default 1. */
  readonly minTokensToKeep?: number;
  /**
   * Seed of each sequence's random source (`seededRandom`): every sequence draws the same
   * reproducible stream, whatever the batch holds. Default 0.
   */
  readonly seed?: number;
}

/** The JSON spec of an {@link XTC}: its options. */
export interface XTCSpec extends XTCOptions {
  /** The kind. */
  readonly kind: 'xtc';
}

/** State of one sequence: its random source. */
export interface XTCState {
  /** Draws the chance of each step. */
  readonly random: RandomSource;
}

/**
 * Exclude Top Choices (XTC), as llama.cpp's `xtc` sampler: at each step, with chance
 * `probability` (a draw from the sequence's seeded random source; `chance > probability` skips),
 * when at least two tokens have probability `>= threshold`, all of them but the least probable
 * one become `-Infinity`, provided at least `minTokensToKeep` tokens stay (tokens above
 * `-Infinity` count). Like llama.cpp, it draws only when `probability > 0`, `threshold <= 0.5`
 * and at least two tokens are above `-Infinity`. Among equal probabilities the order is llama.cpp's
 * sort order made definite: the lower id ranks first, so the one kept is the highest id among the
 * least probable. `NaN` scores become `-Infinity`. Per step: the maximum, one `exp` pass and one
 * masking pass; no sort.
 *
 * @example
 * ```ts
 * import { XTC, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new XTC({ probability: 1, threshold: 0.15 }), { prompt: [], vocabSize: 3 });
 * sequence.process(Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)])); // [-Infinity, -Infinity, log 0.2]: every token above the threshold but the least likely of them goes
 * ```
 */
export class XTC extends Processor<XTCState> {
  /** The kind. */
  readonly kind = 'xtc' as const;
  /** The chance of acting at a step. */
  readonly probability: number;
  /** The probability of a top choice. */
  readonly threshold: number;
  /** The minimum number of tokens left. */
  readonly minTokensToKeep: number;
  /** The seed of each sequence's random source. */
  readonly seed: number;

  /**
   * Creates an XTC sampler.
   *
   * @param options `probability`, `threshold`, `minTokensToKeep` and `seed`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: XTCOptions) {
    super();
    assertOptions('options', options, ['probability', 'threshold', 'minTokensToKeep', 'seed']);
    const { probability, threshold = 0.1, seed = 0 } = options;
    assertInRange('probability', probability, 0, 1, false);
    assertInRange('threshold', threshold, 0, 1, false);
    seededRandom(seed); // validates the seed
    this.probability = probability;
    this.threshold = threshold;
    this.minTokensToKeep = minKeepOption(options.minTokensToKeep);
    this.seed = seed;
  }

  /**
   * Creates the sequence's random source.
   *
   * @param _history The new sequence.
   * @returns The state.
   */
  createState(_history: ReadonlyTokenHistory): XTCState {
    return { random: seededRandom(this.seed) };
  }

  /**
   * Excludes the top choices, at the drawn steps.
   *
   * @param row Scores, changed in place.
   * @param state The sequence's random source.
   */
  process(row: Float32Array, state: XTCState): void {
    const { max, live } = scan(row);
    if (this.probability <= 0 || this.threshold > 0.5 || live < 2) return;
    if (state.random() > this.probability) return;
    const weights = weightScratch(row.length);
    const limit = this.threshold * expWeights(row, max, weights);
    let above = 0;
    let last = -1;
    let lastWeight = Infinity;
    for (let i = 0; i < row.length; i++) {
      const w = weights[i] as number;
      if (w >= limit && w > 0) {
        above++;
        // The least probable; on ties the highest id (the last in rank order).
        if (w <= lastWeight) {
          lastWeight = w;
          last = i;
        }
      }
    }
    if (above < 2 || live - (above - 1) < this.minTokensToKeep) return;
    for (let i = 0; i < row.length; i++) {
      const w = weights[i] as number;
      if (i !== last && w >= limit && w > 0) row[i] = -Infinity;
    }
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "xtc", probability, threshold, minTokensToKeep, seed }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'xtc', probability: this.probability, threshold: this.threshold, minTokensToKeep: this.minTokensToKeep, seed: this.seed } satisfies XTCSpec;
  }

  /** How an XTC sampler is read from JSON. @internal */
  static readonly spec: SpecDefinition<XTCSpec> = {
    kind: 'xtc',
    schema: () =>
      v.strictObject({
        kind: v.literal('xtc'),
        probability: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
        threshold: v.exactOptional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
        minTokensToKeep: v.exactOptional(count),
        seed: v.exactOptional(v.pipe(v.number(), v.safeInteger())),
      }),
    fromSpec: (spec) => new XTC(optionsOf(spec)),
  };
}
