import { RuleLMError } from './errors';
import { assertNonNegativeInteger, assertPositiveInteger, describe, fail } from './validate';

/**
 * What a processor may read of one sequence: its tokens so far and where the prompt ends.
 * Processors must not change it.
 */
export interface ReadonlyTokenHistory {
  /** The token buffer. Only the first `length` entries are tokens; the rest is spare capacity. */
  readonly tokens: Int32Array;
  /** Number of tokens in the sequence (prompt and response). */
  readonly length: number;
  /** Number of prompt tokens; the response starts at this index. */
  readonly promptLength: number;
  /** Number of response tokens: `length - promptLength`. */
  readonly responseLength: number;
  /** Number of ids in the vocabulary of this sequence; every token is below it. */
  readonly vocabSize: number;
}

/**
 * The token history of one sequence, grown incrementally. Appending is amortized O(1):
 * the buffer doubles when full, so a generation of n tokens allocates O(log n) times.
 */
export class TokenHistory implements ReadonlyTokenHistory {
  /** The token buffer; valid up to `length`. */
  tokens: Int32Array;
  /** Number of tokens. */
  length: number;
  /** Number of prompt tokens. */
  readonly promptLength: number;
  /** Vocabulary size of this sequence. */
  readonly vocabSize: number;

  /**
   * Creates a history holding `prompt`.
   *
   * @param prompt The prompt's token ids.
   * @param vocabSize Number of ids in the vocabulary; every token must be below it.
   * @param capacity Initial buffer size in tokens (grows as needed).
   * @throws {RuleLMError} When a prompt token is not an id of the vocabulary.
   */
  constructor(prompt: ArrayLike<number>, vocabSize: number, capacity = 0) {
    assertPositiveInteger('vocabSize', vocabSize);
    assertNonNegativeInteger('capacity', capacity);
    if (prompt === null || typeof prompt !== 'object' || typeof prompt.length !== 'number') {
      fail('prompt', 'an array of token ids', prompt);
    }
    this.vocabSize = vocabSize;
    this.tokens = new Int32Array(Math.max(capacity, prompt.length + 64));
    this.length = 0;
    for (let i = 0; i < prompt.length; i++) this.push(prompt[i] as number, `prompt[${i}]`);
    this.promptLength = prompt.length;
  }

  /**
   * Number of response tokens.
   *
   * @returns `length - promptLength`.
   */
  get responseLength(): number {
    return this.length - this.promptLength;
  }

  /**
   * Appends one token.
   *
   * @param token A token id below `vocabSize`.
   * @param argument The name used in the error message.
   * @throws {RuleLMError} When `token` is not an id of the vocabulary.
   */
  push(token: number, argument = 'token'): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new RuleLMError(
        `\`${argument}\` must be a token id from 0 to ${this.vocabSize - 1}, but is ${describe(token)}`,
        { argument },
      );
    }
    if (this.length === this.tokens.length) {
      const grown = new Int32Array(this.tokens.length * 2);
      grown.set(this.tokens);
      this.tokens = grown;
    }
    this.tokens[this.length++] = token;
  }
}
