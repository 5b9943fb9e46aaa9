import type { ReadonlyTokenHistory } from '../core/history';
import type { LogitsProcessor } from '../core/processor';
import type { ProcessorSpec } from '../spec/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import { RuleLMError } from '../core/errors';
import { advanceAnchor, anchorBase, resolveAnchor } from '../core/marker';
import { assertFinite, assertIdsInVocabulary, assertNonNegativeInteger, assertOptions, fail, toTokenIds } from '../core/validate';

/** Biases at one response position: sparse (`{ token, bias }` pairs) or a dense vector over the vocabulary. */
export interface PositionBiasEntry {
  /** The response position `t` (0 = the first generated token). */
  readonly at: number;
  /**
   * The biases: pairs, or a `Float32Array` with one bias per vocabulary id (it may be shorter
   * than the row, as when a model pads its vocabulary beyond the tokenizer's: ids past its end
   * get nothing).
   */
  readonly biases: readonly { readonly token: number; readonly bias: number }[] | Float32Array;
}

/** Options of {@link positionBias}. */
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

/** A processor that adds biases at given response positions only. */
export interface PositionBias extends LogitsProcessor<'position-bias', PositionBiasState> {
  /** The positions that carry biases, increasing. */
  readonly positions: readonly number[];
}

/** The largest position a bias may be given at. */
const MAX_POSITION = 0x7fffffff;

interface Compiled {
  readonly ids: Int32Array | undefined;
  readonly values: Float32Array;
}

/**
 * Creates a position bias: at response position `t`, adds the biases listed for `t` (the paper
 * reference code's "start" rule: a score for every token at `t = 0`, "!" at `t = 1`, no newline
 * at `t = 2`). Changes the row in place; steps without an entry cost nothing.
 *
 * @param options The positions and their biases.
 * @returns The processor (additive).
 * @throws {RuleLMError} On a bad or unknown option, a repeated position, or (per sequence) an id
 * or dense vector that does not fit the vocabulary.
 * @example
 * ```ts
 * positionBias({ positions: [{ at: 1, biases: [{ token: 29991, bias: 15 }] }] });
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function positionBias(options: PositionBiasOptions): PositionBias {
  assertOptions('options', options, ['positions', 'countFrom']);
  const { positions, countFrom = 'response' } = options;
  if (!Array.isArray(positions) || positions.length === 0) fail('positions', 'a non-empty array of { at, biases }', positions);
  const anchor: ResolvedAnchor = resolveAnchor('countFrom', countFrom, 'response');
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
      biases.forEach((b, id) => assertFinite(`${argument}.biases[${id}]`, b));
      table.set(at, { ids: undefined, values: biases.slice() });
      return;
    }
    if (!Array.isArray(biases) || biases.length === 0) fail(`${argument}.biases`, 'a non-empty array of { token, bias } or a Float32Array', biases);
    const ids = toTokenIds(
      `${argument}.biases`,
      biases.map((b: unknown, j) => {
        assertOptions(`${argument}.biases[${j}]`, b, ['token', 'bias']);
        assertFinite(`${argument}.biases[${j}].bias`, (b as { bias: unknown }).bias);
        return (b as { token: unknown }).token;
      }),
    );
    table.set(at, { ids, values: Float32Array.from(biases.map((b) => (b as { bias: number }).bias)) });
  });
  const used = [...table.keys()].sort((a, b) => a - b);

  return {
    kind: 'position-bias',
    toJSON: (): ProcessorSpec => ({
      kind: 'position-bias',
      positions: used.map((at) => {
        const { ids, values } = table.get(at) as Compiled;
        return { at, biases: ids === undefined ? Array.from(values) : Array.from(ids, (token, i) => ({ token, bias: values[i] as number })) };
      }),
      countFrom: anchor.spec,
    }),
    additive: true,
    positions: used,
    createState(history: ReadonlyTokenHistory): PositionBiasState {
      for (const at of used) {
        const c = table.get(at) as Compiled;
        if (c.ids === undefined) {
          if (c.values.length > history.vocabSize) {
            throw new RuleLMError(`\`positions\` has a dense vector of length ${c.values.length} at t = ${at}, longer than the vocabulary of ${history.vocabSize} ids`, {
              argument: 'positions',
            });
          }
        } else assertIdsInVocabulary('positions', c.ids, history.vocabSize);
      }
      return { start: anchorBase(anchor, history) };
    },
    update(state: PositionBiasState, history: ReadonlyTokenHistory, from: number): void {
      state.start = advanceAnchor(anchor, state.start, history, from);
    },
    process(row: Float32Array, state: PositionBiasState, history: ReadonlyTokenHistory, weight: number): void {
      const t = history.length - state.start;
      const c = t >= 0 ? table.get(t) : undefined;
      if (c === undefined) return;
      const { ids, values } = c;
      if (ids === undefined) for (let id = 0; id < values.length; id++) row[id]! += weight * (values[id] as number);
      else for (let i = 0; i < ids.length; i++) row[ids[i] as number]! += weight * (values[i] as number);
    },
  };
}
