import type { ReadonlyTokenHistory } from '../core/history';
import type { LogitsProcessor } from '../core/processor';
import type { ProcessorSpec } from '../spec/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import { RuleLMError } from '../core/errors';
import { advanceAnchor, anchorBase, resolveAnchor } from '../core/marker';
import { assertIdsInVocabulary, assertFinite, assertOneOf, assertOptions, assertPositive, assertPositiveInteger, assertNonNegativeInteger, toTokenIds } from '../core/validate';

/** Options of {@link endOfSequenceRamp}. */
export interface EndOfSequenceRampOptions {
  /** The end-of-sequence id or ids whose score rises. */
  readonly eosTokenIds: number | readonly number[];
  /**
   * The ramp's shape. `"linear"` (default): `bias = maxBias * t / rampLength` for
   * `t < rampLength`. `"exponential"`: HF transformers' `ExponentialDecayLengthPenalty`: once
   * `t > start`, `score += |score| * (factor ** (t - start) - 1)`; once `factor ** (t - start)`
   * overflows, the score becomes `+Infinity` (EOS is forced) rather than `NaN`.
   */
  readonly shape?: 'linear' | 'exponential';
  /** Linear: the bias reached at `t = rampLength`. Default 15 (the paper's 3 * 5). */
  readonly maxBias?: number;
  /** Linear: number of response tokens over which the bias rises. Default 250 (the paper's). */
  readonly rampLength?: number;
  /**
   * Linear: what happens from `t = rampLength` on: `"hold"` keeps `maxBias` (default), `"zero"`
   * drops the bias to 0, as the paper's reference code does.
   */
  readonly afterRamp?: 'hold' | 'zero';
  /** Exponential: the response length after which the penalty starts. Default 0. */
  readonly start?: number;
  /** Exponential: the growth factor, above 1 to favour ending. Required for `"exponential"`. */
  readonly factor?: number;
  /**
   * Where `t` counts from: the response start (default) or just after the last occurrence of a
   * marker (the reference code counts from the assistant tag).
   */
  readonly countFrom?: Anchor;
}

/** State of one sequence: where `t` counts from. */
export interface EndOfSequenceRampState {
  /** Position `t` counts from. */
  start: number;
}

/** A processor that raises end-of-sequence scores as the response grows. */
export interface EndOfSequenceRamp extends LogitsProcessor<'end-of-sequence-ramp', EndOfSequenceRampState> {
  /** The ids whose score rises. */
  readonly eosTokenIds: readonly number[];
  /**
   * The bias a linear ramp adds at response position `t` (for the exponential shape, which
   * depends on the score, `undefined`).
   *
   * @param t Response position (0 before the first generated token).
   */
  biasAt(t: number): number | undefined;
}

const KNOWN = ['eosTokenIds', 'shape', 'maxBias', 'rampLength', 'afterRamp', 'start', 'factor', 'countFrom'];

/**
 * Creates an end-of-sequence ramp: the score of each end-of-sequence id rises with the number
 * of response tokens `t`, so responses end. Changes the row in place; per step it touches only
 * the end-of-sequence ids.
 *
 * @param options The ids, the shape and its constants.
 * @returns The processor (additive for the linear shape).
 * @throws {RuleLMError} On a bad or unknown option, or (per sequence) an id outside the vocabulary.
 * @example
 * ```ts
 * // The paper's EOS rule, as its reference code does it:
 * const ramp = endOfSequenceRamp({ eosTokenIds: 2, maxBias: 15, rampLength: 250, afterRamp: 'zero' });
 * ramp.biasAt(125); // 7.5
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function endOfSequenceRamp(options: EndOfSequenceRampOptions): EndOfSequenceRamp {
  assertOptions('options', options, KNOWN);
  const { eosTokenIds: eosOption, shape = 'linear', maxBias = 15, rampLength = 250, afterRamp = 'hold', start = 0, factor, countFrom = 'response' } = options;
  const ids = toTokenIds('eosTokenIds', typeof eosOption === 'number' ? [eosOption] : eosOption);
  assertOneOf('shape', shape, ['linear', 'exponential'] as const);
  assertFinite('maxBias', maxBias);
  assertPositiveInteger('rampLength', rampLength);
  assertOneOf('afterRamp', afterRamp, ['hold', 'zero'] as const);
  assertNonNegativeInteger('start', start);
  const other = (shape === 'linear' ? ['start', 'factor'] : ['maxBias', 'rampLength', 'afterRamp']).find((key) => (options as unknown as Record<string, unknown>)[key] !== undefined);
  if (other !== undefined) {
    throw new RuleLMError(`\`${other}\` does not apply to the ${shape} shape; remove it or set \`shape\``, { argument: other });
  }
  if (shape === 'exponential') assertPositive('factor', factor);
  const anchor: ResolvedAnchor = resolveAnchor('countFrom', countFrom, 'response');
  const count = ids.length;

  const linear = (t: number): number => {
    if (t < rampLength) return (maxBias * t) / rampLength + 0; // + 0 turns -0 into 0
    return afterRamp === 'hold' ? maxBias : 0;
  };
  const growth = factor ?? 1;

  return {
    kind: 'end-of-sequence-ramp',
    toJSON: (): ProcessorSpec =>
      shape === 'linear'
        ? { kind: 'end-of-sequence-ramp', eosTokenIds: [...ids], shape, maxBias, rampLength, afterRamp, countFrom: anchor.spec }
        : { kind: 'end-of-sequence-ramp', eosTokenIds: [...ids], shape, start, factor: growth, countFrom: anchor.spec },
    additive: shape === 'linear',
    eosTokenIds: [...ids],
    biasAt: (t: number) => (shape === 'linear' ? linear(t) : undefined),
    createState(history: ReadonlyTokenHistory): EndOfSequenceRampState {
      assertIdsInVocabulary('eosTokenIds', ids, history.vocabSize);
      return { start: anchorBase(anchor, history) };
    },
    update(state: EndOfSequenceRampState, history: ReadonlyTokenHistory, from: number): void {
      state.start = advanceAnchor(anchor, state.start, history, from);
    },
    process(row: Float32Array, state: EndOfSequenceRampState, history: ReadonlyTokenHistory, weight: number): void {
      const t = Math.max(0, history.length - state.start);
      if (shape === 'linear') {
        const bias = weight * linear(t);
        if (bias === 0) return;
        for (let i = 0; i < count; i++) row[ids[i] as number]! += bias;
        return;
      }
      if (t <= start) return;
      const scale = growth ** (t - start) - 1;
      for (let i = 0; i < count; i++) {
        const id = ids[i] as number;
        const score = row[id] as number;
        if (!Number.isFinite(score)) continue;
        // Once the factor overflows, EOS wins outright (HF would give NaN for a score of 0).
        row[id] = Number.isFinite(scale) ? score + Math.abs(score) * scale : growth > 1 ? Infinity : score;
      }
    },
  };
}
