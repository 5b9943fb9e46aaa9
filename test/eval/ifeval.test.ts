import { describe, expect, it } from 'vitest';
import { IFEVAL_INSTRUCTIONS, evaluateIfeval, followsLoose, followsStrict, ifevalAccuracy, instructionCheck, isIfevalRow, looseVariants } from '../../src/eval/ifeval';
import { expectRuleLMError } from '../helpers/errors';

// [instruction type, kwargs, a response that follows it, a response that does not]
const CASES: readonly (readonly [string, Record<string, unknown>, string, string])[] = [
  ['keywords:existence', { keywords: ['dog', 'cat'] }, 'A Dog and a CAT.', 'A dog alone.'],
  ['keywords:frequency', { keyword: 'sun', frequency: 3, relation: 'at least' }, 'Sun, sun, SUNNY day.', 'sun and sun'],
  ['keywords:frequency', { keyword: 'sun', frequency: 2, relation: 'less than' }, 'one sun', 'sun sun'],
  ['keywords:forbidden_words', { forbidden_words: ['bad', 'evil'] }, 'badly done, but no evilness', 'That is Bad.'],
  ['keywords:letter_frequency', { letter: 'z', let_frequency: 2, let_relation: 'at least' }, 'Zebra zoo', 'Zebra'],
  ['keywords:letter_frequency', { letter: 'a', let_frequency: 3, let_relation: 'less than' }, 'banana'.slice(0, 4), 'banana'],
  ['language:response_language', { language: 'de' }, 'Das ist ein kurzer Text auf Deutsch, der nur zeigen soll, dass die Sprache erkannt wird.', 'This is a short English text that only shows that the language is detected.'],
  ['length_constraints:number_sentences', { num_sentences: 2, relation: 'less than' }, 'One sentence only.', 'One. Two.'],
  ['length_constraints:number_sentences', { num_sentences: 2, relation: 'at least' }, 'One. Two.', 'One sentence only.'],
  ['length_constraints:number_paragraphs', { num_paragraphs: 2 }, 'First part.\n***\nSecond part.', 'First part.\n***\n\n***\nSecond part.'],
  ['length_constraints:number_words', { num_words: 4, relation: 'at least' }, 'one two three four', 'one two three'],
  ['length_constraints:number_words', { num_words: 4, relation: 'less than' }, 'one two three', 'one two three four'],
  ['length_constraints:nth_paragraph_first_word', { num_paragraphs: 2, nth_paragraph: 2, first_word: 'Then' }, 'First.\n\n"Then, second.', 'First.\n\nAnd second.'],
  ['detectable_content:number_placeholders', { num_placeholders: 2 }, 'Dear [name], at [address].', 'Dear [name],\n[not\nclosed] here.'],
  ['detectable_content:postscript', { postscript_marker: 'P.S.' }, 'Text.\n\np.s. more', 'Text. PS more'],
  ['detectable_content:postscript', { postscript_marker: 'P.P.S' }, 'Text.\nP. P. S it', 'Text.\nP.S. it'],
  ['detectable_format:number_bullet_lists', { num_bullets: 2 }, '* one\n- two\n**bold** line', '* one\n* two\n- three'],
  ['detectable_format:constrained_response', {}, '  My answer is maybe. ', 'My answer is perhaps.'],
  ['detectable_format:number_highlighted_sections', { num_highlights: 2 }, '*one* and **two**', '*one* and ** ** and *\nbroken*'],
  ['detectable_format:multiple_sections', { section_spliter: 'Section', num_sections: 2 }, 'Section 1\nfoo\nSection 2\nbar', 'Section one\nSECTION 2'],
  ['detectable_format:json_format', {}, '```json\n{"a": [1, 2]}\n```', '```json\n{"a": [1, 2],}\n```'],
  ['detectable_format:title', {}, '<<My title>>\ntext', '<< >> and <<broken\ntitle>>'],
  ['combination:two_responses', {}, 'First answer.\n******\nSecond answer.', 'Same.\n******\nSame.'],
  ['combination:repeat_prompt', { prompt_to_repeat: 'Write a poem.' }, '  write a POEM. Roses are red.', 'Here: Write a poem.'],
  ['startend:end_checker', { end_phrase: 'Any other questions?' }, 'Done. any other questions?"  ', 'Any other questions? Bye.'],
  ['change_case:capital_word_frequency', { capital_frequency: 3, capital_relation: 'at least' }, "DON'T use CAPS", 'Only ONE and TWO'],
  ['change_case:capital_word_frequency', { capital_frequency: 2, capital_relation: 'less than' }, 'Only ONE here', 'ONE TWO'],
  ['change_case:english_capital', {}, 'THIS ENTIRE ANSWER IS WRITTEN IN ENGLISH AND IN CAPITAL LETTERS, AS REQUESTED BY THE USER.', 'This answer is written in English, but not in capital letters.'],
  ['change_case:english_lowercase', {}, 'this entire answer is written in english and in lowercase letters, as requested by the user.', 'This answer is written in English, but it has a capital letter.'],
  ['punctuation:no_comma', {}, 'No commas here.', 'One, comma.'],
  ['startend:quotation', {}, ' "Wrapped in quotes." ', '"Not closed.'],
];

