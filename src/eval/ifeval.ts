// IFEval (Zhou et al. 2023, "Instruction-Following Evaluation for Large Language Models"): the
// 25 verifiable instruction types of google-research's `instruction_following_eval`, with the
// official checker's semantics (strict: the response as it is; loose: also without its first
// line, its last line, both, and each of those without asterisks). Browser-safe.
//
// Where the official checker calls Python libraries, this uses: `franc-min` for `langdetect`
// (language:response_language, change_case:english_capital, change_case:english_lowercase),
// a Punkt-algorithm splitter with hand-written English parameters for NLTK's trained Punkt
// model (length_constraints:number_sentences), and a port of NLTK's Treebank word tokenizer
// (change_case:capital_word_frequency). docs/eval.md lists where they can differ.

import { RuleLMError } from '../core/errors';
import { describe } from '../core/validate';
import { detectLanguage } from './language';
import { PY_B, PY_S, countMatches, pyIsLower, pyIsUpper, pyJsonValid, pyLstrip, pyPattern, pySplit, pyStrip } from './python';
import { countSentences } from './sentences';
import { countWords, wordTokenize } from './words';

/** One IFEval prompt: what `input_data.jsonl` holds. */
export interface IfevalRow {
  /** The prompt's key in the benchmark. */
  readonly key?: number | string;
  /** The prompt. */
  readonly prompt: string;
  /** The instruction types it contains. */
  readonly instruction_id_list: readonly string[];
  /** The arguments of each instruction (`null` values are ignored). */
  readonly kwargs: readonly Readonly<Record<string, unknown>>[];
}

/** The decisions on one response. */
export interface IfevalResult {
  /** The instruction types, as in the row. */
  readonly ids: readonly string[];
  /** Strict decision per instruction. */
  readonly strict: readonly boolean[];
  /** Loose decision per instruction. */
  readonly loose: readonly boolean[];
}

/** A check of one instruction on one candidate text. */
export type InstructionCheck = (value: string) => boolean;

/** An instruction type of IFEval's registry (see {@link IFEVAL_INSTRUCTIONS}). */
export type InstructionId =
  | 'keywords:existence'
  | 'keywords:frequency'
  | 'keywords:forbidden_words'
  | 'keywords:letter_frequency'
  | 'language:response_language'
  | 'length_constraints:number_sentences'
  | 'length_constraints:number_paragraphs'
  | 'length_constraints:number_words'
  | 'length_constraints:nth_paragraph_first_word'
  | 'detectable_content:number_placeholders'
  | 'detectable_content:postscript'
  | 'detectable_format:number_bullet_lists'
  | 'detectable_format:constrained_response'
  | 'detectable_format:number_highlighted_sections'
  | 'detectable_format:multiple_sections'
  | 'detectable_format:json_format'
  | 'detectable_format:title'
  | 'combination:two_responses'
  | 'combination:repeat_prompt'
  | 'startend:end_checker'
  | 'change_case:capital_word_frequency'
  | 'change_case:english_capital'
  | 'change_case:english_lowercase'
  | 'punctuation:no_comma'
  | 'startend:quotation';

const RELATIONS = ['less than', 'at least'] as const;
type Relation = (typeof RELATIONS)[number];


// Reads the keyword arguments of one instruction, naming the offending one in errors.
interface KwargsReader {
  int(name: string): number;
  str(name: string): string;
  strs(name: string): string[];
  relation(name: string): Relation;
  invalid(name: string, expected: string, value: unknown): never;
}

function kwargsReader(id: string, kwargs: Readonly<Record<string, unknown>>): KwargsReader {
  const get = (name: string): unknown => {
    const value = kwargs[name];
    if (value === undefined || value === null) {
      throw new RuleLMError(`\`kwargs.${name}\` is needed by the IFEval instruction "${id}" (the official checker would pick a random value)`, { argument: `kwargs.${name}` });
    }
    return value;
  };
  const invalid = (name: string, expected: string, value: unknown): never => {
    throw new RuleLMError(`\`kwargs.${name}\` of the IFEval instruction "${id}" must be ${expected}, but is ${describe(value)}`, { argument: `kwargs.${name}` });
  };
  return {
    int(name) {
      const v = get(name);
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : invalid(name, 'a non-negative integer', v);
    },
    str(name) {
      const v = get(name);
      return typeof v === 'string' ? v : invalid(name, 'a string', v);
    },
    strs(name) {
      const v = get(name);
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : invalid(name, 'an array of strings', v);
    },
    relation(name) {
      const v = get(name);
      return (RELATIONS as readonly unknown[]).includes(v) ? (v as Relation) : invalid(name, '"less than" or "at least"', v);
    },
    invalid,
  };
}

