import { describe, expect, it } from 'vitest';
import { countWords, wordTokenize } from '../../src/eval/words';

describe('countWords (NLTK RegexpTokenizer(r"\\w+"))', () => {
  it('counts runs of letters, digits and underscores', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('one two  three')).toBe(3);
    expect(countWords("It's a well-known fact: 3.14 is π")).toBe(10); // It s a well known fact 3 14 is π
    expect(countWords('snake_case naïve café')).toBe(3);
  });

  it('splits at combining marks, as Python\'s \\w does', () => {
    expect(countWords('हिन्दी')).toBe(3);
  });
});

describe('wordTokenize (nltk.word_tokenize)', () => {
  it('splits contractions, clitics, brackets and punctuation', () => {
    expect(wordTokenize("DON'T STOP. I'M HERE (NASA) and NASA's U.S.A. CANNOT")).toEqual(['DO', "N'T", 'STOP.', 'I', "'M", 'HERE', '(', 'NASA', ')', 'and', 'NASA', "'s", 'U.S.A.', 'CAN', 'NOT']);
    expect(wordTokenize('HELLO—WORLD “QUOTE” ‘SINGLE’ it’s')).toEqual(['HELLO—WORLD', '“', 'QUOTE', '”', '‘', 'SINGLE', '’', 'it', '’', 's']);
    expect(wordTokenize("She said, 'HELLO' to me...")).toEqual(['She', 'said', ',', "'HELLO", "'", 'to', 'me', '...']);
    expect(wordTokenize('Wait, what? Yes! 1,000 items: done.')).toEqual(['Wait', ',', 'what', '?', 'Yes', '!', '1,000', 'items', ':', 'done', '.']);
    expect(wordTokenize('"Quoted" text -- **BOLD**')).toEqual(['``', 'Quoted', "''", 'text', '--', '*', '*', 'BOLD', '*', '*']);
  });
});
