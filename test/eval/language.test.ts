import { describe, expect, it } from 'vitest';
import { detectLanguage, FRANC_TO_LANGDETECT, UNSUPPORTED_LANGUAGES } from '../../src/eval/language';

// The 55 languages of Python's langdetect (its profiles), which the official IFEval checker uses.
const LANGDETECT = 'af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw'.split(' ');

describe('language detection', () => {
  it('covers langdetect\'s 55 languages: mapped from franc-min, listed as unsupported, or Hebrew by script', () => {
    const mapped = Object.values(FRANC_TO_LANGDETECT);
    expect(new Set(mapped).size).toBe(mapped.length);
    expect(mapped.filter((code) => UNSUPPORTED_LANGUAGES.includes(code))).toEqual([]);
    expect([...mapped, ...UNSUPPORTED_LANGUAGES, 'he'].sort()).toEqual([...LANGDETECT].sort());
  });

  it('reports langdetect codes, Hebrew by script, and nothing for text without letters', () => {
    expect(detectLanguage('The quick brown fox jumps over the lazy dog near the river bank.')).toBe('en');
    expect(detectLanguage('Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.')).toBe('de');
    expect(detectLanguage('שלום עולם, זהו משפט בעברית')).toBe('he');
    expect(detectLanguage('123 456 !!!')).toBeUndefined();
  });
});