const PLACEHOLDER = /\[[^\n]*?\]/gu;
const BULLET_STAR = new RegExp(`(?<![^\\n])[${PY_S}]*\\*[^*][^\\n]*(?![^\\n])`, 'gu');
const BULLET_DASH = new RegExp(`(?<![^\\n])[${PY_S}]*-[^\\n]*(?![^\\n])`, 'gu');
const HIGHLIGHT = /\*[^\n*]*\*/gu;
const DOUBLE_HIGHLIGHT = /\*\*[^\n*]*\*\*/gu;
const PARAGRAPH_DIVIDER = new RegExp(`[${PY_S}]?\\*\\*\\*[${PY_S}]?`, 'u');
const TITLE = /<<[^\n]+>>/gu;
const CONSTRAINED = ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'];
const FIRST_WORD_STOP = new Set(['.', ',', '?', '!', "'", '"']);

// A count compared with a threshold: `relation` "less than" or "at least" the argument `threshold`.
function counted(k: KwargsReader, count: (text: string) => number, threshold: string, relation: string): InstructionCheck {
  const limit = k.int(threshold);
  const than = k.relation(relation);
  return than === 'less than' ? (v) => count(v) < limit : (v) => count(v) >= limit;
}

// A text without letters counts as in any language (where `langdetect` raises "no features").
function inLanguage(text: string, language: string): boolean {
  const detected = detectLanguage(text);
  return detected === undefined || detected === language;
}

/**
 * The checks, one per instruction type, in the official registry's order: each reads its keyword
 * arguments (failing early on a missing or invalid one) and returns the check of a text.
 */
