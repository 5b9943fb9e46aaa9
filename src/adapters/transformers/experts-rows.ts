// One row of generateWithExperts' batch while it is generated: its prompt, its response so far,
// why it ended, and the rulelm processor's sequence; and the result row it becomes.
import type { Processor } from '../../core/processor';
import type { Sequence } from '../../core/sequence';
import type { ExpertsGenerationRow, ExpertTokenizerLike, FinishReason } from './experts';
import type { StopStrings } from './experts-stop';
import { startSequence } from '../../core/sequence';
import { decodeAfter } from './experts-stop';

/** A row being generated. */
export class GenerationRow {
  /** The prompt's ids (without padding). */
  readonly prompt: readonly number[];
  /** The new tokens so far. */
  readonly tokens: number[] = [];
  /** Why the row ended; `undefined` while it runs. */
  finishReason: FinishReason | undefined = undefined;
  /** The processor's sequence for this row, once started. */
  sequence: Sequence | undefined = undefined;

  /** @param prompt The prompt's ids. */
  constructor(prompt: readonly number[]) {
    this.prompt = prompt;
  }

  /**
   * Starts the processor on this row (through `startSequence`, which checks its ids).
   *
   * @param processor The processor.
   * @param vocabSize The vocabulary size.
   * @param maxNewTokens The most tokens the row can get (sizes the history once).
   */
  start(processor: Processor, vocabSize: number, maxNewTokens: number): void {
    this.sequence = startSequence(processor, { prompt: this.prompt, vocabSize, capacity: this.prompt.length + maxNewTokens });
  }

  /**
   * Appends the chosen token, feeds it to the processor, and ends the row on an EOS id or a
   * completed stop string.
   *
   * @param token The token.
   * @param eosTokenIds The ids that end a row.
   * @param stops The stop strings.
   */
  accept(token: number, eosTokenIds: Int32Array, stops: StopStrings): void {
    this.tokens.push(token);
    this.sequence?.push(token);
    if (eosTokenIds.includes(token)) this.finishReason = 'eos';
    else if (stops.completes(this.prompt, this.tokens)) this.finishReason = 'stop';
  }

  /**
   * The generated row: its tokens, its text (as it reads after the prompt, cut before a stop
   * string) and why it ended (`length` when it did not end by itself).
   *
   * @param tokenizer Decodes the text.
   * @param stops The stop strings.
   * @returns The row.
   */
  result(tokenizer: ExpertTokenizerLike, stops: StopStrings): ExpertsGenerationRow {
    const text = decodeAfter(tokenizer, this.prompt, this.tokens);
    return { tokens: this.tokens, text: this.finishReason === 'stop' ? stops.cut(text) : text, finishReason: this.finishReason ?? 'length' };
  }
}

/**
 * Tells whether a row is still being generated.
 *
 * @param row The row.
 * @returns `true` until it ends.
 */
export function running(row: GenerationRow): boolean {
  return row.finishReason === undefined;
}
