import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import * as v from 'valibot';
import { RuleLMError } from '../core/errors';
import { advanceAnchor, anchorBase, checkAnchor, resolveAnchor } from '../core/marker';
import { Processor } from '../core/processor';
import { assertIdsInVocabulary, assertFinite, assertOneOf, assertOptions, assertPositive, assertPositiveInteger, assertNonNegativeInteger, assertSpecLength, saturate, toTokenIdList } from '../core/validate';
import { MAX_LIST, anchor as anchorSchema, finite, optionsOf, tokenId, tokenIds } from '../serialization/schemas';

/** Options of {@link EndOfSequenceRamp}. */
export interface EndOfSequenceRampOptions {
  /** The end-of-sequence (EOS) id or ids whose score rises. */
  readonly eosTokenIds: number | readonly number[];
  /**
   * The ramp's shape. `"linear"` (default): `bias = maxBias * t / rampLength` for
   * `t < rampLength` (the paper's EOS rule). `"exponential"`: HF transformers'
   * `ExponentialDecayLengthPenalty`: once `t > start`, `score += |score| * (factor ** (t - start) - 1)`;
   * once `factor ** (t - start)` overflows, the score becomes `+Infinity` (EOS is forced) rather
   * than `NaN`.
   */
  readonly shape?: 'linear' | 'exponential';
  /**
   * Linear: the bias (logit units) reached at `t = rampLength`, any finite number (`maxBias * t`
   * never overflows: near the largest number the ramp is computed as `maxBias * (t / rampLength)`).
   * Default 15 (the paper's 3 * 5).
   */
  readonly maxBias?: number;
  /** Linear: number of response tokens over which the bias rises. Default 250 (the paper's). */
  readonly rampLength?: number;
  /**
   * Linear: what happens from `t = rampLength` on: `"hold"` keeps `maxBias` (default), `"zero"`
   * drops the bias to 0, as the paper's reference code does.
   */
  readonly afterRamp?: 'hold' | 'zero';
  /** Exponential: the response length (tokens) after which the penalty starts. Default 0. */
  readonly start?: number;
  /** Exponential: the growth factor, above 1 to favour ending. Required for `"exponential"`. */
  readonly factor?: number;
  /**
   * Where `t` counts from: the response start (default) or just after the last occurrence of a
   * marker (the reference code counts from the assistant tag).
   */
  readonly countFrom?: Anchor;
}

/** The JSON spec of an {@link EndOfSequenceRamp}: its options. */
export interface EndOfSequenceRampSpec extends EndOfSequenceRampOptions {
  /** The kind. */
  readonly kind: 'end-of-sequence-ramp';
}

/** State of one sequence: where `t` counts from. */
export interface EndOfSequenceRampState {
  /** Token position `t` counts from. */
  start: number;
}

const KNOWN = ['eosTokenIds', 'shape', 'maxBias', 'rampLength', 'afterRamp', 'start', 'factor', 'countFrom'];

/**
 * An end-of-sequence (EOS) ramp: the score of each EOS id rises with the number of response
 * tokens `t`, so responses end (the paper's EOS rule, linear; or HF transformers'
 * `ExponentialDecayLengthPenalty`, exponential). Changes the row in place; per step it touches
 * only the EOS ids. Additive for the linear shape.
 *
 * @example
 * ```ts
 * import { EndOfSequenceRamp } from 'rulelm';
 *
 * // The paper's EOS rule, as its reference code does it:
 * const ramp = new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 15, rampLength: 250, afterRamp: 'zero' });
 * ramp.biasAt(125); // 7.5
 * ```
 */
export class EndOfSequenceRamp extends Processor<EndOfSequenceRampState> {
  /** The kind. */
  readonly kind = 'end-of-sequence-ramp' as const;
  /** `true` for the linear shape. */
  override readonly additive: boolean;
  /** The ids whose score rises. */
  readonly eosTokenIds: readonly number[];
  /** The shape. */
  readonly shape: 'linear' | 'exponential';
  readonly #ids: Int32Array;
  readonly #maxBias: number;
  readonly #rampLength: number;
  readonly #afterRamp: 'hold' | 'zero';
  readonly #start: number;
  readonly #factor: number;
  readonly #anchor: ResolvedAnchor;

  /**
   * Creates an end-of-sequence ramp.
   *
   * @param options The ids, the shape and its constants.
   * @throws {RuleLMError} On a bad or unknown option, or an option of the other shape.
   */
  constructor(options: EndOfSequenceRampOptions) {
    super();
    assertOptions('options', options, KNOWN);
    const { eosTokenIds: eosOption, shape = 'linear', maxBias = 15, rampLength = 250, afterRamp = 'hold', start = 0, factor, countFrom = 'response' } = options;
    const ids = toTokenIdList('eosTokenIds', eosOption);
    assertSpecLength('eosTokenIds', ids.length, MAX_LIST, 'ids');
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
    this.#anchor = resolveAnchor('countFrom', countFrom, 'response');
    this.#ids = ids;
    this.#maxBias = maxBias;
    this.#rampLength = rampLength;
    this.#afterRamp = afterRamp;
    this.#start = start;
    this.#factor = factor ?? 1;
    this.shape = shape;
    this.additive = shape === 'linear';
    this.eosTokenIds = [...ids];
  }

