import type { ReadonlyTokenHistory } from './history';
import type { AnyProcessor } from './processor';
import { TokenHistory } from './history';
import { assertOptions, fail } from './validate';

/** Options of {@link startSequence}. */
export interface SequenceOptions {
  /** The prompt's token ids. May be empty. */
  readonly prompt: ArrayLike<number>;
  /** Number of ids in the vocabulary (the length of a score row). */
  readonly vocabSize: number;
  /** Initial history buffer size in tokens; set it to prompt + max new tokens to never grow. */
  readonly capacity?: number;
}

/**
 * One sequence being generated with a processor: its history and the processor's state.
 * Created by {@link startSequence}.
 */
export interface Sequence {
  /** The tokens so far. */
  readonly history: ReadonlyTokenHistory;
  /**
   * Applies the processor to the next-token scores, in place.
   *
   * @param row Scores of length `vocabSize`.
   * @returns The same `row`, changed.
   */
  process(row: Float32Array): Float32Array;
  /**
   * Appends a generated token and updates the state with it.
   *
   * @param token The chosen token id.
   */
  push(token: number): void;
  /**
   * Appends several tokens at once and updates the state with them.
   *
   * @param tokens The token ids, in order.
   */
  append(tokens: ArrayLike<number>): void;
}

/**
 * Starts a sequence: creates the processor's state for this prompt. This is how to run rulelm
 * in a decoding loop of your own; the transformers.js adapter does it for you.
 *
 * @param processor A processor or a chain.
 * @param options The prompt and the vocabulary size.
 * @returns The sequence, ready for its first `process` call.
 * @throws {RuleLMError} On a bad prompt or vocabulary size, or a processor whose token ids do
 * not fit the vocabulary.
 * @example
 * ```ts
 * const sequence = startSequence(hewitt2024(vocabulary), { prompt: ids, vocabSize: 32000 });
 * sequence.process(logits);        // in place
 * sequence.push(argmax(logits));
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function startSequence(processor: AnyProcessor, options: SequenceOptions): Sequence {
  if (typeof processor !== 'object' || processor === null || typeof processor.process !== 'function') {
    fail('processor', 'a rulelm processor', processor);
  }
  assertOptions('options', options, ['prompt', 'vocabSize', 'capacity']);
  const history = new TokenHistory(options.prompt, options.vocabSize, options.capacity ?? 0);
  const state: unknown = processor.createState(history);
  processor.update(state, history, 0);
  const vocabSize = history.vocabSize;
  return {
    history,
    process(row: Float32Array): Float32Array {
      if (!(row instanceof Float32Array) || row.length !== vocabSize) {
        fail('row', `a Float32Array of length ${vocabSize} (the vocabulary size)`, row);
      }
      processor.process(row, state, history, 1);
      return row;
    },
    push(token: number): void {
      const from = history.length;
      history.push(token);
      processor.update(state, history, from);
    },
    append(tokens: ArrayLike<number>): void {
      if (tokens === null || typeof tokens !== 'object' || typeof tokens.length !== 'number') fail('tokens', 'an array of token ids', tokens);
      // Validate every token first: a bad one must leave the history and the state unchanged.
      for (let i = 0; i < tokens.length; i++) {
        const token = tokens[i] as number;
        if (!Number.isInteger(token) || token < 0 || token >= vocabSize) fail(`tokens[${i}]`, `a token id from 0 to ${vocabSize - 1}`, token);
      }
      const from = history.length;
      for (let i = 0; i < tokens.length; i++) history.push(tokens[i] as number, `tokens[${i}]`);
      processor.update(state, history, from);
    },
  };
}
