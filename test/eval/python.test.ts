import { describe, expect, it } from 'vitest';
import { countMatches, pyIsLower, pyIsUpper, pyJsonValid, pyLstrip, pyPattern, pyRstrip, pySplit, pyStrip } from '../../src/eval/python';

describe('Python string semantics', () => {
  it('strips Python whitespace (including \\x1c-\\x1f and \\x85, not \\ufeff)', () => {
    expect(pyStrip(' \t\n\x1c\x85a b\u3000\r ')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pyLstrip('  a  ')).toBe('a  ');
    expect(pyRstrip('  a  ')).toBe('  a');
  });

  it('strips given characters', () => {
    expect(pyStrip('**bold**', '*')).toBe('bold');
    expect(pyLstrip('\'"word', "'")).toBe('"word');
    expect(pyRstrip('<<t>>', '>')).toBe('<<t');
  });

  it('splits on runs of whitespace like str.split()', () => {
    expect(pySplit('  a \n\n b\tc  ')).toEqual(['a', 'b', 'c']);
    expect(pySplit('   ')).toEqual([]);
  });

  it('tells upper and lower case like str.isupper() / str.islower()', () => {
    expect(pyIsUpper('HELLO, WORLD 1')).toBe(true);
    expect(pyIsUpper('Hello')).toBe(false);
    expect(pyIsUpper('123 !')).toBe(false); // no cased character
    expect(pyIsUpper('ǅ')).toBe(false); // titlecase
    expect(pyIsLower('hello, world 1')).toBe(true);
    expect(pyIsLower('hello I')).toBe(false);
    expect(pyIsLower('...')).toBe(false);
    expect(pyIsLower('ª')).toBe(true); // Other_Lowercase counts as lowercase in Python
  });

  it('accepts what json.loads accepts', () => {
    expect(pyJsonValid(' {"a": [1, 2.5e3, -0, true, null, "x\\u00e9"]} ')).toBe(true);
    expect(pyJsonValid('NaN')).toBe(true);
    expect(pyJsonValid('[-Infinity, Infinity]')).toBe(true);
    expect(pyJsonValid('{"a": 1,}')).toBe(false);
    expect(pyJsonValid('{a: 1}')).toBe(false);
    expect(pyJsonValid('01')).toBe(false);
    expect(pyJsonValid('"tab\there"')).toBe(false); // raw control character
    expect(pyJsonValid('{"a": 1} extra')).toBe(false);
    expect(pyJsonValid('')).toBe(false);
    expect(pyJsonValid('1.')).toBe(false);
    expect(pyJsonValid(' { } ')).toBe(true);
    expect(pyJsonValid('[ ]')).toBe(true);
    expect(pyJsonValid('{"a": {"b": [[], {}]}, "c": "d"}')).toBe(true);
    expect(pyJsonValid('[1,]')).toBe(false);
    expect(pyJsonValid('[1 2]')).toBe(false);
    expect(pyJsonValid('{"a": 1 "b": 2}')).toBe(false);
    expect(pyJsonValid('{"a"}')).toBe(false);
    expect(pyJsonValid('{"a": 1')).toBe(false);
    expect(pyJsonValid('[1, [2, 3]')).toBe(false);
  });

  it('compiles Python patterns, falling back to a literal match', () => {
    expect(pyPattern('colou?r', 'i').test('COLOR')).toBe(true);
    expect(pyPattern('(?P<x>a)', '').test('(?P<x>a)')).toBe(true); // not JavaScript syntax: literal
    expect(countMatches(pyPattern('ab', 'gi'), 'abAbab')).toBe(3);
    expect(countMatches(/a/, 'aaa')).toBe(3);
  });
});
