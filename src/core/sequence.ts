import type { ReadonlyTokenHistory } from './history';
import { Chain } from './chain';
import { TokenHistory } from './history';
import { assertProcessor } from './processor';
import type { Processor } from './processor';
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

/** What one member of a processor changed in one row at one step, reported by {@link Sequence.trace}. */
export interface MemberChanges {
  /** Index of the member (in a chain, its position; otherwise 0, the processor itself). */
  readonly processorIndex: number;
  /** The member's kind. */
  readonly kind: string;
  /** Every token whose score changed, with the change (`after - before`; infinite when a score was unmasked or masked). */
  readonly changes: readonly { readonly token: number; readonly delta: number }[];
}

/**
 * One sequence being generated with a processor: its history and the processor's state.
 * Created by {@link startSequence}, the one driver of processors: the adapters and the experts
 * loop use it too.
 */
export interface Sequence {
  /** The processor. */
  readonly processor: Processor;
  /** The tokens so far. */
  readonly history: ReadonlyTokenHistory;
  /**
   * Applies the processor to the next-token scores, in place.
   *
   * @param row Scores (logits) of length `vocabSize`.
   * @returns The same `row`, changed.
   * @throws {RuleLMError} When `row` is not a `Float32Array` of length `vocabSize`.
   */
  process(row: Float32Array): Float32Array;
  /**
   * Applies the processor like `process`, and reports what each member (each processor of a
   * chain; the processor itself otherwise) changed. Costs a pass over the row per member.
   *
   * @param row Scores of length `vocabSize`.
   * @param report Called once per member, in order.
   * @returns The same `row`, changed.
   * @throws {RuleLMError} When `row` is not a `Float32Array` of length `vocabSize`.
   */
  trace(row: Float32Array, report: (changes: MemberChanges) => void): Float32Array;
  /**
   * Appends a generated token and updates the state with it.
   *
   * @param token The chosen token id.
   * @throws {RuleLMError} When `token` is not an id of the vocabulary.
   */
  push(token: number): void;
  /**
   * Appends several tokens at once and updates the state with them. A bad token leaves the
   * sequence unchanged.
   *
   * @param tokens The token ids, in order.
   * @throws {RuleLMError} When a token is not an id of the vocabulary (named by index).
   */
  append(tokens: ArrayLike<number>): void;
}

/**
 * Starts a sequence: checks the processor's ids against the vocabulary, creates its state for
 * this prompt and feeds it the prompt. This is how to run rulelm in a decoding loop of your own;
 * the adapters do it for you.
 *
 * @param processor A processor (a chain, a preset, ...).
 * @param options The prompt (token ids) and the vocabulary size.
 * @returns The sequence, ready for its first `process` call.
 * @throws {RuleLMError} On a bad prompt or vocabulary size, or a processor whose token ids do
 * not fit the vocabulary.
 * @example
 * ```ts
 * import { TokenBias, argmax, startSequence } from 'rulelm';
 *
 * const sequence = startSequence(new TokenBias({ biases: [{ token: 3, bias: 5 }] }), { prompt: [1, 2], vocabSize: 8 });
 * const logits = new Float32Array(8);
 * sequence.process(logits); // logits[3] === 5, in place
 * sequence.push(argmax(logits));
 * sequence.history.responseLength; // 1
 * ```
 */
export function startSequence(processor: Processor, options: SequenceOptions): Sequence {
  assertProcessor('processor', processor);
  assertOptions('options', options, ['prompt', 'vocabSize', 'capacity']);
  const history = new TokenHistory(options.prompt, options.vocabSize, options.capacity ?? 0);
  const vocabSize = history.vocabSize;
  processor.checkVocabulary(vocabSize);
  const state: unknown = processor.createState(history);
  processor.update(state, history, 0);
  let before: Float32Array | undefined;

  const checkRow = (row: Float32Array): void => {
    if (!(row instanceof Float32Array) || row.length !== vocabSize) fail('row', `a Float32Array of length ${vocabSize} (the vocabulary size)`, row);
  };
  return {
    processor,
    history,
    process(row: Float32Array): Float32Array {
      checkRow(row);
      processor.process(row, state, history, 1);
      return row;
    },
    trace(row: Float32Array, report: (changes: MemberChanges) => void): Float32Array {
      checkRow(row);
      if (typeof report !== 'function') fail('report', 'a function', report);
      const chained = processor instanceof Chain;
      const members = chained ? processor.processors : [processor];
      const states = chained ? (state as unknown[]) : [state];
      before ??= new Float32Array(vocabSize);
      for (let index = 0; index < members.length; index++) {
        const member = members[index] as Processor;
        before.set(row);
        member.process(row, states[index], history, 1);
        const changes: { token: number; delta: number }[] = [];
        for (let j = 0; j < vocabSize; j++) {
          const a = before[j] as number;
          const z = row[j] as number;
          if (a !== z && !(Number.isNaN(a) && Number.isNaN(z))) changes.push({ token: j, delta: z - a });
        }
        report({ processorIndex: index, kind: member.kind, changes });
      }
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
