// How the tokenizer tests check resolveText: every spelling a real tokenizer writes for a text, in
// contexts of the test's own choosing, must be covered (single ids or sequences). Spellings are
// found with the tokenizer's own decoder, not with rulelm's vocabulary.
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { Boundary } from 'rulelm';
import { resolveText, toVocabulary } from 'rulelm';
import { HEWITT2024 } from '../../src/presets/hewitt2024-constants';

/** Texts tried on every family: a word, CJK, accented Latin, emoji, leading-space forms, and every uniform-rule word. */
export const TEXTS: readonly { readonly text: string; readonly boundary: Boundary }[] = [
  ...(
    [
      ['delve', 'both'], ['Hello', 'none'], ['tapestry', 'leading'], ['你好', 'both'], ['日本語', 'none'], ['é', 'none'], ['café', 'both'],
      ['naïve', 'both'], ['😀', 'both'], ['👍🏽', 'none'], [' world', 'none'], [' 🎉', 'none'],
    ] as const
  ).map(([text, boundary]) => ({ text, boundary })),
  ...HEWITT2024.uniform.map((u) => ({ text: u.text, boundary: u.boundary })),
];

// Contexts chosen here, not the library's list: what comes before and after the text.
const BEFORE = ['', ' ', '\n', 'Hello ', 'Hello\n', 'x\n\n', '“', '[', '1. ', '—', '你 ', 'I said: ', '\t\t'];
const AFTER = ['', ' ', '.\n', "'s", ' world', ')', '\n\n'];

// The text of a run of ids, decoded by the tokenizer after an anchor token (decoders strip a
// leading space at the very start); cached per run.
function runDecoder(tokenizer: PreTrainedTokenizer): (run: readonly number[]) => string {
  const anchor = tokenizer.encode('x', { add_special_tokens: false }).at(-1) as number;
  const anchorText = tokenizer.decode([anchor], { clean_up_tokenization_spaces: false });
  const cache = new Map<string, string>();
  return (run) => {
    const key = run.join(',');
    let text = cache.get(key);
    if (text === undefined) {
      const decoded = tokenizer.decode([anchor, ...run], { clean_up_tokenization_spaces: false });
      text = decoded.startsWith(anchorText) ? decoded.slice(anchorText.length) : '\u0000';
      cache.set(key, text);
    }
    return text;
  };
}

/**
 * Every run of ids the tokenizer writes for the text (with the boundary's leading space or not)
 * in the test's contexts.
 *
 * @param tokenizer The tokenizer.
 * @param text The text.
 * @param boundary Which spellings count.
 * @returns The runs, as comma-joined ids.
 */
export function spellingsInContext(tokenizer: PreTrainedTokenizer, text: string, boundary: Boundary): Set<string> {
  const wanted = [...(boundary === 'leading' ? [] : [text]), ...(boundary === 'none' ? [] : [` ${text}`])];
  const decodeRun = runDecoder(tokenizer);
  const longest = Math.max(...wanted.map((w) => new TextEncoder().encode(w).length)); // a token spells at least one byte
  const found = new Set<string>();
  for (const before of BEFORE) {
    for (const after of AFTER) {
      const ids = tokenizer.encode(before + text + after, { add_special_tokens: false });
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j <= ids.length && j - i <= longest; j++) {
          if (wanted.includes(decodeRun(ids.slice(i, j)))) found.add(ids.slice(i, j).join(','));
        }
      }
    }
  }
  return found;
}

/**
 * How many texts have every spelling covered by resolveText, on one tokenizer.
 *
 * @param tokenizer The tokenizer.
 * @returns Covered texts, texts tried, and the uncovered spellings.
 */
export function coverage(tokenizer: PreTrainedTokenizer): { covered: number; tried: number; missing: string[] } {
  const vocabulary = toVocabulary(tokenizer);
  const missing: string[] = [];
  let covered = 0;
  for (const { text, boundary } of TEXTS) {
    const resolved = resolveText(vocabulary, text, boundary);
    const keys = new Set([...resolved.ids.map(String), ...resolved.sequences.map((s) => s.join(','))]);
    const lost = [...spellingsInContext(tokenizer, text, boundary)].filter((run) => !keys.has(run));
    if (lost.length === 0) covered++;
    else missing.push(`${JSON.stringify(text)} (${boundary}): ${lost.join(' | ')}`);
  }
  return { covered, tried: TEXTS.length, missing };
}
