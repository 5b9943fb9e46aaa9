import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import * as v from 'valibot';
import { RuleLMError } from '../core/errors';
import { advanceAnchor, anchorBase, checkAnchor, resolveAnchor } from '../core/marker';
import { Processor } from '../core/processor';
import { MAX_LIST, anchor as anchorSchema, finite, tokenId } from '../serialization/schemas';
import { assertFinite, assertIdsInVocabulary, assertNonNegativeInteger, assertOptions, assertSpecLength, fail, saturate, toTokenIds } from '../core/validate';

/** Biases at one response position: sparse (`{ token, bias }` pairs) or a dense vector over the vocabulary. */
export interface PositionBiasEntry {
  /** The response position `t` (0 = the first generated token). */
  readonly at: number;
  /**
   * The biases: pairs (any finite numbers, kept as given), or a `Float32Array` with one bias per
   * vocabulary id (in a JSON spec, its values must fit a float32; it may be shorter
   * than the row, as when a model pads its vocabulary beyond the tokenizer's: ids past its end
   * get nothing).
   */
  readonly biases: readonly { readonly token: number; readonly bias: number }[] | Float32Array;
}

/** Options of {@link PositionBias}. */
export interface PositionBiasOptions {
  /** One entry per position; positions must differ. */
  readonly positions: readonly PositionBiasEntry[];
  /** Where `t` counts from (default: the response start). */
  readonly countFrom?: Anchor;
}

/** State of one sequence: where `t` counts from. */
export interface PositionBiasState {
  /** Position `t` counts from. */
  start: number;
}

/** The JSON spec of a {@link PositionBias}: its options, with dense vectors as arrays of numbers. */
export interface PositionBiasSpec {
  /** The kind. */
  readonly kind: 'position-bias';
  /** One entry per position. */
  readonly positions: readonly { readonly at: number; readonly biases: readonly { readonly token: number; readonly bias: number }[] | readonly number[] }[];
  /** Where `t` counts from. */
  readonly countFrom?: Anchor;
}

/** The largest position a bias may be given at. */
const MAX_POSITION = 0x7fffffff;

/** The most positions a position bias may have (what a spec holds). */
const MAX_POSITIONS = 4096;

interface Compiled {
  readonly ids: Int32Array | undefined;
  // Sparse biases are kept as given (float64); a dense vector is a Float32Array.
  readonly values: Float32Array | Float64Array;
}

// A dense vector's value in a spec: it becomes a float32, so it must fit one.
const float32 = v.pipe(
  v.number(),
  v.check((x) => Number.isFinite(Math.fround(x)), (issue) => `Expected a number within the float32 range (a dense vector is a Float32Array), but received ${String(issue.input)}`),
);
const sparseBiases = v.pipe(v.array(v.strictObject({ token: tokenId, bias: finite })), v.maxLength(MAX_LIST));
const denseBiases = v.pipe(v.array(float32), v.maxLength(MAX_LIST));

/**
 * A position bias: at response position `t`, adds the biases listed for `t` (the paper
 * reference code's "start" rule: a score for every token at `t = 0`, "!" at `t = 1`, no newline
 * at `t = 2`). Additive; changes the row in place; steps without an entry cost nothing.
 *
 * @example
 * ```ts
 * import { PositionBias } from 'rulelm';
 *
 * const bias = new PositionBias({ positions: [{ at: 1, biases: [{ token: 29991, bias: 15 }] }] });
 * bias.positions; // [1]
 * ```
 */
export class PositionBias extends Processor<PositionBiasState> {
  /** The kind. */
  readonly kind = 'position-bias' as const;
  /** Always `true`. */
  override readonly additive: boolean = true;
  /** The positions that carry biases, increasing. */
  readonly positions: readonly number[];
  readonly #table: ReadonlyMap<number, Compiled>;
  readonly #anchor: ResolvedAnchor;

