// Word counting and word tokenization as IFEval uses them: `count_words` (NLTK's
// `RegexpTokenizer(r"\w+")`) and `nltk.word_tokenize` (Punkt sentences, then the Treebank word
// tokenizer with NLTK's improvements), for `change_case:capital_word_frequency`. Browser-safe.

import { PY_B, PY_S, PY_W } from './python';

const WORDS = new RegExp(`[${PY_W}]+`, 'gu');

/**
 * Counts words as IFEval's `count_words` does: runs of Python `\w` characters (letters, numbers,
 * underscore; combining marks split words, as in Python).
 *
 * @param text The text.
 * @returns The number of words.
 */
export function countWords(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(WORDS)) n++;
  return n;
}

const S = `[${PY_S}]`;
const W = `[${PY_W}]`;
type Rule = readonly [RegExp, string];
const rule = (source: string, replacement: string, flags = ''): Rule => [new RegExp(source, `gu${flags}`), replacement];

const STARTING_QUOTES: readonly Rule[] = [
  rule('([«“‘„]|[`]+)', ' $1 '),
  rule('^"', '``'),
  rule('(``)', ' $1 '),
  rule('([ ([{<])("|\'{2})', '$1 `` '),
  rule(`(')(?!re|ve|ll|m|t|s|d|n)(${W})${PY_B}`, '$1 $2', 'i'),
];
const PUNCTUATION: readonly Rule[] = [
  rule(`([^.])(\\.)([\\])}>"'»”’ ]*)${S}*$`, '$1 $2 $3 '),
  rule('([:,])([^\\p{Nd}])', ' $1 $2'),
  rule('([:,])$', ' $1 '),
  rule('\\.{2,}', ' $& '),
  rule('[;@#$%&]', ' $& '),
  rule(`([^.])(\\.)([\\])}>"']*)${S}*$`, '$1 $2$3 '),
  rule('[?!]', ' $& '),
  rule("([^'])' ", "$1 ' "),
  rule('[*]', ' $& '),
];
const PARENS: Rule = rule('[\\][(){}<>]', ' $& ');
const DASHES: Rule = rule('--', ' -- ');
const ENDING_QUOTES: readonly Rule[] = [
  rule('([»”’])', ' $1 '),
  rule("''", " '' "),
  rule('"', " '' "),
  rule(`${S}+`, ' '),
  rule("([^' ])('[sS]|'[mM]|'[dD]|') ", '$1 $2 '),
  rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", '$1 $2 '),
];
const CONTRACTIONS: readonly Rule[] = [
  rule(`${PY_B}(can)(not)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(d)('ye)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(gim)(me)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(gon)(na)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(got)(ta)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(lem)(me)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(more)('n)${PY_B}`, ' $1 $2 ', 'i'),
  rule(`${PY_B}(wan)(na)(?=${S})`, ' $1 $2 ', 'i'),
  rule(` ('t)(is)${PY_B}`, ' $1 $2 ', 'i'),
  rule(` ('t)(was)${PY_B}`, ' $1 $2 ', 'i'),
];
const SPLIT = new RegExp(`${S}+`, 'u');

/**
 * Tokenizes a text into words like `nltk.word_tokenize` (the Treebank rules with NLTK's
 * changes: quotes, clitics, contractions, punctuation, brackets, dashes). NLTK first splits the
 * text into sentences; that only changes where a sentence-final period is split off, which this
 * applies to the end of the text only, so the tokens that contain letters are the same.
 *
 * @param text The text.
 * @returns The tokens.
 */
export function wordTokenize(text: string): string[] {
  let t = text;
  for (const [re, to] of STARTING_QUOTES) t = t.replace(re, to);
  for (const [re, to] of PUNCTUATION) t = t.replace(re, to);
  t = t.replace(PARENS[0], PARENS[1]).replace(DASHES[0], DASHES[1]);
  t = ` ${t} `;
  for (const [re, to] of ENDING_QUOTES) t = t.replace(re, to);
  for (const [re, to] of CONTRACTIONS) t = t.replace(re, to);
  return t.split(SPLIT).filter((w) => w.length > 0);
}
