import { describe, expect, it } from 'vitest';
import { countSentences, splitSentences } from '../../src/eval/sentences';

describe('splitSentences (Punkt algorithm, approximated English parameters)', () => {
  it('splits at periods, question and exclamation marks followed by a token', () => {
    expect(splitSentences('Hello world. This is a test! Is it? Yes.')).toEqual(['Hello world.', 'This is a test!', 'Is it?', 'Yes.']);
    expect(countSentences('No period at the end')).toBe(1);
    expect(countSentences('')).toBe(0);
    expect(countSentences('   ')).toBe(0);
  });

  it('does not split after known abbreviations unless a common word follows', () => {
    expect(splitSentences('Dr. Smith went to Washington. He arrived at 5 p.m. yesterday.')).toEqual(['Dr. Smith went to Washington.', 'He arrived at 5 p.m. yesterday.']);
    expect(splitSentences('I like apples, e.g. green ones. They are tasty.')).toEqual(['I like apples, e.g. green ones.', 'They are tasty.']);
    expect(splitSentences('The U.S. economy grew. Prices rose.')).toEqual(['The U.S. economy grew.', 'Prices rose.']);
    expect(splitSentences('We sell apples, pears, etc. The prices vary.')).toEqual(['We sell apples, pears, etc.', 'The prices vary.']);
  });

  it('keeps initials before names and splits numbered lists as NLTK does', () => {
    expect(splitSentences('J. Bach wrote music. He died in 1750.')).toEqual(['J. Bach wrote music.', 'He died in 1750.']);
    expect(splitSentences('1. First item\n2. Second item\n3. Third item')).toEqual(['1.', 'First item\n2.', 'Second item\n3.', 'Third item']);
    expect(splitSentences('Chapter 3. and then more')).toEqual(['Chapter 3. and then more']);
  });

  it('handles ellipses, repeated marks and closing quotes', () => {
    expect(splitSentences('Wait... What happened? "I don\'t know." She left.')).toEqual(['Wait...', 'What happened?', '"I don\'t know."', 'She left.']);
    expect(splitSentences('Hi!! There.')).toEqual(['Hi!!', 'There.']);
    expect(splitSentences('He said "Stop!" and left. Then he returned.')).toEqual(['He said "Stop!"', 'and left.', 'Then he returned.']);
  });
});
