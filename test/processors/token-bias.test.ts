import type { Vocabulary } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { createVocabulary, parseSpec, ProductOfExperts, startSequence, TokenBias, TokenHistory, toSpec } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run } from '../helpers/rows';
import { loadTokenizer } from '../helpers/tokenizers';

const V = 6;
const zeros = (n = V): Float32Array => new Float32Array(n);

// SentencePiece: 0 <unk> 1 <s> 2 </s> 3 ▁I 4 I 5 ▁We 6 He 7 llo 8 ▁He 9 <0x0A> 10 ▁▁▁ 11 <0x49>
const SP = ['<unk>', '<s>', '</s>', '\u2581I', 'I', '\u2581We', 'He', 'llo', '\u2581He', '<0x0A>', '\u2581\u2581\u2581', '<0x49>'];
// Byte-level: 0 I 1 ĠI 2 Ċ 3 ĠWe 4 ĠĠĠ 5 !
const BL = ['I', '\u0120I', '\u010a', '\u0120We', '\u0120\u0120\u0120', '!'];
// Plain: 0 I 1 " I" 2 We
const PLAIN = ['I', ' I', 'We'];

function sp(encode?: (text: string) => readonly number[]): Vocabulary {
  return createVocabulary({ pieces: SP, specialTokenIds: [0, 1, 2], ...(encode ? { encode } : {}) });
}

