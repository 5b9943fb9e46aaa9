import type { ReadonlyTokenHistory } from './history';
import type { ProcessorSpec } from '../serialization/types';
import { fail } from './validate';

const PROCESSOR = Symbol.for('rulelm.processor');

/**
 * The base class of every rulelm processor: `EndOfSequenceRamp`, `RepetitionPenalty`,
 * `TokenBias`, `PositionBias`, `ProductOfExperts`, `Chain`, and yours (see "Write your own
 * processor" in the guide).
 *
 * A processor changes one row of next-token scores (logits: a `Float32Array` whose length is the
 * vocabulary size) **in place**, given the state of that sequence. It keeps no per-sequence data
 * on itself: `createState` makes that data for each sequence, `update` feeds it only the tokens
 * appended since the last call, and `process` reads it. So one processor serves any number of
 * sequences and generations, and a step costs what it touches, never a rescan of the history.
 * {@link startSequence} drives it; so do the adapters (`rulelm/transformers`).
 *
 * It is named `Processor`, not `LogitsProcessor`, because it is not transformers.js's
 * `LogitsProcessor` (a callable on `[batch, vocab]` tensors): rulelm processors work on one row
 * of any runtime, and the adapter `RuleLMLogitsProcessor` (a real transformers.js
 * `LogitsProcessor`) runs them in `generate()`.
 *
 * @template TState The per-sequence state.
 * @example
 * ```ts
 * import type { ReadonlyTokenHistory } from 'rulelm';
 * import { Processor, startSequence } from 'rulelm';
 *
 * // Adds `bias` to one token after it has been generated `times` times.
 * class AfterRepeats extends Processor<{ count: number }> {
 *   readonly kind = 'after-repeats';
 *   constructor(readonly token: number, readonly times: number, readonly bias: number) {
 *     super();
 *   }
 *   createState(): { count: number } {
 *     return { count: 0 };
 *   }
 *   override update(state: { count: number }, history: ReadonlyTokenHistory, from: number): void {
 *     for (let p = Math.max(from, history.promptLength); p < history.length; p++) if (history.tokens[p] === this.token) state.count++;
 *   }
 *   process(row: Float32Array, state: { count: number }): void {
 *     if (state.count >= this.times) row[this.token]! += this.bias;
 *   }
 * }
 * const sequence = startSequence(new AfterRepeats(3, 2, -5), { prompt: [1], vocabSize: 8 });
 * ```
 */
export abstract class Processor<TState = unknown> {
  /** The processor's name in specs and traces, e.g. `"token-bias"`. */
  abstract readonly kind: string;

  /**
   * `true` when the processor only adds a score vector that does not depend on the row
   * (`row += weight * scores`). Only additive processors can be rule experts of a
   * `ProductOfExperts`, where `weight` scales them. Default `false`.
   */
  readonly additive: boolean = false;

  /** Marks the instance as a rulelm processor, across copies of the package (see {@link Processor.isInstance}). */
  constructor() {
    Object.defineProperty(this, PROCESSOR, { value: true });
  }

  /**
   * Creates the state of one sequence. Called once per sequence, before `update` sees the
   * prompt.
   *
   * @param history The new sequence's history; it holds the prompt, not yet fed to `update`.
   * @returns The state.
   */
  abstract createState(history: ReadonlyTokenHistory): TState;

  /**
   * Feeds the state the tokens at positions `from` to `history.length - 1`, just appended (the
   * prompt at the first call, then each new token). The default does nothing.
   *
   * @param _state This sequence's state.
   * @param _history This sequence's history.
   * @param _from The first position not yet seen (a token position, 0 = the first prompt token).
   */
  update(_state: TState, _history: ReadonlyTokenHistory, _from: number): void {}

  /**
   * Changes `row` in place: the scores (logits) for the token after the last one of `history`.
   *
   * @param row Next-token scores, one per vocabulary id (length = vocabulary size).
   * @param state This sequence's state.
   * @param history This sequence's history.
   * @param weight Scale of an additive processor's contribution (1 in a plain chain).
   */
  abstract process(row: Float32Array, state: TState, history: ReadonlyTokenHistory, weight: number): void;

  /**
   * Checks that every token id the processor uses is below `vocabSize`. Drivers call it before a
   * sequence starts (and adapters before generation). The default checks the members.
   *
   * @param vocabSize The vocabulary size (the length of a row).
   * @throws {RuleLMError} Naming the option that holds an id outside the vocabulary.
   */
  checkVocabulary(vocabSize: number): void {
    for (const member of this.members) member.checkVocabulary(vocabSize);
  }

  /**
   * The processors this one is made of: a chain's processors, a product's experts; empty for a
   * single rule. Adapters walk it (traces, end-of-sequence checks).
   *
   * @returns The members, in the order they run.
   */
  get members(): readonly Processor[] {
    return [];
  }

  /**
   * Returns the processor's JSON spec (see `toSpec` / `parseSpec`). Built-in processors have it;
   * a processor without it cannot be serialized.
   */
  toJSON?(): ProcessorSpec;

  /**
   * Tells whether a value is a rulelm processor, also across copies of the library loaded twice.
   *
   * @param value Any value.
   * @returns `true` for an instance of a `Processor` subclass.
   * @example
   * ```ts
   * Processor.isInstance(new TokenBias({ biases: [{ token: 1, bias: 2 }] })); // true
   * ```
   */
  static isInstance(value: unknown): value is Processor {
    return typeof value === 'object' && value !== null && (value as { [PROCESSOR]?: unknown })[PROCESSOR] === true;
  }
}

/**
 * Checks that `value` is a rulelm processor.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @returns The processor.
 * @throws {RuleLMError} Otherwise.
 */
export function assertProcessor(argument: string, value: unknown): Processor {
  if (!Processor.isInstance(value)) fail(argument, 'a rulelm processor (an instance of a Processor subclass)', value);
  return value;
}
