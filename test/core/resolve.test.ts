import type { Vocabulary } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { createVocabulary, resolveMarker, resolveText, toVocabulary } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { loadTokenizer } from '../helpers/tokenizers';

// 0 <unk> 1 <s> 2 </s> 3 ▁I 4 I 5 ▁We 6 He 7 llo 8 ▁He 9 <0x0A> 10 <0x49> 11 ▁ 12 ▁▁▁
const SP_PIECES = ['<unk>', '<s>', '</s>', '\u2581I', 'I', '\u2581We', 'He', 'llo', '\u2581He', '<0x0A>', '<0x49>', '\u2581', '\u2581\u2581\u2581'];

function sentencepiece(encode?: (text: string) => readonly number[]): Vocabulary {
  return createVocabulary({ pieces: SP_PIECES, specialTokenIds: [0, 1, 2], eosTokenIds: 2, ...(encode ? { encode } : {}) });
}

describe('resolveText', () => {
  describe('single tokens, by boundary', () => {
    it('sentencepiece (▁)', () => {
      const v = sentencepiece();
      expect(resolveText(v, 'I', 'both')).toEqual({ ids: [3, 4], sequences: [] });
      expect(resolveText(v, 'I', 'leading')).toEqual({ ids: [3], sequences: [] });
      expect(resolveText(v, 'I', 'none')).toEqual({ ids: [4], sequences: [] });
      expect(resolveText(v, 'I')).toEqual({ ids: [3, 4], sequences: [] });
      expect(resolveText(v, 'We', 'none')).toEqual({ ids: [], sequences: [] });
      expect(resolveText(v, 'We', 'both')).toEqual({ ids: [5], sequences: [] });
      expect(resolveText(v, '\n', 'none')).toEqual({ ids: [9], sequences: [] });
      expect(resolveText(v, '   ', 'none')).toEqual({ ids: [12], sequences: [] });
      // " " both: the bare space ▁ (11) and a space after a boundary, "  " (none here)
      expect(resolveText(v, ' ', 'both')).toEqual({ ids: [11], sequences: [] });
    });

    it('byte-level (Ġ, Ċ)', () => {
      const v = createVocabulary({ pieces: ['I', '\u0120I', '\u010a', '\u0120\u0120\u0120', '!', '\u0120!', 'We'] });
      expect(v.kind).toBe('byte-level');
      expect(resolveText(v, 'I', 'both')).toEqual({ ids: [0, 1], sequences: [] });
      expect(resolveText(v, 'I', 'leading')).toEqual({ ids: [1], sequences: [] });
      expect(resolveText(v, 'I', 'none')).toEqual({ ids: [0], sequences: [] });
      expect(resolveText(v, '\n', 'none')).toEqual({ ids: [2], sequences: [] });
      expect(resolveText(v, '   ', 'none')).toEqual({ ids: [3], sequences: [] });
      expect(resolveText(v, '!', 'leading')).toEqual({ ids: [5], sequences: [] });
      expect(resolveText(v, 'We', 'leading')).toEqual({ ids: [], sequences: [] });
    });

    it('plain', () => {
      const v = createVocabulary({ pieces: ['I', ' I', 'We', ' We'], kind: 'plain' });
      expect(resolveText(v, 'I', 'both')).toEqual({ ids: [0, 1], sequences: [] });
      expect(resolveText(v, 'We', 'leading')).toEqual({ ids: [3], sequences: [] });
      expect(resolveText(v, 'We', 'none')).toEqual({ ids: [2], sequences: [] });
    });
  });

  describe('multi-token text through the encoder', () => {
    const table: Record<string, number[]> = { Hello: [6, 7], ' Hello': [8, 7], Hi: [4], Bye: [6, 4], ' Bye': [1, 6] };
    const encode = (text: string): number[] => table[text] ?? [];

    it('keeps sequences whose pieces spell the text, per boundary', () => {
      const v = sentencepiece(encode);
      expect(resolveText(v, 'Hello', 'both')).toEqual({ ids: [], sequences: [[6, 7], [8, 7]] });
      expect(resolveText(v, 'Hello', 'none')).toEqual({ ids: [], sequences: [[6, 7]] });
      expect(resolveText(v, 'Hello', 'leading')).toEqual({ ids: [], sequences: [[8, 7]] });
    });

    it('drops single tokens, misspellings and sequences with special tokens', () => {
      const v = sentencepiece(encode);
      expect(resolveText(v, 'Hi')).toEqual({ ids: [], sequences: [] }); // [4] is one token
      expect(resolveText(v, 'Bye')).toEqual({ ids: [], sequences: [] }); // "HeI" and "<s>He"
    });

    it('keeps one copy of a sequence the encoder returns for both candidates', () => {
      // A SentencePiece-style encoder that adds the leading space itself.
      const v = sentencepiece((text) => (text.startsWith(' ') || text === 'Hello' ? [8, 7] : []));
      expect(resolveText(v, 'Hello', 'both')).toEqual({ ids: [], sequences: [[8, 7]] });
      expect(resolveText(v, 'Hello', 'none')).toEqual({ ids: [], sequences: [] });
    });

    it('keeps every spelling: a single token after a space and two tokens at a line start (byte-level "delve")', () => {
      const v = createVocabulary({ pieces: ['del', 've', '\u0120delve'], kind: 'byte-level', encode: (t) => (t === 'delve' ? [0, 1] : t === ' delve' ? [2] : []) });
      expect(resolveText(v, 'delve', 'both')).toEqual({ ids: [2], sequences: [[0, 1]] });
      expect(resolveText(v, 'delve', 'none')).toEqual({ ids: [], sequences: [[0, 1]] });
      expect(resolveText(v, 'delve', 'leading')).toEqual({ ids: [2], sequences: [] });
    });

    it('finds the encoder\'s spelling inside a longer encoding (the text after a newline, before punctuation)', () => {
      // 0 "\n" 1 "del" 2 "ve" 3 "." 4 "Ġdel" : "delve" alone is not encodable here, only in context.
      const table: Record<string, number[]> = { '\ndelve': [0, 1, 2], 'delve.': [1, 2, 3] };
      const v = createVocabulary({ pieces: ['\u010a', 'del', 've', '.', '\u0120del'], kind: 'byte-level', encode: (t) => table[t] ?? [] });
      expect(resolveText(v, 'delve', 'none')).toEqual({ ids: [], sequences: [[1, 2]] });
    });

    it('characters spelled only by byte tokens resolve, byte-level and SentencePiece byte fallback', () => {
      const byteLevel = createVocabulary({ pieces: ['\u00c3', '\u00a9'], kind: 'byte-level', encode: (t) => (t === '\u00e9' ? [0, 1] : []) });
      expect(resolveText(byteLevel, '\u00e9', 'none')).toEqual({ ids: [], sequences: [[0, 1]] });
      const fallback = createVocabulary({ pieces: ['<0xC3>', '<0xA9>'], kind: 'sentencepiece', encode: (t) => (t === '\u00e9' ? [0, 1] : []) });
      expect(resolveText(fallback, '\u00e9', 'none')).toEqual({ ids: [], sequences: [[0, 1]] });
      // An emoji (4 bytes) after a space: ▁ then its four byte pieces.
      const emoji = createVocabulary({ pieces: ['\u2581', '<0xF0>', '<0x9F>', '<0x98>', '<0x80>'], kind: 'sentencepiece', encode: (t) => (t === '\u{1F600}' ? [0, 1, 2, 3, 4] : []) });
      expect(resolveText(emoji, '\u{1F600}', 'both')).toEqual({ ids: [], sequences: [[0, 1, 2, 3, 4], [1, 2, 3, 4]] });
    });

    it('a SentencePiece ▁ the encoder puts before the first piece: the text is also spelled without it', () => {
      const v = createVocabulary({ pieces: ['\u2581', '\u4f60', '\u597d'], kind: 'sentencepiece', encode: (t) => (t === '\u4f60\u597d' ? [0, 1, 2] : []) });
      expect(resolveText(v, '\u4f60\u597d', 'none')).toEqual({ ids: [], sequences: [[1, 2]] });
      expect(resolveText(v, '\u4f60\u597d', 'both')).toEqual({ ids: [], sequences: [[0, 1, 2], [1, 2]] });
      expect(resolveText(v, '\u4f60\u597d', 'leading')).toEqual({ ids: [], sequences: [[0, 1, 2]] });
    });

    it('finds no sequence without an encoder', () => {
      expect(resolveText(sentencepiece(), 'Hello')).toEqual({ ids: [], sequences: [] });
    });
  });

  it('rejects empty text', () => {
    expectRuleLMError(() => resolveText(sentencepiece(), ''), '`text` must be a non-empty string, but is ""', 'text');
    expectRuleLMError(() => resolveText(sentencepiece(), 5 as never), '`text` must be a non-empty string, but is 5', 'text');
  });

  it('resolves on the real llama2 vocabulary', () => {
    const v = toVocabulary(loadTokenizer('llama2'));
    expect(resolveText(v, 'I')).toEqual({ ids: [315, 28737], sequences: [] });
    expect(resolveText(v, '\n', 'none')).toEqual({ ids: [13], sequences: [] });
    // "Okay" exists as a piece both bare and after a space.
    expect(resolveText(v, 'Okay')).toEqual({ ids: [16488, 19811], sequences: [] });
  });
});

