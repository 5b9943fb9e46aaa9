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
  /** Ids of single tokens that spell the text (with the boundaries asked for), in increasing order. */
  readonly ids: readonly number[];
  /**
   * Runs of two or more tokens that spell the text (with the boundaries asked for), as the
   * vocabulary's encoder writes it in some context, in lexicographic order of their ids.
   */
  readonly sequences: readonly (readonly number[])[];
}

/**
 * The contexts a text is encoded in to find how the encoder spells it: what comes before it
 * (nothing, a space, a newline, punctuation, a word, a digit) and after it. A tokenizer's
 * spelling of a text depends only on its neighbours, through its pre-tokenizer (byte-level BPE
 * splits `"delve"` from `" delve"`), its normalizer (SentencePiece's dummy `▁` at the start) and
 * its merges.
 */
const PREFIXES = ['', ' ', '\n', '\n\n', 'a ', 'A. ', '. ', ', ', '(', '"', ': ', '- ', '1 ', '\t', '* '] as const;
const SUFFIXES = ['', ' ', '\n', '.', ', a', '!'] as const;

const utf8 = new TextEncoder();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Every run of `ids` whose bytes are exactly one of `wanted`.
function spellingRuns(vocabulary: Vocabulary, ids: readonly number[], wanted: readonly Uint8Array[], found: (run: readonly number[]) => void): void {
  const longest = Math.max(...wanted.map((w) => w.length));
  const parts = ids.map((id) => vocabulary.bytes(id));
  for (let i = 0; i < ids.length; i++) {
    let length = 0;
    for (let j = i; j < ids.length; j++) {
      const part = parts[j];
      if (part === undefined || part.length === 0) break;
      length += part.length;
      if (length > longest) break;
      const bytes = new Uint8Array(length);
      let at = 0;
      for (let k = i; k <= j; k++) {
        bytes.set(parts[k] as Uint8Array, at);
        at += (parts[k] as Uint8Array).length;
      }
      if (wanted.some((w) => sameBytes(w, bytes))) found(ids.slice(i, j + 1));
    }
  }
}

function compareRuns(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/**
 * Resolves text to every token and token run that spells it, for any vocabulary kind:
 * - `ids`: every single token whose text is exactly the text (or the text after a space, per
 *   `boundary`), whether or not the encoder ever produces it;
 * - `sequences`: every run of two or more tokens that the vocabulary's encoder writes for the
 *   text in some context (at the start, after a space, a newline, punctuation, a word or a
 *   digit, followed by nothing, a space, a newline or punctuation), compared byte for byte, so
 *   characters spelled by byte tokens (`<0xC3><0xA9>` for "é", emoji) resolve too. Byte-level
 *   BPE spells "delve" as `Ġdelve` after a space but `del` + `ve` at the start of a line: with
 *   `"both"` the first is an id and the second a sequence.
 *
 * Without an encoder only single tokens are found.
 *
 * @param vocabulary The vocabulary.
 * @param text Non-empty text.
 * @param boundary Which spellings count (default `"both"`).
 * @returns The ids and sequences; both empty when nothing spells the text.
 * @throws {RuleLMError} On empty text.
 * @example
 * ```ts
 * resolveText(vocabulary, 'I', 'both'); // { ids: [306, 29902], sequences: [] } on Llama 2
 * resolveText(vocabulary, '\u00e9', 'none'); // { ids: [], sequences: [[0, 1]] } with pieces ['\u00c3', '\u00a9'] (byte-level)
 * ```
 */
export function resolveText(vocabulary: Vocabulary, text: string, boundary: Boundary = 'both'): TextResolution {
  if (typeof text !== 'string' || text.length === 0) {
    throw new RuleLMError(`\`text\` must be a non-empty string, but is ${JSON.stringify(text)}`, { argument: 'text' });
  }
  const wanted: string[] = [];
  if (boundary !== 'leading') wanted.push(text);
  if (boundary !== 'none') wanted.push(` ${text}`);
  const single = new Set(wanted.flatMap((w) => vocabulary.idsWithSurface(w)));
  const sequences = new Map<string, readonly number[]>();
  const encode = vocabulary.encode;
  if (encode !== undefined) {
    const wantedBytes = wanted.map((w) => utf8.encode(w));
    const seen = new Set<string>();
    for (const before of PREFIXES) {
      for (const after of SUFFIXES) {
        const input = before + text + after;
        if (seen.has(input)) continue;
        seen.add(input);
        spellingRuns(vocabulary, encode(input), wantedBytes, (run) => {
          if (run.length === 1) single.add(run[0] as number);
          else sequences.set(run.join(','), run);
        });
      }
    }
  }
  return { ids: [...single].sort((a, b) => a - b), sequences: [...sequences.values()].sort(compareRuns) };
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
