// One step of the product of experts for one row: `sum of weight_i * log_softmax(logits_i)`, then
// the plausibility cut. The hot loops are small top-level functions over typed arrays, which V8
// optimizes far better than loops inside a long async function; nothing here allocates per row.
import type { PlausibilityCut } from './experts';
import { RuleLMError } from '../../core/errors';
import { logSumExpAt, maxAt } from '../../core/row';
import { saturate } from '../../core/validate';

/** One expert's logits for a step, read in place: row `b`'s last position starts at {@link rowStart}. */
export interface StepLogits {
  /** The logits tensor's data, `[batch, positions, vocab]`. */
  readonly data: Float32Array;
  /** Positions per row (the prompt's width at the first step, then 1). */
  readonly positions: number;
  /** The vocabulary size of this expert (the last dimension). */
  readonly vocab: number;
}

/**
 * Reads an expert's logits tensor without copying (float16 and others are converted).
 *
 * @param tensor The `logits` output of a forward pass.
 * @param batch The number of rows expected.
 * @param index The expert's index, for the error.
 * @returns The logits.
 * @throws {RuleLMError} When the tensor is not `[batch, positions, vocab]` floats.
 */
export function stepLogits(tensor: unknown, batch: number, index: number): StepLogits {
  const t = tensor as { dims: number[]; data: unknown; to?(type: string): { dims: number[]; data: unknown } };
  const float = t.data instanceof Float32Array ? t : t.to?.('float32');
  const dims = float?.dims ?? [];
  if (!(float?.data instanceof Float32Array) || dims.length !== 3 || dims[0] !== batch) {
    throw new RuleLMError(`expert ${index} returned logits of shape ${JSON.stringify(dims)}, not [${batch}, positions, vocab]`, { argument: `experts[${index}].model` });
  }
  const [, positions, vocab] = dims as [number, number, number];
  return { data: float.data, positions, vocab };
}

/**
 * Where row `b`'s last-position logits start in `logits.data`.
 *
 * @param logits An expert's step logits.
 * @param b The row.
 * @returns The offset.
 */
export function rowStart(logits: StepLogits, b: number): number {
  return (b * logits.positions + logits.positions - 1) * logits.vocab;
}

/**
 * `target = (assign ? 0 : target) + weight * (source - shift)`: adds `weight * log_softmax` when
 * `shift` is the log-sum-exp. A token this expert masks (`-Infinity`) is masked in the result,
 * whatever the weight's sign, and a masked token stays masked. When `shift` is `+Infinity` (a
 * `+Infinity` score), those scores take all the mass: they add 0, every other token is masked. A
 * `NaN` score stays `NaN` at its own token (unless masked). Each term is saturated to a finite
 * number, so no sum becomes `NaN`.
 *
 * @param target The combined row (length `width`).
 * @param source The expert's scores.
 * @param offset Where its row starts in `source`.
 * @param width The vocabulary size.
 * @param weight The expert's weight.
 * @param shift Subtracted from every score.
 * @param assign Overwrite `target` instead of adding to it (the first expert).
 */
export function addLogProbs(target: Float32Array, source: Float32Array, offset: number, width: number, weight: number, shift: number, assign: boolean): void {
  if (shift === Infinity) {
    addForced(target, source, offset, width, assign);
    return;
  }
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x === -Infinity) target[j] = -Infinity;
    // saturate: weight * (x - shift) can overflow, and an infinite term would make NaN of a sum.
    else if (assign) target[j] = saturate(weight * (x - shift));
    else if (target[j] !== -Infinity) target[j]! += saturate(weight * (x - shift));
  }
}

// An expert with +Infinity scores puts all its mass on them: log-probability 0 there (whatever the
// weight), -Infinity (masked) elsewhere; a NaN score stays NaN at its own token.
function addForced(target: Float32Array, source: Float32Array, offset: number, width: number, assign: boolean): void {
  for (let j = 0; j < width; j++) {
    const x = source[offset + j] as number;
    if (x === Infinity) {
      if (assign) target[j] = 0;
    } else if (Number.isNaN(x)) {
      if (assign || target[j] !== -Infinity) target[j] = NaN;
    } else target[j] = -Infinity;
  }
}

/**
 * The plausibility cut: `-Infinity` wherever the deciding expert's score is below `threshold`.
 *
 * @param target The combined row (length `width`).
 * @param source The deciding expert's scores.
 * @param offset Where its row starts in `source`.
 * @param width The vocabulary size.
 * @param threshold The lowest score kept.
 */
export function maskBelow(target: Float32Array, source: Float32Array, offset: number, width: number, threshold: number): void {
  for (let j = 0; j < width; j++) if ((source[offset + j] as number) < threshold) target[j] = -Infinity;
}

/**
 * Writes row `b`'s combined scores into `target`: `sum of weight_i * log_softmax(logits_i)` over
 * the experts with a non-zero weight (all zeros when there are none), then the plausibility cut.
 * With `normalize` false, each expert's max stands in for its log-sum-exp: the result differs by
 * a constant, which changes no decoding decision (beyond float32 rounding of near-ties), and the
 * exp pass is skipped.
 *
 * @param target The combined row, of length `vocabSize`.
 * @param logits Each expert's step logits.
 * @param weights Each expert's weight.
 * @param b The row of the batch.
 * @param vocabSize The number of ids combined (the experts' common vocabulary).
 * @param normalize Compute exact log-probabilities (when a processor that reads the row will see them).
 * @param plausibility The plausibility cut, if any.
 */
export function combineRow(target: Float32Array, logits: readonly StepLogits[], weights: readonly number[], b: number, vocabSize: number, normalize: boolean, plausibility: PlausibilityCut | undefined): void {
  let assigned = false;
  let cut = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const t = logits[i] as StepLogits;
    const offset = rowStart(t, b);
    const max = maxAt(t.data, offset, vocabSize);
    if (plausibility !== undefined && plausibility.expert === i) cut = max + Math.log(plausibility.alpha);
    const weight = weights[i] as number;
    if (weight === 0) continue;
    const shift = normalize ? logSumExpAt(t.data, offset, vocabSize, max) : max;
    addLogProbs(target, t.data, offset, vocabSize, weight, shift, !assigned);
    assigned = true;
  }
  if (!assigned) target.fill(0);
  if (plausibility !== undefined) {
    const t = logits[plausibility.expert] as StepLogits;
    maskBelow(target, t.data, rowStart(t, b), vocabSize, cut);
  }
}
