// Response text and stop strings for generateWithExperts: the text of generated tokens as it
// reads after what precedes them, and the check, after each token, for a completed stop string.
import type { ExpertTokenizerLike } from './experts';

/**
 * The text of `tokens` as it reads after `context`: both are decoded together and the context's
 * text cut off, so a SentencePiece leading space is kept (decoders drop it at the start of a
 * text). When the context's text is not a prefix of the whole, `tokens` are decoded alone.
 *
 * @param tokenizer The tokenizer.
 * @param context The tokens before (e.g. the prompt).
 * @param tokens The tokens to decode.
 * @param skipSpecialTokens Leave special tokens out of the text (default `true`).
 * @returns Their text.
 */
export function decodeAfter(tokenizer: ExpertTokenizerLike, context: readonly number[], tokens: readonly number[], skipSpecialTokens = true): string {
  const options = { skip_special_tokens: skipSpecialTokens };
  const before = tokenizer.decode([...context], options);
  const text = tokenizer.decode([...context, ...tokens], options);
  return text.startsWith(before) ? text.slice(before.length) : tokenizer.decode([...tokens], options);
}

/** The stop strings of a generation: which end a row, and where its text is cut. */
export class StopStrings {
  /** The stop strings. */
  readonly strings: readonly string[];
  private readonly tokenizer: ExpertTokenizerLike;
  // Tokens decoded after each new token: enough to hold the longest stop string.
  private readonly window: number;

  /**
   * @param tokenizer Decodes the responses.
   * @param strings Non-empty strings (validated by the options).
   */
  constructor(tokenizer: ExpertTokenizerLike, strings: readonly string[]) {
    this.tokenizer = tokenizer;
    this.strings = strings;
    const longest = Math.max(0, ...strings.map((s) => s.length));
    this.window = longest === 0 ? 0 : longest * 4 + 8;
  }

  /**
   * Tells whether the last token of a response completed a stop string. Only the last tokens can
   * have; they are decoded after one token of context (the prompt's last at the start).
   *
   * @param prompt The row's prompt ids.
   * @param tokens The response so far (the new token last).
   * @returns `true` when the text of the last tokens holds a stop string.
   */
  completes(prompt: readonly number[], tokens: readonly number[]): boolean {
    if (this.window === 0) return false;
    const start = Math.max(0, tokens.length - this.window);
    const tail = decodeAfter(this.tokenizer, start > 0 ? tokens.slice(start - 1, start) : prompt.slice(-1), tokens.slice(start));
    return this.strings.some((s) => tail.includes(s));
  }

  /**
   * Cuts a response's text before the first stop string in it.
   *
   * @param text The text.
   * @returns The text up to the earliest stop string (all of it when there is none).
   */
  cut(text: string): string {
    const at = Math.min(...this.strings.map((s) => text.indexOf(s)).filter((i) => i >= 0));
    return text.slice(0, at);
  }
}
