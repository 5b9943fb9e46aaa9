import type { TokenizerLike } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { createVocabulary, toVocabulary } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { loadTokenizer } from '../helpers/tokenizers';

const SP = ['<unk>', '<s>', '</s>', '<0x0A>', '<0x3C>', '<', '\u2581<', '\u2581I', 'I', '\u2581', '\u2581\u2581', '<0x41>', '<0xE2>', 'ab'];

describe('createVocabulary', () => {
  it('reads an array of pieces indexed by id', () => {
    const v = createVocabulary({ pieces: SP, eosTokenIds: 2, specialTokenIds: [0, 1, 2] });
    expect(v.kind).toBe('sentencepiece');
    expect(v.size).toBe(14);
    expect(v.eosTokenIds).toEqual([2]);
    expect(v.encode).toBeUndefined();
    expect(v.piece(7)).toBe('\u2581I');
    expect(v.piece(14)).toBeUndefined();
  });

  it('reads a map or a record from piece to id, with holes', () => {
    const fromMap = createVocabulary({ pieces: new Map([['\u2581a', 0], ['b', 3]]) });
    expect(fromMap.size).toBe(4);
    expect([0, 1, 2, 3].map((id) => fromMap.piece(id))).toEqual(['\u2581a', undefined, undefined, 'b']);
    expect(fromMap.surface(1)).toBeUndefined();
    expect(fromMap.surface(0)).toBe(' a');
    const fromRecord = createVocabulary({ pieces: { x: 1, y: 0 }, eosTokenIds: [0, 1] });
    expect(fromRecord.size).toBe(2);
    expect([fromRecord.piece(0), fromRecord.piece(1)]).toEqual(['y', 'x']);
    expect(fromRecord.kind).toBe('plain');
    expect(fromRecord.eosTokenIds).toEqual([0, 1]);
  });

  it('detects the kind from the pieces, or takes it as given', () => {
    expect(createVocabulary({ pieces: ['\u2581a', 'b'] }).kind).toBe('sentencepiece');
    expect(createVocabulary({ pieces: ['\u0120a', 'b', '\u010a'] }).kind).toBe('byte-level');
    expect(createVocabulary({ pieces: ['\u010a', 'b'] }).kind).toBe('byte-level');
    expect(createVocabulary({ pieces: ['a', 'b'] }).kind).toBe('plain');
    expect(createVocabulary({ pieces: ['\u2581a', '\u0120b'] }).kind).toBe('sentencepiece');
    expect(createVocabulary({ pieces: ['\u2581a', '\u0120b', '\u0120c'] }).kind).toBe('byte-level');
    const forced = createVocabulary({ pieces: ['\u2581a'], kind: 'plain' });
    expect(forced.kind).toBe('plain');
    expect(forced.surface(0)).toBe('\u2581a');
  });

  it('spells sentencepiece pieces: ▁ is a space, ASCII byte pieces are their character', () => {
    const v = createVocabulary({ pieces: SP, specialTokenIds: [0, 1, 2] });
    expect(v.surface(7)).toBe(' I');
    expect(v.surface(10)).toBe('  ');
    expect(v.surface(3)).toBe('\n');
    expect(v.surface(4)).toBe('<');
    expect(v.surface(11)).toBe('A');
    expect(v.surface(12)).toBeUndefined(); // a partial UTF-8 byte spells nothing
    expect(v.surface(1)).toBeUndefined(); // special
    expect(v.surface(99)).toBeUndefined();
  });

  it('spells byte-level pieces through GPT-2 byte table', () => {
    const v = createVocabulary({ pieces: ['\u0120I', '\u010a', '\u00c3\u00a9', '\u0120\u00c3\u00a9', '\u00c3', '<|im_end|>', 'a\u20acb', '\u0120\u0120\u0120', '!'] });
    expect(v.kind).toBe('byte-level');
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((id) => v.surface(id))).toEqual([' I', '\n', '\u00e9', ' \u00e9', undefined, '<|im_end|>', 'a\u20acb', '   ', '!']);
  });

  it('spells plain pieces as themselves', () => {
    const v = createVocabulary({ pieces: ['I', ' I', '\u2581x'], kind: 'plain' });
    expect([v.surface(0), v.surface(1), v.surface(2)]).toEqual(['I', ' I', '\u2581x']);
  });

  it('idsWithSurface: increasing ids, byte-fallback pieces only when no regular piece spells the text', () => {
    const v = createVocabulary({ pieces: SP, specialTokenIds: [0, 1, 2] });
    expect(v.idsWithSurface('<')).toEqual([5]);
    expect(v.idsWithSurface(' <')).toEqual([6]);
    expect(v.idsWithSurface('\n')).toEqual([3]);
    expect(v.idsWithSurface('A')).toEqual([11]);
    expect(v.idsWithSurface(' ')).toEqual([9]);
    expect(v.idsWithSurface('I')).toEqual([8]);
    expect(v.idsWithSurface('<s>')).toEqual([]);
    expect(v.idsWithSurface('missing')).toEqual([]);
    const noSpecials = createVocabulary({ pieces: SP });
    expect(noSpecials.idsWithSurface('<s>')).toEqual([1]);
    const plain = createVocabulary({ pieces: ['a', 'b', 'a', 'c', 'a'] });
    expect(plain.idsWithSurface('a')).toEqual([0, 2, 4]);
  });

  it('keeps the encoder', () => {
    const encode = (text: string): number[] => [text.length];
    const v = createVocabulary({ pieces: ['a'], encode });
    expect(v.encode).toBe(encode);
  });

  it('rejects bad sources, naming the offending part', () => {
    expectRuleLMError(() => createVocabulary(null as never), '`source` must be an object with `pieces`, but is null', 'source');
    expectRuleLMError(() => createVocabulary({ pieces: [] }), '`pieces` must be a non-empty vocabulary, but is []', 'pieces');
    expectRuleLMError(() => createVocabulary({ pieces: new Map() }), '`pieces` must be a non-empty vocabulary, but is {}', 'pieces');
    expectRuleLMError(() => createVocabulary({ pieces: 'abc' as never }), '`pieces` must be an array of pieces or a map from piece to id, but is "abc"', 'pieces');
    expectRuleLMError(() => createVocabulary({ pieces: ['a', 5 as never] }), '`pieces[1]` must be a string, but is 5', 'pieces[1]');
    expectRuleLMError(() => createVocabulary({ pieces: { a: -1 } }), '`pieces["a"]` must be a token id, but is -1', 'pieces["a"]');
    expectRuleLMError(() => createVocabulary({ pieces: new Map([['a', 0.5]]) }), '`pieces["a"]` must be a token id, but is 0.5', 'pieces["a"]');
    expectRuleLMError(() => createVocabulary({ pieces: ['a'], kind: 'bpe' as never }), '`kind` must be one of "sentencepiece", "byte-level", "plain", but is "bpe"', 'kind');
    expectRuleLMError(() => createVocabulary({ pieces: ['a'], eosTokenIds: -2 }), '`eosTokenIds[0]` must be a token id (an integer of at least 0), but is -2', 'eosTokenIds[0]');
    expectRuleLMError(() => createVocabulary({ pieces: ['a'], eosTokenIds: [] }), '`eosTokenIds` must be a non-empty array of token ids, but is []', 'eosTokenIds');
    expectRuleLMError(() => createVocabulary({ pieces: ['a'], specialTokenIds: [1.5] }), '`specialTokenIds[0]` must be a token id (an integer of at least 0), but is 1.5', 'specialTokenIds[0]');
    expectRuleLMError(() => createVocabulary({ pieces: ['a'], encode: 5 as never }), '`encode` must be a function, but is 5', 'encode');
    expectRuleLMError(
      // @ts-expect-error: a misspelled option
      () => createVocabulary({ pieces: ['a'], eosTokenId: 0 }),
      '`source` has an unknown option "eosTokenId"; known options are `pieces`, `kind`, `eosTokenIds`, `specialTokenIds`, `encode`',
      'source.eosTokenId',
    );
  });
});