describe('IFEval instruction checks', () => {
  it('has a pass and a fail case for each of the 25 instruction types', () => {
    expect(IFEVAL_INSTRUCTIONS).toHaveLength(25);
    expect(new Set(CASES.map((c) => c[0]))).toEqual(new Set(IFEVAL_INSTRUCTIONS));
  });

  for (const [id, kwargs, pass, fail] of CASES) {
    it(`${id} ${JSON.stringify(kwargs)}`, () => {
      const check = instructionCheck(id, kwargs);
      expect(check(pass)).toBe(true);
      expect(check(fail)).toBe(false);
    });
  }

  it('counts letters case-insensitively and reads the language detector as langdetect', () => {
    expect(instructionCheck('keywords:letter_frequency', { letter: 'Q', let_frequency: 2, let_relation: 'at least' })('q Q')).toBe(true);
    // No letters: langdetect raises "no features", which the official checker counts as followed.
    expect(instructionCheck('language:response_language', { language: 'ko' })('12345 !!!')).toBe(true);
    expect(instructionCheck('change_case:english_capital')('123 ABC')).toBe(false); // "ABC" alone is not detected as English
    expect(instructionCheck('change_case:english_lowercase')('123')).toBe(false); // no cased character: not lower case
  });

  it('keeps the official checker\'s quirks', () => {
    // Bullets: a line starting with "**" is not a bullet; "-" anywhere at a line start is.
    expect(instructionCheck('detectable_format:number_bullet_lists', { num_bullets: 1 })('**Note**\n  - item')).toBe(true);
    // Highlights: "**x**" counts once (the single-star pattern only finds the empty "**" pairs).
    expect(instructionCheck('detectable_format:number_highlighted_sections', { num_highlights: 1 })('**x**')).toBe(true);
    expect(instructionCheck('detectable_format:number_highlighted_sections', { num_highlights: 2 })('**x**')).toBe(false);
    // Paragraphs: empty paragraphs at the ends are dropped, in the middle they fail.
    expect(instructionCheck('length_constraints:number_paragraphs', { num_paragraphs: 1 })('***\nOnly one.\n***')).toBe(true);
    // The end phrase may be followed by a closing quote.
    expect(instructionCheck('startend:end_checker', { end_phrase: 'Is there anything else I can help with?' })('"Bye. Is there anything else I can help with?"')).toBe(true);
    // Keywords are regular expressions, as in the official checker.
    expect(instructionCheck('keywords:existence', { keywords: ['colou?r'] })('Color')).toBe(true);
    // JSON: Python's json.loads accepts NaN.
    expect(instructionCheck('detectable_format:json_format')('{"x": NaN}')).toBe(true);
  });

  it('rejects unknown instruction types and bad arguments, naming them', () => {
    expectRuleLMError(() => instructionCheck('keywords:nope'), `\`instruction_id_list\` has an unknown IFEval instruction "keywords:nope"; known ones are ${IFEVAL_INSTRUCTIONS.join(', ')}`, 'instruction_id_list');
    expectRuleLMError(() => instructionCheck('keywords:frequency', { keyword: 'a', frequency: 2 }), '`kwargs.relation` is needed by the IFEval instruction "keywords:frequency" (the official checker would pick a random value)', 'kwargs.relation');
    expectRuleLMError(() => instructionCheck('keywords:frequency', { keyword: 'a', frequency: 2, relation: 'at most' }), '`kwargs.relation` of the IFEval instruction "keywords:frequency" must be "less than" or "at least", but is "at most"', 'kwargs.relation');
    expectRuleLMError(() => instructionCheck('length_constraints:number_words', { num_words: -1, relation: 'at least' }), '`kwargs.num_words` of the IFEval instruction "length_constraints:number_words" must be a non-negative integer, but is -1', 'kwargs.num_words');
    expectRuleLMError(() => instructionCheck('keywords:existence', { keywords: 'dog' }), '`kwargs.keywords` of the IFEval instruction "keywords:existence" must be an array of strings, but is "dog"', 'kwargs.keywords');
    expectRuleLMError(() => instructionCheck('keywords:letter_frequency', { letter: 'ab', let_frequency: 1, let_relation: 'at least' }), '`kwargs.letter` of the IFEval instruction "keywords:letter_frequency" must be one character, but is "ab"', 'kwargs.letter');
    expectRuleLMError(
      () => instructionCheck('length_constraints:nth_paragraph_first_word', { num_paragraphs: 2, nth_paragraph: 3, first_word: 'x' }),
      '`kwargs.nth_paragraph` of the IFEval instruction "length_constraints:nth_paragraph_first_word" must be from 1 to num_paragraphs (2), but is 3',
      'kwargs.nth_paragraph',
    );
    expectRuleLMError(() => evaluateIfeval({ prompt: 'p', instruction_id_list: ['punctuation:no_comma'], kwargs: [] }, 'r'), '`kwargs` must have one entry per instruction (1), but has 0', 'kwargs');
  });
});