describe('resolveMarker', () => {
  it('returns the tokens after the newline and the first character of the tag (llama2: the reference\'s last 5 tokens)', () => {
    const v = toVocabulary(loadTokenizer('llama2'));
    // "\n<|user|>\n" is ▁ <0x0A> < | user | > <0x0A>
    expect(resolveMarker(v, '<|user|>', 'markers.user')).toEqual([28766, 1838, 28766, 28767, 13]);
    expect(resolveMarker(v, '<|assistant|>', 'markers.assistant')).toEqual([28766, 489, 11143, 28766, 28767, 13]);
  });

  it('works on a hand-made vocabulary where the newline and the first character share a token', () => {
    // 0 "\n<" 1 "|" 2 "u" 3 ">\n" ; encoder hand-written
    const v = createVocabulary({ pieces: ['\n<', '|', 'u', '>\n'], kind: 'plain', encode: () => [0, 1, 2, 1, 3] });
    expect(resolveMarker(v, '<|u|>', 'm')).toEqual([1, 2, 1, 3]);
  });

  it('rejects short tags, vocabularies without an encoder and tags it cannot locate', () => {
    const v = createVocabulary({ pieces: ['\n', '<', 'x'], kind: 'plain', encode: () => [2, 2] });
    expectRuleLMError(() => resolveMarker(v, '<', 'markers.user'), '`markers.user` must be a tag of at least 2 characters or an array of token ids, but is "<"', 'markers.user');
    expectRuleLMError(() => resolveMarker(v, 7 as never, 'markers.user'), '`markers.user` must be a tag of at least 2 characters or an array of token ids, but is 7', 'markers.user');
    expectRuleLMError(
      () => resolveMarker(createVocabulary({ pieces: ['a'] }), '<|user|>', 'markers.user'),
      "`markers.user` is text, but the vocabulary has no encoder; pass the marker's token ids instead",
      'markers.user',
    );
    expectRuleLMError(
      () => resolveMarker(v, '<|user|>', 'markers.user'),
      '`markers.user` ("<|user|>") could not be located in its own tokenization; pass the marker\'s token ids instead',
      'markers.user',
    );
    // Located, but nothing follows the head.
    const headOnly = createVocabulary({ pieces: ['\n', '<'], kind: 'plain', encode: () => [0, 1] });
    expectRuleLMError(
      () => resolveMarker(headOnly, '<|a|>', 'markers.assistant'),
      '`markers.assistant` ("<|a|>") could not be located in its own tokenization; pass the marker\'s token ids instead',
      'markers.assistant',
    );
  });
});
