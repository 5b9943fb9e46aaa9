import type { ReadonlyTokenHistory } from './history';
import type { ProcessorSpec } from '../spec/types';

/**
 * The contract every rulelm processor follows.
 *
 * A processor changes one row of next-token scores (a `Float32Array` of vocabulary size)
 * **in place**, given the state of that sequence. It keeps no per-sequence data on itself:
 * `createState` makes that data for each sequence, `update` feeds it only the tokens appended
 * since the last call, and `process` reads it. So one processor serves any number of
 * sequences and generations, and per step it does work proportional to what it touches.
 *
 * @template TKind The literal tag of the processor.
 * @template TState The per-sequence state.
 */
export interface LogitsProcessor<TKind extends string = string, TState = unknown> {
  /** The literal tag, e.g. `"token-bias"`. */
  readonly kind: TKind;
  /**
   * `true` when the processor only adds a score vector that does not depend on the row
   * (`row += weight * scores`). Only additive processors can be rule experts of a product of
   * experts, where `weight` scales them.
   */
  readonly additive: boolean;
  /**
   * Creates the state of one sequence. Validates what depends on the vocabulary (ids in range).
   *
   * @param history The new sequence's history; holds the prompt, not yet fed to `update`.
   */
  createState(history: ReadonlyTokenHistory): TState;
  /**
   * Feeds the state the tokens at positions `from` to `history.length - 1`, just appended.
   *
   * @param state This sequence's state.
   * @param history This sequence's history.
   * @param from The first position not yet seen.
   */
  update(state: TState, history: ReadonlyTokenHistory, from: number): void;
  /**
   * Changes `row` in place: the scores for the token after the last one of `history`.
   *
   * @param row Next-token scores, one per vocabulary id.
   * @param state This sequence's state.
   * @param history This sequence's history.
   * @param weight Scale of an additive processor's contribution (1 in a plain chain).
   */
  process(row: Float32Array, state: TState, history: ReadonlyTokenHistory, weight: number): void;
  /**
   * Returns the processor's JSON spec (see `toSpec` / `parseSpec`). Built-in processors have
   * it; a custom processor without it cannot be serialized.
   */
  toJSON?(): ProcessorSpec;
}

/** Any processor, whatever its kind and state. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProcessor = LogitsProcessor<string, any>;