describe('toVocabulary', () => {
  const fake = (): TokenizerLike & { calls: unknown[] } => {
    const calls: unknown[] = [];
    return {
      calls,
      get_vocab: () => new Map([['<s>', 0], ['</s>', 1], ['\u2581hi', 2], ['there', 3]]),
      encode(text, options) {
        calls.push([text, options]);
        return [2, 3];
      },
      eos_token_id: 1,
      all_special_ids: [0, 1],
    };
  };

  it('returns a rulelm vocabulary as it is', () => {
    const v = createVocabulary({ pieces: ['a'] });
    expect(toVocabulary(v)).toBe(v);
  });

  it('reads a tokenizer once: pieces, EOS id, special ids, and an encoder without special tokens', () => {
    const tokenizer = fake();
    const v = toVocabulary(tokenizer);
    expect(toVocabulary(tokenizer)).toBe(v);
    expect(v.kind).toBe('sentencepiece');
    expect(v.size).toBe(4);
    expect(v.eosTokenIds).toEqual([1]);
    expect([v.surface(0), v.surface(1), v.surface(2), v.surface(3)]).toEqual([undefined, undefined, ' hi', 'there']);
    expect(v.encode?.('hi there')).toEqual([2, 3]);
    expect(tokenizer.calls).toEqual([['hi there', { add_special_tokens: false }]]);
  });

  it('accepts a tokenizer without an EOS id or special ids, and a callable tokenizer', () => {
    const bare = toVocabulary({ get_vocab: () => ({ a: 0 }), encode: () => [0], eos_token_id: null });
    expect(bare.eosTokenIds).toEqual([]);
    const callable = Object.assign(() => undefined, { get_vocab: () => ({ a: 0, b: 1 }), encode: () => [1] });
    expect(toVocabulary(callable).size).toBe(2);
  });

  it('rejects anything else', () => {
    expectRuleLMError(() => toVocabulary(5 as never), '`tokenizer` must be a transformers.js tokenizer or a rulelm vocabulary, but is 5', 'tokenizer');
    expectRuleLMError(() => toVocabulary(null as never), '`tokenizer` must be a transformers.js tokenizer or a rulelm vocabulary, but is null', 'tokenizer');
    expectRuleLMError(
      () => toVocabulary({ get_vocab: () => ({}) } as never),
      '`tokenizer` must be a transformers.js tokenizer (with get_vocab() and encode()) or a rulelm vocabulary',
      'tokenizer',
    );
  });

  it('reads the real llama2 (Mistral-family SentencePiece) tokenizer', () => {
    const tokenizer = loadTokenizer('llama2');
    const v = toVocabulary(tokenizer);
    expect(v.kind).toBe('sentencepiece');
    expect(v.size).toBe(32000);
    expect(v.eosTokenIds).toEqual([2]);
    expect([v.piece(0), v.piece(1), v.piece(2), v.piece(13)]).toEqual(['<unk>', '<s>', '</s>', '<0x0A>']);
    expect([v.surface(1), v.surface(2), v.surface(13), v.surface(63)]).toEqual([undefined, undefined, '\n', '<']);
    expect(v.idsWithSurface('<')).toEqual([28789]); // the piece "<", not the byte piece <0x3C> (63)
    expect(v.idsWithSurface('\n')).toEqual([13]);
    expect(v.idsWithSurface(' I')).toEqual([315]);
    expect(v.encode?.('Hello world')).toEqual([22557, 1526]);
  });
});