const CHECKS: Readonly<Record<InstructionId, (kwargs: KwargsReader) => InstructionCheck>> = {
  'keywords:existence': (k) => {
    const patterns = k.strs('keywords').map((w) => pyPattern(w, 'i'));
    return (v) => patterns.every((p) => p.test(v));
  },
  'keywords:frequency': (k) => {
    const pattern = pyPattern(pyStrip(k.str('keyword')), 'gi');
    return counted(k, (v) => countMatches(pattern, v), 'frequency', 'relation');
  },
  'keywords:forbidden_words': (k) => {
    const patterns = k.strs('forbidden_words').map((w) => pyPattern(`${PY_B}${w}${PY_B}`, 'i'));
    return (v) => !patterns.some((p) => p.test(v));
  },
  'keywords:letter_frequency': (k) => {
    const raw = k.str('letter');
    if (raw.length !== 1) k.invalid('letter', 'one character', raw);
    const letter = pyStrip(raw).toLowerCase();
    return counted(k, (v) => [...v.toLowerCase()].filter((c) => c === letter).length, 'let_frequency', 'let_relation');
  },
  'language:response_language': (k) => {
    const language = k.str('language');
    return (v) => inLanguage(v, language);
  },
  'length_constraints:number_sentences': (k) => counted(k, countSentences, 'num_sentences', 'relation'),
  'length_constraints:number_paragraphs': (k) => {
    const expected = k.int('num_paragraphs');
    return (v) => {
      const paragraphs = v.split(PARAGRAPH_DIVIDER);
      let n = paragraphs.length;
      for (let i = 0; i < paragraphs.length; i++) {
        if (pyStrip(paragraphs[i] as string).length > 0) continue;
        if (i === 0 || i === paragraphs.length - 1) n--;
        else return false;
      }
      return n === expected;
    };
  },
  'length_constraints:number_words': (k) => counted(k, countWords, 'num_words', 'relation'),
  'length_constraints:nth_paragraph_first_word': (k) => {
    const expected = k.int('num_paragraphs');
    const nth = k.int('nth_paragraph');
    if (nth === 0 || nth > expected) k.invalid('nth_paragraph', `from 1 to num_paragraphs (${expected})`, nth);
    const firstWord = k.str('first_word').toLowerCase();
    return (v) => {
      const paragraphs = v.split('\n\n');
      const n = paragraphs.filter((p) => pyStrip(p).length > 0).length;
      if (nth > n) return false;
      const paragraph = pyStrip(paragraphs[nth - 1] as string);
      if (paragraph.length === 0) return false;
      const word = pyLstrip(pyLstrip(pyStrip(pySplit(paragraph)[0] as string), "'"), '"');
      let first = '';
      for (const c of word) {
        if (FIRST_WORD_STOP.has(c)) break;
        first += c.toLowerCase();
      }
      return n === expected && first === firstWord;
    };
  },
  'detectable_content:number_placeholders': (k) => {
    const expected = k.int('num_placeholders');
    return (v) => countMatches(PLACEHOLDER, v) >= expected;
  },
  'detectable_content:postscript': (k) => {
    const marker = pyStrip(k.str('postscript_marker'));
    const pattern =
      marker === 'P.P.S'
        ? new RegExp(`[${PY_S}]*p\\.[${PY_S}]?p\\.[${PY_S}]?s`, 'u')
        : marker === 'P.S.'
          ? new RegExp(`[${PY_S}]*p\\.[${PY_S}]?s\\.`, 'u')
          : pyPattern(`[${PY_S}]*${marker.toLowerCase()}`, '');
    return (v) => pattern.test(v.toLowerCase());
  },
  'detectable_format:number_bullet_lists': (k) => {
    const expected = k.int('num_bullets');
    return (v) => countMatches(BULLET_STAR, v) + countMatches(BULLET_DASH, v) === expected;
  },
  'detectable_format:constrained_response': () => (v) => {
    const s = pyStrip(v);
    return CONSTRAINED.some((option) => s.includes(option));
  },
  'detectable_format:number_highlighted_sections': (k) => {
    const expected = k.int('num_highlights');
    return (v) => {
      let n = 0;
      for (const m of v.matchAll(HIGHLIGHT)) if (pyStrip(pyStrip(m[0], '*')).length > 0) n++;
      for (const m of v.matchAll(DOUBLE_HIGHLIGHT)) if (pyStrip(m[0].slice(2, -2)).length > 0) n++;
      return n >= expected;
    };
  },
  'detectable_format:multiple_sections': (k) => {
    const splitter = pyStrip(k.str('section_spliter'));
    const expected = k.int('num_sections');
    const pattern = pyPattern(`[${PY_S}]?${splitter}[${PY_S}]?\\p{Nd}+[${PY_S}]?`, '');
    return (v) => v.split(pattern).length - 1 >= expected;
  },
  'detectable_format:json_format': () => (v) => {
    let s = pyStrip(v);
    for (const prefix of ['```json', '```Json', '```JSON', '```']) if (s.startsWith(prefix)) s = s.slice(prefix.length);
    if (s.endsWith('```')) s = s.slice(0, -3);
    return pyJsonValid(pyStrip(s));
  },
  'detectable_format:title': () => (v) => {
    for (const m of v.matchAll(TITLE)) if (pyStrip(m[0].replace(/^<+/, '').replace(/>+$/, '')).length > 0) return true;
    return false;
  },
  'combination:two_responses': () => (v) => {
    const responses = v.split('******');
    const valid: string[] = [];
    for (let i = 0; i < responses.length; i++) {
      const r = responses[i] as string;
      if (pyStrip(r).length === 0) {
        if (i !== 0 && i !== responses.length - 1) return false;
      } else valid.push(r);
    }
    return valid.length === 2 && pyStrip(valid[0] as string) !== pyStrip(valid[1] as string);
  },
  'combination:repeat_prompt': (k) => {
    const repeat = pyStrip(k.str('prompt_to_repeat')).toLowerCase();
    return (v) => pyStrip(v).toLowerCase().startsWith(repeat);
  },
  'startend:end_checker': (k) => {
    const end = pyStrip(pyStrip(k.str('end_phrase'))).toLowerCase();
    return (v) => pyStrip(pyStrip(v), '"').toLowerCase().endsWith(end);
  },
  'change_case:capital_word_frequency': (k) => counted(k, (v) => wordTokenize(v).filter(pyIsUpper).length, 'capital_frequency', 'capital_relation'),
  'change_case:english_capital': () => (v) => pyIsUpper(v) && inLanguage(v, 'en'),
  'change_case:english_lowercase': () => (v) => pyIsLower(v) && inLanguage(v, 'en'),
  'punctuation:no_comma': () => (v) => !v.includes(','),
  'startend:quotation': () => (v) => {
    const s = pyStrip(v);
    return s.length > 1 && s.startsWith('"') && s.endsWith('"');
  },
};

