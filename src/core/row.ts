// Whole-row reductions over a window of a float32 buffer (a row of a [batch, positions, vocab]
// logits tensor, or a whole row): max, argmax and the NaN-excluding log-sum-exp. Shared by the
// sampler, the exact product of experts and generateWithExperts. Internal: not exported from
// the package.
import { exp } from './exp';

/**
 * The largest score of `source[offset .. offset + width)`.
 *
 * @param source Scores.
 * @param offset First index.
 * @param width Number of scores.
 * @returns The max (`-Infinity` for none).
 */
export function maxAt(source: Float32Array, offset: number, width: number): number {
  let max = -Infinity;
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x > max) max = x;
  }
  return max;
}

/**
 * The index (from `offset`) of the largest score of `source[offset .. offset + width)`, the first
 * one on ties; -1 when every score is `-Infinity` or `NaN`.
 *
 * @param source Scores.
 * @param offset First index.
 * @param width Number of scores.
 * @returns The argmax, relative to `offset`.
 */
export function argmaxAt(source: Float32Array, offset: number, width: number): number {
  let best = -1;
  let max = -Infinity;
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x > max) {
      max = x;
      best = j;
    }
  }
  return best;
}

/**
 * log-sum-exp of `source[offset .. offset + width)`, given its max.
 *
 * @param source Scores.
 * @param offset First index.
 * @param width Number of scores.
 * @param max Their max ({@link maxAt}).
 * @returns The log of the sum of their exponentials, `NaN` scores left out (`max` itself when infinite).
 */
export function logSumExpAt(source: Float32Array, offset: number, width: number, max: number): number {
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    // A NaN score (a broken model) stays at its own token and is kept out of the normalizer, as
    // the core's ProductOfExperts does; counted, it would make every score NaN.
    if (!Number.isNaN(x)) sum += exp(x - max);
  }
  return max + Math.log(sum);
}