describe('strict and loose decisions', () => {
  it('lists the eight loose variants in the official order', () => {
    expect(looseVariants('*Intro*\nbody, **x**\nend')).toEqual(['*Intro*\nbody, **x**\nend', 'Intro\nbody, x\nend', 'body, **x**\nend', '*Intro*\nbody, **x**', 'body, **x**', 'body, x\nend', 'Intro\nbody, x', 'body, x']);
  });

  it('fails blank responses, and passes loosely when a variant passes', () => {
    const noComma = instructionCheck('punctuation:no_comma');
    expect(followsStrict(noComma, '   ')).toBe(false);
    expect(followsLoose(noComma, '   ')).toBe(false);
    const quoted = instructionCheck('startend:quotation');
    const response = 'Sure, here it is:\n"The answer."';
    expect(followsStrict(quoted, response)).toBe(false);
    expect(followsLoose(quoted, response)).toBe(true);
  });

  it('evaluates a row and computes prompt- and instruction-level accuracy', () => {
    const row = { prompt: 'p', instruction_id_list: ['punctuation:no_comma', 'startend:quotation'], kwargs: [{}, {}] };
    const a = evaluateIfeval(row, 'Intro line\n"No commas here."');
    expect(a).toEqual({ ids: row.instruction_id_list, strict: [true, false], loose: [true, true] });
    const b = evaluateIfeval(row, 'Yes, "quoted"');
    expect(b).toEqual({ ids: row.instruction_id_list, strict: [false, false], loose: [false, false] });
    const c = evaluateIfeval({ prompt: 'q', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] }, 'fine');
    expect(ifevalAccuracy([a, b, c])).toEqual({
      prompts: 3,
      instructions: 5,
      promptLevel: { strict: 1 / 3, loose: 2 / 3 },
      instructionLevel: { strict: 2 / 5, loose: 3 / 5 },
      byType: {
        'punctuation:no_comma': { count: 3, strict: 2 / 3, loose: 2 / 3 },
        'startend:quotation': { count: 2, strict: 0, loose: 0.5 },
      },
    });
    expect(ifevalAccuracy([])).toEqual({ prompts: 0, instructions: 0, promptLevel: { strict: 0, loose: 0 }, instructionLevel: { strict: 0, loose: 0 }, byType: {} });
  });

  it('recognises IFEval rows', () => {
    expect(isIfevalRow({ prompt: 'p', instruction_id_list: [], kwargs: [] })).toBe(true);
    expect(isIfevalRow({ instruction: 'p' })).toBe(false);
    expect(isIfevalRow(null)).toBe(false);
  });
});