describe('Vocabulary.bytes', () => {
  it('gives the UTF-8 bytes of every kind of piece, partial characters included, and none for special tokens', () => {
    const sp = createVocabulary({ pieces: ['<s>', '\u2581caf\u00e9', '<0xC3>', '<0x0A>'], kind: 'sentencepiece', specialTokenIds: [0] });
    expect(sp.bytes(0)).toBeUndefined();
    expect([...(sp.bytes(1) ?? [])]).toEqual([0x20, 0x63, 0x61, 0x66, 0xc3, 0xa9]);
    expect([...(sp.bytes(2) ?? [])]).toEqual([0xc3]);
    expect(sp.surface(2)).toBeUndefined();
    expect([...(sp.bytes(3) ?? [])]).toEqual([0x0a]);
    expect(sp.bytes(9)).toBeUndefined();
    // GPT-2's table: Ġ is 0x20, Ã is 0xC3, © is 0xA9; an added token written in plain text is its UTF-8.
    const bl = createVocabulary({ pieces: ['\u0120I', '\u00c3', '\u00a9', '<|im_start|>', '<think>'], kind: 'byte-level', specialTokenIds: [3] });
    expect([...(bl.bytes(0) ?? [])]).toEqual([0x20, 0x49]);
    expect([...(bl.bytes(1) ?? [])]).toEqual([0xc3]);
    expect([...(bl.bytes(2) ?? [])]).toEqual([0xa9]);
    expect(bl.bytes(3)).toBeUndefined();
    expect([...(bl.bytes(4) ?? [])]).toEqual([...new TextEncoder().encode('<think>')]);
    const plain = createVocabulary({ pieces: ['\u00e9'], kind: 'plain' });
    expect([...(plain.bytes(0) ?? [])]).toEqual([0xc3, 0xa9]);
  });
});