describe('tokenBias', () => {
  describe('by id', () => {
    it('adds the bias to the token at every step', () => {
      const p = new TokenBias({ biases: [{ token: 2, bias: 1.5 }, { token: 4, bias: -0.25 }] });
      expect([p.kind, p.additive]).toEqual(['token-bias', true]);
      const base = row([1, 1, 1, 1, 1, -Infinity]);
      const rows = run(p, [0], [2, 3], base);
      const expected = row([1, 1, 2.5, 1, 0.75, -Infinity]);
      expect(rows).toEqual([expected, expected, expected]);
    });

    it('adds up biases that land on the same token, once per step', () => {
      const p = new TokenBias({ biases: [{ token: 1, bias: 0.1 }, { token: 1, bias: 0.2 }, { tokens: [1], bias: 0.3 }] });
      const rows = run(p, [], [], row([0.7, 0.7, 0, 0, 0, 0]));
      // biases are summed in double precision, then added to the float32 score
      expect(rows[0]).toEqual(row([0.7, Math.fround(Math.fround(0.7) + (0.1 + 0.2 + 0.3)), 0, 0, 0, 0]));
    });

    it('scales by the weight', () => {
      const p = new TokenBias({ biases: [{ token: 1, bias: 2 }, { tokens: [0, 3], bias: 1 }] });
      const history = new TokenHistory([0], V);
      const r = zeros();
      p.process(r, p.createState(), history, -1.5);
      expect(r).toEqual(row([0, -3, 0, -1.5, 0, 0]));
    });

    it('lists what it resolved', () => {
      const p = new TokenBias({ biases: [{ token: 2, bias: 1 }, { tokens: [3, 4], bias: -1 }] });
      expect(p.resolved).toEqual([
        { source: 'id', tokens: [2], pieces: [undefined], bias: 1 },
        { source: 'tokens', tokens: [3, 4], pieces: [undefined, undefined], bias: -1 },
      ]);
      expect(p.skipped).toEqual([]);
      const withPieces = new TokenBias({ tokenizer: sp(), biases: [{ token: 3, bias: 1 }, { tokens: [6, 7], bias: 2 }, { token: 99, bias: 1 }] });
      expect(withPieces.resolved).toEqual([
        { source: 'id', tokens: [3], pieces: ['\u2581I'], bias: 1 },
        { source: 'tokens', tokens: [6, 7], pieces: ['He', 'llo'], bias: 2 },
        { source: 'id', tokens: [99], pieces: [undefined], bias: 1 },
      ]);
    });
  });

  describe('by sequence (HF SequenceBias)', () => {
    it('biases the last token only when the history ends with the others', () => {
      const p = new TokenBias({ biases: [{ tokens: [3, 4, 5], bias: 2 }] });
      const rows = run(p, [1, 3], [4, 5, 3, 3, 4], zeros());
      // history ends: ..3 | ..3 4 (prefix spans prompt and response) | ..5 | ..3 | ..3 3 | ..3 3 4
      const hit = row([0, 0, 0, 0, 0, 2]);
      expect(rows).toEqual([zeros(), hit, zeros(), zeros(), zeros(), hit]);
    });

    it('does not match when the history is shorter than the prefix', () => {
      const rows = run(new TokenBias({ biases: [{ tokens: [3, 4, 5], bias: 2 }] }), [], [4], zeros());
      expect(rows).toEqual([zeros(), zeros()]);
    });

    it('a one-token sequence always applies', () => {
      const rows = run(new TokenBias({ biases: [{ tokens: [5], bias: -1 }] }), [], [0, 1], zeros());
      expect(rows).toEqual([0, 1, 2].map(() => row([0, 0, 0, 0, 0, -1])));
    });

    it('matches a prefix that lies entirely in the prompt, and several sequences at once', () => {
      const p = new TokenBias({ biases: [{ tokens: [1, 2, 0], bias: 1 }, { tokens: [2, 0], bias: 0.5 }, { tokens: [2, 4], bias: 3 }, { token: 0, bias: 0.25 }] });
      const rows = run(p, [1, 2], [3], zeros());
      expect(rows).toEqual([row([1.75, 0, 0, 0, 3, 0]), row([0.25, 0, 0, 0, 0, 0])]);
    });
  });

  describe('by text', () => {
    it('sentencepiece: boundaries both / leading / none', () => {
      const v = sp();
      const both = new TokenBias({ tokenizer: v, biases: [{ text: 'I', bias: -5 }] });
      expect(both.resolved).toEqual([
        { source: 'I', tokens: [3], pieces: ['\u2581I'], bias: -5 },
        { source: 'I', tokens: [4], pieces: ['I'], bias: -5 },
      ]);
      expect(new TokenBias({ tokenizer: v, biases: [{ text: 'I', bias: -5, boundary: 'leading' }] }).resolved.map((r) => r.tokens)).toEqual([[3]]);
      expect(new TokenBias({ tokenizer: v, biases: [{ text: 'I', bias: -5, boundary: 'none' }] }).resolved.map((r) => r.tokens)).toEqual([[4]]);
      const rows = run(both, [], [], zeros(SP.length));
      expect(rows[0]).toEqual(row([0, 0, 0, -5, -5, 0, 0, 0, 0, 0, 0, 0]));
      const newline = new TokenBias({ tokenizer: v, biases: [{ text: '\n', bias: 1, boundary: 'none' }, { text: '   ', bias: 1, boundary: 'none' }] });
      expect(newline.resolved.map((r) => [r.tokens, r.pieces])).toEqual([[[9], ['<0x0A>']], [[10], ['\u2581\u2581\u2581']]]);
    });

    it('byte-level: Ġ and Ċ', () => {
      const v = createVocabulary({ pieces: BL });
      const p = new TokenBias({
        tokenizer: v,
        biases: [
          { text: 'I', bias: -5 },
          { text: 'We', bias: -3, boundary: 'leading' },
          { text: '\n', bias: 1, boundary: 'none' },
          { text: '   ', bias: 1, boundary: 'none' },
        ],
      });
      expect(p.resolved.map((r) => [r.source, r.tokens, r.pieces, r.bias])).toEqual([
        ['I', [0], ['I'], -5],
        ['I', [1], ['\u0120I'], -5],
        ['We', [3], ['\u0120We'], -3],
        ['\n', [2], ['\u010a'], 1],
        ['   ', [4], ['\u0120\u0120\u0120'], 1],
      ]);
      expect(run(p, [], [], zeros())[0]).toEqual(row([-5, -5, 1, -3, 1, 0]));
    });

    it('plain vocabulary', () => {
      const v = createVocabulary({ pieces: PLAIN });
      const p = new TokenBias({ tokenizer: v, biases: [{ text: 'I', bias: 2, boundary: 'leading' }, { text: 'We', bias: 1 }] });
      expect(p.resolved.map((r) => r.tokens)).toEqual([[1], [2]]);
      expect(run(p, [], [], zeros(3))[0]).toEqual(row([0, 2, 1]));
    });

    it('adds up text and id biases on the same token', () => {
      const p = new TokenBias({ tokenizer: sp(), biases: [{ text: 'I', bias: -5, boundary: 'none' }, { token: 4, bias: 1.5 }, { text: 'I', bias: -1 }] });
      expect(run(p, [], [], zeros(SP.length))[0]).toEqual(row([0, 0, 0, -1, -4.5, 0, 0, 0, 0, 0, 0, 0]));
    });

    it('multi-token text through the encoder becomes a sequence bias', () => {
      const encode = (text: string): number[] => ({ Hello: [6, 7], ' Hello': [8, 7] })[text] ?? [];
      const p = new TokenBias({ tokenizer: sp(encode), biases: [{ text: 'Hello', bias: 4 }] });
      expect(p.resolved).toEqual([
        { source: 'Hello', tokens: [6, 7], pieces: ['He', 'llo'], bias: 4 },
        { source: 'Hello', tokens: [8, 7], pieces: ['\u2581He', 'llo'], bias: 4 },
      ]);
      const rows = run(p, [3], [6, 7, 8, 4], zeros(SP.length));
      const llo = row([0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
      expect(rows).toEqual([zeros(SP.length), llo, zeros(SP.length), llo, zeros(SP.length)]);
    });

    it('unresolved text throws by default, or is skipped and listed', () => {
      expectRuleLMError(
        () => new TokenBias({ tokenizer: sp(), biases: [{ token: 1, bias: 1 }, { text: 'zebra', bias: 1 }] }),
        '`biases[1].text` ("zebra") resolves to no token of this vocabulary (boundary "both"); pass `unresolved: "skip"` to skip it',
        'biases[1].text',
      );
      expectRuleLMError(
        () => new TokenBias({ tokenizer: sp(), unresolved: 'error', biases: [{ text: 'We', bias: 1, boundary: 'none' }] }),
        '`biases[0].text` ("We") resolves to no token of this vocabulary (boundary "none"); pass `unresolved: "skip"` to skip it',
        'biases[0].text',
      );
      const p = new TokenBias({ tokenizer: sp(), unresolved: 'skip', biases: [{ text: 'zebra', bias: 1 }, { text: 'We', bias: 2 }, { text: 'We', bias: 1, boundary: 'none' }] });
      expect(p.skipped).toEqual(['zebra', 'We']);
      expect(p.resolved).toEqual([{ source: 'We', tokens: [5], pieces: ['\u2581We'], bias: 2 }]);
    });

    it('needs a tokenizer for text', () => {
      expectRuleLMError(() => new TokenBias({ biases: [{ token: 1, bias: 1 }, { text: 'I', bias: 1 }] }), '`biases[1].text` is text, so `tokenizer` is required', 'tokenizer');
    });

    it('reads a real transformers.js tokenizer (llama2)', () => {
      const p = new TokenBias({ tokenizer: loadTokenizer('llama2'), biases: [{ text: 'I', bias: -5 }, { text: '\n', bias: 1, boundary: 'none' }] });
      expect(p.resolved).toEqual([
        { source: 'I', tokens: [315], pieces: ['\u2581I'], bias: -5 },
        { source: 'I', tokens: [28737], pieces: ['I'], bias: -5 },
        { source: '\n', tokens: [13], pieces: ['<0x0A>'], bias: 1 },
      ]);
      const sequence = startSequence(p, { prompt: [1], vocabSize: 32000 });
      const r = sequence.process(new Float32Array(32000));
      const expected = new Float32Array(32000);
      expected[315] = -5;
      expected[28737] = -5;
      expected[13] = 1;
      expect(r).toEqual(expected);
    });
  });

  describe('validation', () => {
    it('rejects bad biases, naming the entry', () => {
      const cases: [unknown, string, string][] = [
        [undefined, '`biases` must be an array of biases, but is undefined', 'biases'],
        [[5], '`biases[0]` must be an object with `token`, `tokens` or `text`, and `bias`, but is 5', 'biases[0]'],
        [[{ bias: 1 }], '`biases[0]` must be an object with exactly one of `token`, `tokens` or `text`, but is {"bias":1}', 'biases[0]'],
        [[{ token: 1, text: 'a', bias: 1 }], '`biases[0]` must be an object with exactly one of `token`, `tokens` or `text`, but is {"token":1,"text":"a","bias":1}', 'biases[0]'],
        [[{ token: 1, bias: 1, boundary: 'none' }], '`biases[0]` has an unknown option "boundary"; known options are `token`, `tokens`, `text`, `bias`', 'biases[0].boundary'],
        [[{ token: 1, bias: 1, weight: 2 }], '`biases[0]` has an unknown option "weight"; known options are `token`, `tokens`, `text`, `bias`', 'biases[0].weight'],
        [[{ token: 1 }], '`biases[0].bias` must be a finite number, but is undefined', 'biases[0].bias'],
        [[{ token: 1, bias: Number.NaN }], '`biases[0].bias` must be a finite number, but is NaN', 'biases[0].bias'],
        [[{ token: 1, bias: -Infinity }], '`biases[0].bias` must be a finite number, but is -Infinity', 'biases[0].bias'],
        [[{ token: -1, bias: 1 }], '`biases[0].token` must be a token id (an integer of at least 0), but is -1', 'biases[0].token'],
        [[{ token: 1.5, bias: 1 }], '`biases[0].token` must be a token id (an integer of at least 0), but is 1.5', 'biases[0].token'],
        [[{ tokens: [], bias: 1 }], '`biases[0].tokens` must be a non-empty array of token ids, but is []', 'biases[0].tokens'],
        [[{ tokens: [1, Number.NaN], bias: 1 }], '`biases[0].tokens[1]` must be a token id (an integer of at least 0), but is NaN', 'biases[0].tokens[1]'],
        [[{ text: '', bias: 1 }], '`biases[0].text` must be a non-empty string, but is ""', 'biases[0].text'],
        [[{ text: 3, bias: 1 }], '`biases[0].text` must be a non-empty string, but is 3', 'biases[0].text'],
        [[{ text: 'I', bias: 1, boundary: 'trailing' }], '`biases[0].boundary` must be one of "both", "leading", "none", but is "trailing"', 'biases[0].boundary'],
      ];
      for (const [biases, message, argument] of cases) expectRuleLMError(() => new TokenBias({ tokenizer: sp(), biases } as never), message, argument);
    });

    it('rejects bad options', () => {
      expectRuleLMError(() => new TokenBias({ biases: [{ token: 1, bias: 1 }], unresolved: 'ignore' as never }), '`unresolved` must be one of "error", "skip", but is "ignore"', 'unresolved');
      expectRuleLMError(
        // @ts-expect-error: a misspelled option
        () => new TokenBias({ biases: [{ token: 1, bias: 1 }], tokenzer: sp() }),
        '`options` has an unknown option "tokenzer"; known options are `biases`, `tokenizer`, `unresolved`',
        'options.tokenzer',
      );
      expectRuleLMError(() => new TokenBias({ tokenizer: 5 as never, biases: [{ text: 'I', bias: 1 }] }), '`tokenizer` must be a transformers.js tokenizer or a rulelm vocabulary, but is 5', 'tokenizer');
    });

    it('rejects ids outside the vocabulary when a sequence starts', () => {
      const p = new TokenBias({ biases: [{ token: 1, bias: 1 }, { tokens: [2, 6], bias: 1 }] });
      expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: V }), '`biases` holds token id 6, outside a vocabulary of 6 ids (0 to 5)', 'biases');
      expect(() => startSequence(p, { prompt: [], vocabSize: 7 })).not.toThrow();
    });
  });
});