  /**
   * Creates a position bias.
   *
   * @param options The positions and their biases.
   * @throws {RuleLMError} On a bad or unknown option, or a repeated position.
   */
  constructor(options: PositionBiasOptions) {
    super();
    assertOptions('options', options, ['positions', 'countFrom']);
    const { positions, countFrom = 'response' } = options;
    if (!Array.isArray(positions) || positions.length === 0) fail('positions', 'a non-empty array of { at, biases }', positions);
    assertSpecLength('positions', positions.length, MAX_POSITIONS, 'positions');
    this.#anchor = resolveAnchor('countFrom', countFrom, 'response');
    const table = new Map<number, Compiled>();
    positions.forEach((entry: unknown, i) => {
      const argument = `positions[${i}]`;
      assertOptions(argument, entry, ['at', 'biases']);
      const { at, biases } = entry as PositionBiasEntry;
      assertNonNegativeInteger(`${argument}.at`, at);
      if (at > MAX_POSITION) fail(`${argument}.at`, `a position of at most ${MAX_POSITION}`, at);
      if (table.has(at)) throw new RuleLMError(`\`${argument}.at\` repeats position ${at}; give each position once`, { argument: `${argument}.at` });
      if (biases instanceof Float32Array) {
        if (biases.length === 0) fail(`${argument}.biases`, 'a non-empty Float32Array', biases);
        assertSpecLength(`${argument}.biases`, biases.length, MAX_LIST, 'values');
        biases.forEach((b, id) => assertFinite(`${argument}.biases[${id}]`, b));
        table.set(at, { ids: undefined, values: biases.slice() });
        return;
      }
      if (!Array.isArray(biases) || biases.length === 0) fail(`${argument}.biases`, 'a non-empty array of { token, bias } or a Float32Array', biases);
      assertSpecLength(`${argument}.biases`, biases.length, MAX_LIST, 'biases');
      const ids = toTokenIds(
        `${argument}.biases`,
        biases.map((b: unknown, j) => {
          assertOptions(`${argument}.biases[${j}]`, b, ['token', 'bias']);
          assertFinite(`${argument}.biases[${j}].bias`, (b as { bias: unknown }).bias);
          return (b as { token: unknown }).token;
        }),
      );
      table.set(at, { ids, values: Float64Array.from(biases.map((b) => (b as { bias: number }).bias)) });
    });
    this.#table = table;
    this.positions = [...table.keys()].sort((a, b) => a - b);
  }

  /**
   * Checks every id and dense vector against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary or a dense vector longer than it.
   */
  override checkVocabulary(vocabSize: number): void {
    for (const at of this.positions) {
      const c = this.#table.get(at) as Compiled;
      if (c.ids === undefined) {
        if (c.values.length > vocabSize) {
          throw new RuleLMError(`\`positions\` has a dense vector of length ${c.values.length} at t = ${at}, longer than the vocabulary of ${vocabSize} ids`, {
            argument: 'positions',
          });
        }
      } else assertIdsInVocabulary('positions', c.ids, vocabSize);
    }
    checkAnchor(this.#anchor, vocabSize);
  }

  /**
   * Creates a sequence's state.
   *
   * @param history The new sequence.
   * @returns Where `t` counts from.
   */
  createState(history: ReadonlyTokenHistory): PositionBiasState {
    return { start: anchorBase(this.#anchor, history) };
  }

  /**
   * Moves the start past a marker that just appeared.
   *
   * @param state The state.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: PositionBiasState, history: ReadonlyTokenHistory, from: number): void {
    state.start = advanceAnchor(this.#anchor, state.start, history, from);
  }

  /**
   * Adds the biases of the current position, if any.
   *
   * @param row Scores, changed in place.
   * @param state The state.
   * @param history The sequence.
   * @param weight Scale of the biases.
   */
  process(row: Float32Array, state: PositionBiasState, history: ReadonlyTokenHistory, weight: number): void {
    const c = this.#table.get(history.length - state.start); // start is at most history.length
    if (c === undefined) return;
    const { ids, values } = c;
    // saturate: weight * bias can overflow, and an infinite addend would turn ±Infinity into NaN.
    if (ids === undefined) for (let id = 0; id < values.length; id++) row[id]! += saturate(weight * (values[id] as number));
    else for (let i = 0; i < ids.length; i++) row[ids[i] as number]! += saturate(weight * (values[i] as number));
  }

  /**
   * The spec: every position, dense vectors as arrays.
   *
   * @returns The spec.
   */
  override toJSON(): ProcessorSpec {
    return {
      kind: 'position-bias',
      positions: this.positions.map((at) => {
        const { ids, values } = this.#table.get(at) as Compiled;
        return { at, biases: ids === undefined ? Array.from(values) : Array.from(ids, (token, i) => ({ token, bias: values[i] as number })) };
      }),
      countFrom: this.#anchor.spec,
    };
  }

  /** How a position bias is read from JSON. @internal */
  static readonly spec: SpecDefinition<PositionBiasSpec> = {
    kind: 'position-bias',
    schema: () =>
      v.strictObject({
        kind: v.literal('position-bias'),
        positions: v.pipe(
          v.array(
            v.strictObject({
              at: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_POSITION)),
              // By the first element, so an error names the element and its problem.
              biases: v.lazy((input: unknown) => (Array.isArray(input) && typeof input[0] === 'number' ? denseBiases : sparseBiases)),
            }),
          ),
          v.maxLength(MAX_POSITIONS),
        ),
        countFrom: v.exactOptional(anchorSchema),
      }),
    fromSpec: (spec) =>
      new PositionBias({
        positions: spec.positions.map((p) => ({
          at: p.at,
          biases: p.biases.length > 0 && typeof p.biases[0] === 'number' ? Float32Array.from(p.biases as readonly number[]) : (p.biases as readonly { token: number; bias: number }[]),
        })),
        ...(spec.countFrom === undefined ? {} : { countFrom: spec.countFrom }),
      }),
  };
}
