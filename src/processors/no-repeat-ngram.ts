import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { Processor } from '../core/processor';
import { assertOptions, assertPositiveInteger } from '../core/validate';
import { count, optionsOf } from '../serialization/schemas';
import { grownTable, slotOf, tableSize } from './ngram-index';


/** Options of {@link NoRepeatNGram}. */
export interface NoRepeatNGramOptions {
  /** The n-gram size (HF `no_repeat_ngram_size`): no n-gram of this many tokens occurs twice. */
  readonly size: number;
}

/** The JSON spec of a {@link NoRepeatNGram}: its options. */
export interface NoRepeatNGramSpec extends NoRepeatNGramOptions {
  /** The kind. */
  readonly kind: 'no-repeat-ngram';
}

/**
 * State of one sequence: a hash table from each (n-1)-gram seen to the distinct tokens that
 * followed it, built incrementally (each new token adds one n-gram).
 */
export interface NoRepeatNGramState {
  /** Open-addressing slots: the end position of the prefix that owns the slot, + 2 (0 = empty). */
  slots: Int32Array;
  /** Head of each slot's follower list (an index into `followers`), -1 for none. */
  heads: Int32Array;
  /** Follower tokens. */
  followers: Int32Array;
  /** Next follower of the same prefix, -1 at the end. */
  next: Int32Array;
  /** Number of followers stored. */
  stored: number;
  /** Number of prefixes stored. */
  prefixes: number;
}

// A slot holds the end position of its prefix + 2 (the empty prefix of size 1 ends at -1).
const OFFSET = 2;

function grow(state: NoRepeatNGramState, tokens: Int32Array, length: number): void {
  const oldHeads = state.heads;
  const heads = new Int32Array(oldHeads.length * 2).fill(-1);
  state.slots = grownTable(state.slots, tokens, length, OFFSET, (from, to) => {
    heads[to] = oldHeads[from] as number;
  });
  state.heads = heads;
}

/**
 * No repeated n-grams, as HF transformers' `NoRepeatNGramLogitsProcessor` (and transformers.js's):
 * when the last `size - 1` tokens of the sequence (prompt included) already occurred followed by
 * some token, that token becomes `-Infinity`, so no n-gram of `size` tokens occurs twice. Nothing
 * is banned while the sequence holds fewer than `size - 1` tokens; with `size` 1 every token seen
 * is banned. transformers.js rebuilds its n-gram table from the whole sequence at every step
 * (quadratic in length); here the state adds the one new n-gram per token, and a step costs the
 * hash of `size - 1` tokens plus the banned tokens, whatever the history length.
 *
 * @example
 * ```ts
 * import { NoRepeatNGram, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new NoRepeatNGram({ size: 2 }), { prompt: [1, 2, 1], vocabSize: 4 });
 * sequence.process(new Float32Array(4)); // [0, 0, -Infinity, 0]: "1 2" occurred, so 2 cannot follow 1
 * ```
 */
export class NoRepeatNGram extends Processor<NoRepeatNGramState> {
  /** The kind. */
  readonly kind = 'no-repeat-ngram' as const;
  /** The n-gram size. */
  readonly size: number;

  /**
   * Creates a no-repeat-n-gram processor.
   *
   * @param options `size`.
   * @throws {RuleLMError} On a bad or unknown option (named in the error).
   */
  constructor(options: NoRepeatNGramOptions) {
    super();
    assertOptions('options', options, ['size']);
    assertPositiveInteger('size', options.size);
    this.size = options.size;
  }

  /**
   * Creates an empty table.
   *
   * @param history The new sequence.
   * @returns The state.
   */
  createState(history: ReadonlyTokenHistory): NoRepeatNGramState {
    const capacity = tableSize(history.length);
    return { slots: new Int32Array(capacity), heads: new Int32Array(capacity).fill(-1), followers: new Int32Array(capacity), next: new Int32Array(capacity), stored: 0, prefixes: 0 };
  }

  /**
   * Adds the n-grams that end at the new tokens.
   *
   * @param state The table.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: NoRepeatNGramState, history: ReadonlyTokenHistory, from: number): void {
    const length = this.size - 1;
    for (let p = Math.max(from, length); p < history.length; p++) {
      const tokens = history.tokens;
      if (2 * (state.prefixes + 1) > state.slots.length) grow(state, tokens, length);
      const s = slotOf(state.slots, tokens, p - 1, length, OFFSET);
      if (state.slots[s] === 0) {
        state.slots[s] = p - 1 + OFFSET;
        state.prefixes++;
      }
      const follower = tokens[p] as number;
      let f = state.heads[s] as number;
      while (f >= 0 && state.followers[f] !== follower) f = state.next[f] as number;
      if (f >= 0) continue;
      if (state.stored === state.followers.length) {
        const followers = new Int32Array(state.stored * 2);
        followers.set(state.followers);
        const next = new Int32Array(state.stored * 2);
        next.set(state.next);
        state.followers = followers;
        state.next = next;
      }
      state.followers[state.stored] = follower;
      state.next[state.stored] = state.heads[s] as number;
      state.heads[s] = state.stored++;
    }
  }

  /**
   * Bans the tokens that would repeat an n-gram.
   *
   * @param row Scores, changed in place.
   * @param state The table.
   * @param history The sequence.
   */
  process(row: Float32Array, state: NoRepeatNGramState, history: ReadonlyTokenHistory): void {
    const length = this.size - 1;
    if (history.length < length) return;
    const s = slotOf(state.slots, history.tokens, history.length - 1, length, OFFSET);
    if (state.slots[s] === 0) return;
    for (let f = state.heads[s] as number; f >= 0; f = state.next[f] as number) row[state.followers[f] as number] = -Infinity;
  }

  /**
   * The spec.
   *
   * @returns `{ kind: "no-repeat-ngram", size }`.
   */
  override toJSON(): ProcessorSpec {
    return { kind: 'no-repeat-ngram', size: this.size } satisfies NoRepeatNGramSpec;
  }

  /** How a no-repeat-n-gram processor is read from JSON. @internal */
  static readonly spec: SpecDefinition<NoRepeatNGramSpec> = {
    kind: 'no-repeat-ngram',
    schema: () => v.strictObject({ kind: v.literal('no-repeat-ngram'), size: count }),
    fromSpec: (spec) => new NoRepeatNGram(optionsOf(spec)),
  };
}