describe('tokenBias: hostile numbers (issue 13)', () => {
  it('refuses biases on one token whose sum overflows, instead of an infinite bias that turns -Infinity into NaN', () => {
    expectRuleLMError(
      () => new TokenBias({ biases: [{ token: 3, bias: 1e308 }, { token: 3, bias: 1e308 }] }),
      '`biases` on token 3 add up to Infinity, beyond the largest finite number; give smaller biases',
      'biases',
    );
    expectRuleLMError(() => new TokenBias({ biases: [{ token: 1, bias: -1e308 }, { token: 1, bias: -1e308 }] }), '`biases` on token 1 add up to -Infinity, beyond the largest finite number; give smaller biases', 'biases');
  });

  it('a weight that overflows weight * bias leaves a masked token masked and +Infinity as it is', () => {
    const bias = new TokenBias({ biases: [{ token: 0, bias: 1e308 }, { token: 1, bias: -1e308 }, { tokens: [2, 3], bias: 1e308 }] });
    const base = row([-Infinity, Infinity, 0, -Infinity]);
    const out = new ProductOfExperts({ experts: [{ processor: bias, weight: 10 }] });
    // t = 0 after the prompt [2]: the sequence [2, 3] matches, so token 3 gets the sequence bias.
    expect(Array.from(run(out, [2], [], base)[0] as Float32Array)).toEqual([-Infinity, Infinity, 0, -Infinity]);
    // A finite score with the largest bias saturates to +Infinity in float32, never NaN.
    expect(Array.from(run(out, [], [], row([1, 2, 3, 4]))[0] as Float32Array)).toEqual([Infinity, -Infinity, 3, 4]);
  });

  it('an empty list, or one whose every text was skipped, biases nothing and loads back from its spec', () => {
    const skipped = new TokenBias({ tokenizer: sp(), biases: [{ text: 'zebra', bias: 2 }], unresolved: 'skip' });
    expect(skipped.skipped).toEqual(['zebra']);
    expect(skipped.toJSON()).toEqual({ kind: 'token-bias', biases: [] });
    const again = parseSpec(JSON.stringify(toSpec(skipped)));
    expect(toSpec(again)).toEqual(toSpec(skipped));
    expect(Array.from(run(again, [], [], row([1, 2, 3]))[0] as Float32Array)).toEqual([1, 2, 3]);
    expect(Array.from(run(new TokenBias({ biases: [] }), [], [], row([1, -Infinity]))[0] as Float32Array)).toEqual([1, -Infinity]);
  });
});
