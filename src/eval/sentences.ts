// A sentence splitter with the algorithm of NLTK's Punkt tokenizer (what IFEval's
// `count_sentences` uses, through `nltk.data.load("tokenizers/punkt/english.pickle")`), with
// hand-written parameters in place of the trained English model. Browser-safe.
//
// The algorithm is Punkt's (Kiss & Strunk 2006, as NLTK implements it): candidate ends are
// `.`, `?` and `!` followed by punctuation or by whitespace and a token; a candidate is a break
// when its token is a sentence end after the first pass (`?`, `!`, a word ending in a period
// that is not a known abbreviation) and the second pass (orthographic heuristic for
// abbreviations, ellipses, initials and ordinal numbers) keeps it one; closing quotes and
// brackets after a break are moved to the sentence before. What differs from NLTK is the model:
// NLTK's English model has a learned list of abbreviations, collocations, frequent sentence
// starters and, for every word type of its training text, whether it was seen capitalized or
// lower case at the start and in the middle of sentences. Here the abbreviations are a
// hand-written list of common English ones, and the orthographic evidence is approximated:
// a capitalized common English word starts a sentence, another capitalized word (a name) is
// "unknown", a lower-case word does not start one.

import { PY_S, pyIsLower, pyIsUpper, pyRstrip } from './python';

/** Abbreviations (lower case, without the final period) that do not end a sentence. */
export const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'messrs', 'mme', 'mlle', 'rev', 'gen', 'gov', 'sen', 'rep', 'lt', 'col', 'maj',
  'capt', 'cmdr', 'adm', 'sgt', 'cpl', 'pvt', 'hon', 'pres', 'supt', 'insp', 'det', 'fr',
  'inc', 'corp', 'co', 'ltd', 'bros', 'cos', 'assn', 'dept', 'univ', 'ave', 'blvd', 'rd', 'mt', 'ft', 'no', 'nos', 'vol', 'vols',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'mon', 'tue', 'tues', 'wed', 'thu', 'thur', 'thurs', 'fri', 'sat', 'sun',
  'a.m', 'p.m', 'e.g', 'i.e', 'etc', 'vs', 'cf', 'al', 'approx', 'est', 'fig', 'figs', 'pp', 'ed', 'eds',
  'u.s', 'u.k', 'u.n', 'u.s.a', 'd.c', 'n.y', 'l.a', 'calif', 'fla', 'mass', 'conn', 'ariz', 'colo', 'okla', 'tenn', 'wash', 'wis',
  'mich', 'minn', 'nev', 'ore', 'tex', 'ala', 'ga', 'kan', 'neb', 'n.j', 'n.c', 's.c', 'n.h', 'r.i', 'va', 'pa', 'ky', 'md', 'del', 'ill', 'ind',
]);

/** Frequent English words: capitalized after an abbreviation, ellipsis or initial, they start a sentence. */
const COMMON = new Set(
  (
    'a about above after again against all also although always am among an and another any are as at be because been before being ' +
    'below between both but by can could did do does doing down during each even every few first for from further had has have having ' +
    'he her here hers herself him himself his how however i if in instead into is it its itself just last let like many may me more ' +
    'most much must my myself next no nor not now of off often on once one only or other our ours ourselves out over own perhaps ' +
    'please same second she should since so some still such than that the their theirs them themselves then there these they third ' +
    'this those though through thus to today too under until up upon us very was we were what when where whether which while who ' +
    'whom whose why will with within without would yes yet you your yours yourself yourselves ' +
    'add ask avoid be begin bring buy call check choose consider create do eat enjoy find finally follow get give go have help keep ' +
    'know learn look make many mix note overall place put read remember remove see serve set start step stir take tell think try ' +
    'use visit wait want watch write additionally furthermore moreover meanwhile therefore instead besides otherwise similarly ' +
    'in conclusion example examples good great here hi hello dear thank thanks well oh our sure okay ok best my day title section'
  ).split(' '),
);