/**
 * The instruction types IFEval checks (its registry), in the official order.
 *
 * @example
 * ```ts
 * IFEVAL_INSTRUCTIONS.length; // 25
 * IFEVAL_INSTRUCTIONS.includes('punctuation:no_comma'); // true
 * ```
 */
export const IFEVAL_INSTRUCTIONS: readonly InstructionId[] = Object.keys(CHECKS) as InstructionId[];


/**
 * Creates the check of one IFEval instruction with its keyword arguments, as the official
 * `check_following` does (without the empty-response rule: see {@link followsStrict}).
 *
 * @param id The instruction type, e.g. `"punctuation:no_comma"`.
 * @param kwargs Its keyword arguments from the benchmark row (`null` values are ignored).
 * @returns The check.
 * @throws {RuleLMError} On an unknown instruction type or a missing or invalid argument.
 * @example
 * ```ts
 * const check = instructionCheck('keywords:frequency', { keyword: 'sun', frequency: 2, relation: 'at least' });
 * check('Sun and sun.'); // true
 * ```
 */
export function instructionCheck(id: string, kwargs: Readonly<Record<string, unknown>> = {}): InstructionCheck {
  if (!Object.hasOwn(CHECKS, id)) {
    throw new RuleLMError(`\`instruction_id_list\` has an unknown IFEval instruction ${describe(id)}; known ones are ${IFEVAL_INSTRUCTIONS.join(', ')}`, { argument: 'instruction_id_list' });
  }
  return CHECKS[id as InstructionId](kwargsReader(id, kwargs));
}

/**
 * The texts the loose evaluation tries: the response, without its first line, without its
 * last line, without both, and each of those without asterisks (the official order).
 *
 * @param response The response.
 * @returns The eight variants.
 * @example
 * ```ts
 * looseVariants('Sure:\n"Done."').slice(0, 3); // ['Sure:\n"Done."', 'Sure:\n"Done."', '"Done."']
 * ```
 */
export function looseVariants(response: string): string[] {
  const lines = response.split('\n');
  const first = pyStrip(lines.slice(1).join('\n'));
  const last = pyStrip(lines.slice(0, -1).join('\n'));
  const both = pyStrip(lines.slice(1, -1).join('\n'));
  const noStars = (s: string): string => s.replaceAll('*', '');
  return [response, noStars(response), first, last, both, noStars(first), noStars(last), noStars(both)];
}

/**
 * The strict decision: the response is not blank and passes the check.
 *
 * @param check The instruction's check.
 * @param response The response.
 * @returns Whether the instruction is followed.
 * @example
 * ```ts
 * const quoted = instructionCheck('startend:quotation');
 * followsStrict(quoted, 'Sure:\n"Done."'); // false
 * ```
 */
export function followsStrict(check: InstructionCheck, response: string): boolean {
  return pyStrip(response).length > 0 && check(response);
}

/**
 * The loose decision: some non-blank loose variant passes the check.
 *
 * @param check The instruction's check.
 * @param response The response.
 * @returns Whether the instruction is followed, loosely.
 * @example
 * ```ts
 * const quoted = instructionCheck('startend:quotation');
 * followsLoose(quoted, 'Sure:\n"Done."'); // true: without its first line, the response is quoted
 * ```
 */
export function followsLoose(check: InstructionCheck, response: string): boolean {
  return looseVariants(response).some((r) => pyStrip(r).length > 0 && check(r));
}

/**
 * Tells whether a parsed JSONL row is an IFEval row (has `instruction_id_list` and `kwargs`).
 *
 * @param row Any value.
 * @returns Whether it has the IFEval fields.
 * @example
 * ```ts
 * isIfevalRow({ prompt: 'Answer without commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] }); // true
 * isIfevalRow({ instruction: 'Tell me a story.' }); // false
 * ```
 */