  /**
   * The bias a linear ramp adds at response position `t` (for the exponential shape, which
   * depends on the score, `undefined`).
   *
   * @param t Response position (token count since `countFrom`; 0 before the first generated token).
   * @returns The bias, in logit units.
   */
  biasAt(t: number): number | undefined {
    if (this.shape !== 'linear') return undefined;
    if (t < this.#rampLength) {
      // maxBias * t / rampLength, rounded as written; when maxBias * t overflows (maxBias near the
      // largest number), maxBias * (t / rampLength) instead, which cannot (t / rampLength < 1).
      const scaled = this.#maxBias * t;
      return (Number.isFinite(scaled) ? scaled / this.#rampLength : this.#maxBias * (t / this.#rampLength)) + 0; // + 0 turns -0 into 0
    }
    return this.#afterRamp === 'hold' ? this.#maxBias : 0;
  }

  /**
   * Checks the EOS ids and the marker against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary.
   */
  override checkVocabulary(vocabSize: number): void {
    assertIdsInVocabulary('eosTokenIds', this.#ids, vocabSize);
    checkAnchor(this.#anchor, vocabSize);
  }

  /**
   * Creates a sequence's state.
   *
   * @param history The new sequence.
   * @returns Where `t` counts from.
   */
  createState(history: ReadonlyTokenHistory): EndOfSequenceRampState {
    return { start: anchorBase(this.#anchor, history) };
  }

  /**
   * Moves the start past a marker that just appeared.
   *
   * @param state The state.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: EndOfSequenceRampState, history: ReadonlyTokenHistory, from: number): void {
    state.start = advanceAnchor(this.#anchor, state.start, history, from);
  }

  /**
   * Raises the EOS scores.
   *
   * @param row Scores, changed in place.
   * @param state The state.
   * @param history The sequence.
   * @param weight Scale of the linear bias.
   */
  process(row: Float32Array, state: EndOfSequenceRampState, history: ReadonlyTokenHistory, weight: number): void {
    const t = history.length - state.start; // start is at most history.length
    const ids = this.#ids;
    if (this.shape === 'linear') {
      const bias = saturate(weight * (this.biasAt(t) as number));
      if (bias === 0) return;
      for (let i = 0; i < ids.length; i++) row[ids[i] as number]! += bias;
      return;
    }
    if (t <= this.#start) return;
    const growth = this.#factor;
    const scale = growth ** (t - this.#start) - 1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const score = row[id] as number;
      if (!Number.isFinite(score)) continue;
      // Once the factor overflows, EOS wins outright (HF would give NaN for a score of 0).
      // (scale can only overflow when the factor is above 1.)
      row[id] = Number.isFinite(scale) ? score + Math.abs(score) * scale : Infinity;
    }
  }

  /**
   * The spec: every option, defaults written out.
   *
   * @returns The spec.
   */
  override toJSON(): ProcessorSpec {
    const countFrom = this.#anchor.spec;
    return this.shape === 'linear'
      ? { kind: 'end-of-sequence-ramp', eosTokenIds: [...this.#ids], shape: 'linear', maxBias: this.#maxBias, rampLength: this.#rampLength, afterRamp: this.#afterRamp, countFrom }
      : { kind: 'end-of-sequence-ramp', eosTokenIds: [...this.#ids], shape: 'exponential', start: this.#start, factor: this.#factor, countFrom };
  }

  /** How an end-of-sequence ramp is read from JSON. @internal */
  static readonly spec: SpecDefinition<EndOfSequenceRampSpec> = {
    kind: 'end-of-sequence-ramp',
    schema: () =>
      v.strictObject({
        kind: v.literal('end-of-sequence-ramp'),
        eosTokenIds: v.lazy((input) => (Array.isArray(input) ? tokenIds : tokenId)),
        shape: v.exactOptional(v.picklist(['linear', 'exponential'])),
        maxBias: v.exactOptional(finite),
        rampLength: v.exactOptional(finite),
        afterRamp: v.exactOptional(v.picklist(['hold', 'zero'])),
        start: v.exactOptional(finite),
        factor: v.exactOptional(finite),
        countFrom: v.exactOptional(anchorSchema),
      }),
    fromSpec: (spec) => new EndOfSequenceRamp(optionsOf(spec)),
  };
}

/**
 * Every end-of-sequence ramp in a processor (itself, or inside its chains and products of
 * experts), in order: what the adapters check against the ids a model stops on.
 *
 * @param processor Any processor.
 * @returns The ramps.
 * @internal
 */
export function rampsIn(processor: Processor): EndOfSequenceRamp[] {
  if (processor instanceof EndOfSequenceRamp) return [processor];
  return processor.members.flatMap(rampsIn);
}