const NON_WORD = `[)"';}\\]*:@({\\[!?]`;
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.[${PY_S}]){2,}\\.)`;
const WORD_START = '[^("`{\\[:;&#*@)}\\]\\-,]';
const S = `[${PY_S}]`;
const NS = `[^${PY_S}]`;
const WORD_TOKEN = new RegExp(`${MULTI_CHAR}|(?=${WORD_START})${NS}+?(?=${S}|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|${S}|${NON_WORD}|${MULTI_CHAR}))|${NS}`, 'gu');
const PERIOD_CONTEXT = new RegExp(`[.?!](?=(${NON_WORD}|${S}+(${NS}+)))`, 'dgu');
const NUMBER = /^-?[.,]?\p{Nd}[\p{Nd},.-]*\.?$/u;
const ELLIPSIS = /^\.\.+$/;
const INITIAL = /^[\p{L}\p{Nl}\p{No}_]\.$/u;
const REALIGN = new RegExp(`^["')\\]}]+?(?:${S}+|(?=--)|$)`, 'u');
const ASCII_SPACE = ' \t\n\r\v\f';

interface Token {
  readonly tok: string;
  readonly type: string;
  readonly periodFinal: boolean;
  sentbreak: boolean;
  abbr: boolean;
  ellipsis: boolean;
}

function token(tok: string): Token {
  const type = tok.toLowerCase().replace(NUMBER, '##number##');
  return { tok, type, periodFinal: tok.endsWith('.'), sentbreak: false, abbr: false, ellipsis: false };
}

const typeNoPeriod = (t: Token): string => (t.type.length > 1 && t.type.endsWith('.') ? t.type.slice(0, -1) : t.type);
const typeNoSentPeriod = (t: Token): string => (t.sentbreak ? typeNoPeriod(t) : t.type);
const firstUpper = (t: Token): boolean => pyIsUpper([...t.tok][0] ?? '');
const firstLower = (t: Token): boolean => pyIsLower([...t.tok][0] ?? '');

// Orthographic evidence that `t` starts a sentence: true, false or unknown.
function orthographic(t: Token): boolean | 'unknown' {
  if (';:,.!?'.includes(t.tok)) return false;
  if (firstUpper(t)) return COMMON.has(typeNoSentPeriod(t)) ? true : 'unknown';
  if (firstLower(t)) return false;
  return 'unknown';
}

function annotate(tokens: Token[]): void {
  for (const t of tokens) {
    if (t.tok === '.' || t.tok === '?' || t.tok === '!') t.sentbreak = true;
    else if (ELLIPSIS.test(t.tok)) t.ellipsis = true;
    else if (t.periodFinal && !t.tok.endsWith('..')) {
      const word = t.tok.slice(0, -1).toLowerCase();
      if (ABBREVIATIONS.has(word) || ABBREVIATIONS.has(word.split('-').pop() as string)) t.abbr = true;
      else t.sentbreak = true;
    }
  }
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i] as Token;
    const b = tokens[i + 1] as Token;
    if (!a.periodFinal) continue;
    const initial = INITIAL.test(a.tok);
    if ((a.abbr || a.ellipsis) && !initial) {
      // Frequent sentence starters are covered by the common words.
      if (orthographic(b) === true) {
        a.sentbreak = true;
        continue;
      }
    }
    if (initial || typeNoPeriod(a) === '##number##') {
      const starts = orthographic(b);
      if (starts === false || (starts === 'unknown' && initial && firstUpper(b))) {
        a.sentbreak = false;
        a.abbr = true;
      }
    }
  }
}

function containsBreak(context: string): boolean {
  const tokens: Token[] = [];
  for (const line of context.split('\n')) for (const m of line.matchAll(WORD_TOKEN)) tokens.push(token(m[0]));
  annotate(tokens);
  let found = false;
  for (const t of tokens) {
    if (found) return true;
    if (t.sentbreak) found = true;
  }
  return false;
}

function lastAsciiSpace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (ASCII_SPACE.includes(text[i] as string)) return i;
  return 0;
}

/**
 * Splits a text into sentences with Punkt's algorithm (NLTK's `sent_tokenize` for English) and
 * approximated English parameters (see the module comment and docs/eval.md).
 *
 * @param text The text.
 * @returns The sentences, without surrounding whitespace.
 */
export function splitSentences(text: string): string[] {
  // Candidate ends with their context (the previous word, the end character and what follows).
  const candidates: { end: number; next: number | undefined; context: string }[] = [];
  let previous: { match: RegExpExecArray; start: number; stop: number } | undefined;
  let slice = { start: 0, stop: 0 };
  const push = (p: { match: RegExpExecArray; start: number; stop: number }): void => {
    const next = p.match.indices?.[2]?.[0];
    candidates.push({ end: p.match.index + 1, next, context: text.slice(p.start, p.stop) + p.match[0] + (p.match[1] ?? '') });
  };
  for (const match of text.matchAll(PERIOD_CONTEXT)) {
    const before = text.slice(slice.stop, match.index);
    const space = lastAsciiSpace(before);
    const start = space !== 0 ? space + slice.stop + 1 : slice.start;
    if (previous !== undefined && slice.stop <= start) push(previous);
    previous = { match, start, stop: match.index };
    slice = { start, stop: match.index };
  }
  if (previous !== undefined) push(previous);

  const slices: { start: number; stop: number }[] = [];
  let lastBreak = 0;
  for (const c of candidates) {
    if (!containsBreak(c.context)) continue;
    slices.push({ start: lastBreak, stop: c.end });
    lastBreak = c.next ?? c.end;
  }
  slices.push({ start: lastBreak, stop: pyRstrip(text).length });

  // Closing quotes and brackets after a break belong to the sentence before.
  const sentences: string[] = [];
  let realign = 0;
  for (let i = 0; i < slices.length; i++) {
    const s1 = { start: (slices[i] as { start: number }).start + realign, stop: (slices[i] as { stop: number }).stop };
    const s2 = slices[i + 1];
    if (s2 === undefined) {
      if (s1.stop > s1.start) sentences.push(text.slice(s1.start, s1.stop));
      continue;
    }
    const m = REALIGN.exec(text.slice(s2.start, s2.stop));
    if (m) {
      sentences.push(text.slice(s1.start, s2.start + pyRstrip(m[0]).length));
      realign = m[0].length;
    } else {
      realign = 0;
      if (s1.stop > s1.start) sentences.push(text.slice(s1.start, s1.stop));
    }
  }
  return sentences;
}

/**
 * Counts sentences as IFEval's `count_sentences` does (see {@link splitSentences}).
 *
 * @param text The text.
 * @returns The number of sentences.
 */
export function countSentences(text: string): number {
  return splitSentences(text).length;
}
