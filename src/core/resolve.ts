import type { Vocabulary } from './vocabulary';
import { RuleLMError } from './errors';

/**
 * Which spellings of a text count:
 * - `"both"`: the text alone and the text after a word boundary (a leading space);
 * - `"leading"`: only after a word boundary (`▁I`, `ĠI`);
 * - `"none"`: only the bare text (`I`).
 */
export type Boundary = 'both' | 'leading' | 'none';

/** What a text resolved to: single tokens and multi-token sequences, each with its spelling. */
export interface TextResolution {
  /** Ids of single tokens that spell the text (with the boundaries asked for). */
  readonly ids: readonly number[];
  /** Token sequences of two or more tokens that spell it, when no single token does. */
  readonly sequences: readonly (readonly number[])[];
}

function spelling(vocabulary: Vocabulary, ids: readonly number[]): string | undefined {
  let text = '';
  for (const id of ids) {
    const s = vocabulary.surface(id);
    if (s === undefined) return undefined;
    text += s;
  }
  return text;
}

/**
 * Resolves text to every token that spells it, for any vocabulary kind. A single token is
 * preferred; when none spells the text, the vocabulary's encoder is asked for token
 * sequences, and a sequence counts only if its pieces spell exactly the text (or the text after
 * a space, per `boundary`).
 *
 * @param vocabulary The vocabulary.
 * @param text Non-empty text.
 * @param boundary Which spellings count.
 * @returns The ids and sequences; both empty when nothing spells the text.
 * @throws {RuleLMError} On empty text.
 * @example
 * ```ts
 * resolveText(vocabulary, 'I', 'both'); // { ids: [306, 29902], sequences: [] } on Llama 2
 * ```
 */
export function resolveText(vocabulary: Vocabulary, text: string, boundary: Boundary = 'both'): TextResolution {
  if (typeof text !== 'string' || text.length === 0) {
    throw new RuleLMError(`\`text\` must be a non-empty string, but is ${JSON.stringify(text)}`, { argument: 'text' });
  }
  const wanted: string[] = [];
  if (boundary !== 'leading') wanted.push(text);
  if (boundary !== 'none') wanted.push(` ${text}`);
  const ids = [...new Set(wanted.flatMap((w) => vocabulary.idsWithSurface(w)))].sort((a, b) => a - b);
  if (ids.length > 0 || vocabulary.encode === undefined) return { ids, sequences: [] };
  const sequences: number[][] = [];
  const seen = new Set<string>();
  for (const candidate of [text, ` ${text}`]) {
    const encoded = [...vocabulary.encode(candidate)];
    const spelled = spelling(vocabulary, encoded);
    if (encoded.length < 2 || spelled === undefined || !wanted.includes(spelled)) continue;
    const key = encoded.join(',');
    if (!seen.has(key)) {
      seen.add(key);
      sequences.push(encoded);
    }
  }
  return { ids: [], sequences };
}

/**
 * Resolves a tag such as `<|user|>` to the token sequence that marks it in a tokenized
 * conversation: the tokens of `"\n" + tag + "\n"` after those that spell the newline and the
 * tag's first character, whose tokenization depends on what comes before. On Llama 2 this is
 * exactly the reference code's "last 5 tokens" of `"\n<|user|>\n"`.
 *
 * @param vocabulary A vocabulary with an encoder.
 * @param tag The tag text, at least two characters.
 * @param argument The option name for error messages.
 * @returns The marker's token ids.
 * @throws {RuleLMError} When the vocabulary cannot encode or the tag cannot be located.
 */
export function resolveMarker(vocabulary: Vocabulary, tag: string, argument: string): readonly number[] {
  if (typeof tag !== 'string' || tag.length < 2) {
    throw new RuleLMError(`\`${argument}\` must be a tag of at least 2 characters or an array of token ids, but is ${JSON.stringify(tag)}`, { argument });
  }
  if (vocabulary.encode === undefined) {
    throw new RuleLMError(`\`${argument}\` is text, but the vocabulary has no encoder; pass the marker's token ids instead`, { argument });
  }
  const ids = [...vocabulary.encode(`\n${tag}\n`)];
  const head = `\n${tag[0] as string}`;
  let spelled = '';
  for (let i = 0; i < ids.length; i++) {
    const s = vocabulary.surface(ids[i] as number);
    if (s === undefined) break;
    spelled += s;
    if (spelled.includes(head)) {
      const rest = ids.slice(i + 1);
      if (rest.length > 0) return rest;
      break;
    }
  }
  throw new RuleLMError(`\`${argument}\` (${JSON.stringify(tag)}) could not be located in its own tokenization; pass the marker's token ids instead`, {
    argument,
  });
}