export function isIfevalRow(row: unknown): row is IfevalRow {
  if (typeof row !== 'object' || row === null) return false;
  const r = row as Record<string, unknown>;
  return typeof r.prompt === 'string' && Array.isArray(r.instruction_id_list) && Array.isArray(r.kwargs);
}

/**
 * Checks a response against every instruction of an IFEval row, strictly and loosely.
 *
 * @param row The IFEval row.
 * @param response The model's response.
 * @returns The decisions.
 * @throws {RuleLMError} On an unknown instruction type, a missing or invalid argument, or
 * `kwargs` not matching `instruction_id_list`.
 * @example
 * ```ts
 * const row = { prompt: 'Answer in quotes, without commas.', instruction_id_list: ['startend:quotation', 'punctuation:no_comma'], kwargs: [{}, {}] };
 * evaluateIfeval(row, 'Here:\n"No commas here."');
 * // { ids: ['startend:quotation', 'punctuation:no_comma'], strict: [false, true], loose: [true, true] }
 * ```
 */
export function evaluateIfeval(row: IfevalRow, response: string): IfevalResult {
  const ids = row.instruction_id_list;
  if (row.kwargs.length !== ids.length) {
    throw new RuleLMError(`\`kwargs\` must have one entry per instruction (${ids.length}), but has ${row.kwargs.length}`, { argument: 'kwargs' });
  }
  const strict: boolean[] = [];
  const loose: boolean[] = [];
  ids.forEach((id, i) => {
    const check = instructionCheck(id, row.kwargs[i] ?? {});
    strict.push(followsStrict(check, response));
    loose.push(followsLoose(check, response));
  });
  return { ids, strict, loose };
}

/** Accuracy of a set of IFEval results. */
export interface IfevalAccuracy {
  /** Number of prompts. */
  readonly prompts: number;
  /** Number of instructions. */
  readonly instructions: number;
  /** Share of prompts whose every instruction is followed. */
  readonly promptLevel: { readonly strict: number; readonly loose: number };
  /** Share of instructions followed. */
  readonly instructionLevel: { readonly strict: number; readonly loose: number };
  /** Per instruction type: count and share followed. */
  readonly byType: Readonly<Record<string, { readonly count: number; readonly strict: number; readonly loose: number }>>;
}

/**
 * Computes IFEval's accuracies: prompt level (all instructions of a prompt followed) and
 * instruction level, strict and loose, and per instruction type, as the official report does.
 *
 * @param results One result per prompt.
 * @returns The accuracies (0 when there is nothing to count).
 * @example
 * ```ts
 * const results = rows.map((row, i) => evaluateIfeval(row, responses[i]));
 * const { promptLevel, instructionLevel } = ifevalAccuracy(results);
 * console.log(`prompt-level strict ${promptLevel.strict}, instruction-level loose ${instructionLevel.loose}`);
 * ```
 */
export function ifevalAccuracy(results: readonly IfevalResult[]): IfevalAccuracy {
  let promptStrict = 0;
  let promptLoose = 0;
  let instructions = 0;
  let strict = 0;
  let loose = 0;
  const byType = new Map<string, { count: number; strict: number; loose: number }>();
  for (const r of results) {
    if (r.strict.every(Boolean)) promptStrict++;
    if (r.loose.every(Boolean)) promptLoose++;
    r.ids.forEach((id, i) => {
      instructions++;
      const t = byType.get(id) ?? { count: 0, strict: 0, loose: 0 };
      t.count++;
      if (r.strict[i] === true) {
        strict++;
        t.strict++;
      }
      if (r.loose[i] === true) {
        loose++;
        t.loose++;
      }
      byType.set(id, t);
    });
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const types: Record<string, { count: number; strict: number; loose: number }> = {};
  for (const id of [...byType.keys()].sort()) {
    const t = byType.get(id) as { count: number; strict: number; loose: number };
    types[id] = { count: t.count, strict: ratio(t.strict, t.count), loose: ratio(t.loose, t.count) };
  }
  return {
    prompts: results.length,
    instructions,
    promptLevel: { strict: ratio(promptStrict, results.length), loose: ratio(promptLoose, results.length) },
    instructionLevel: { strict: ratio(strict, instructions), loose: ratio(loose, instructions) },
    byType: types,
  };
}
