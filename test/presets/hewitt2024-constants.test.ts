import { describe, expect, it } from 'vitest';
import { HEWITT2024, startScore } from '../../src/index';
import { loadReference, REFERENCE_PATH } from '../helpers/reference';

const reference = loadReference();

describe.skipIf(reference === undefined)(`HEWITT2024 against ${REFERENCE_PATH}`, () => {
  const ref = reference as NonNullable<typeof reference>;

  it("lists the reference's 15 uniform token biases: id, piece and bias, in order", () => {
    expect(HEWITT2024.uniform.map(({ id, piece, bias }) => ({ id, piece, bias }))).toEqual(ref.rules.uniform.token_biases);
    expect(HEWITT2024.uniform).toHaveLength(15);
  });

  it('spells each piece as text + boundary: a leading ▁ is the boundary, <0x0A> is a newline, ▁▁▁ three spaces', () => {
    for (const u of HEWITT2024.uniform) {
      const allSpaces = /^\u2581+$/u.test(u.piece);
      const text = u.piece === '<0x0A>' ? '\n' : allSpaces ? u.piece.replaceAll('\u2581', ' ') : u.piece.replace(/^\u2581/u, '');
      const boundary = !allSpaces && u.piece.startsWith('\u2581') ? 'leading' : 'none';
      expect({ piece: u.piece, text: u.text, boundary: u.boundary }).toEqual({ piece: u.piece, text, boundary });
    }
  });

  it('has the diversity penalty (subtracted: the reference says -1.5)', () => {
    expect(-HEWITT2024.diversityPenalty).toBe(ref.rules.diversity.penalty);
    expect(HEWITT2024.diversityPenalty).toBe(1.5);
  });

  it('has the EOS constants: 3 * 5 * t / 250 = 0.06 * t', () => {
    expect(HEWITT2024.eos).toEqual({ maxBias: 15, rampLength: 250 });
    expect(ref.rules.eos.bias).toContain(`3 * 5 * t / ${HEWITT2024.eos.rampLength}`);
    expect(ref.rules.eos.bias).toContain(`= ${HEWITT2024.eos.maxBias / HEWITT2024.eos.rampLength} * t`);
  });

  it('has the prompt template and its tags', () => {
    expect(HEWITT2024.promptTemplate).toBe(ref.prompt_template);
    expect(HEWITT2024.promptTemplate).toBe(`${HEWITT2024.userTag}\n{instruction}\n${HEWITT2024.assistantTag}\n`);
    expect([HEWITT2024.userTag, HEWITT2024.assistantTag]).toEqual(['<|user|>', '<|assistant|>']);
  });

  it('has the start rule constants: 5 * score at t = 0, "!" += 15 at t = 1, newline += -10 at t = 2', () => {
    expect(HEWITT2024.start).toEqual({ t0Weight: 5, t1: { text: '!', bias: 15 }, t2: { text: '\n', bias: -10 } });
    expect(ref.rules.start.t1).toBe("'!' (29991) += 15");
    expect(ref.rules.start.t2).toBe('newline (13) += -10');
  });
});

describe('startScore', () => {
  it('scores the special cases of the reference', () => {
    expect(startScore('\u2581')).toBe(0);
    expect(startScore('')).toBe(0);
    expect(startScore('I')).toBe(-3);
    expect(startScore('\u2581I')).toBe(-3);
    expect(startScore('Okay')).toBe(10);
    expect(startScore('\u2581Okay')).toBe(10);
    expect(startScore('Ok')).toBe(1);
    expect(startScore('It')).toBe(1);
  });

  it('scores letters (upper, lower, CJK, Cyrillic, Hiragana/Katakana, Hangul) 1', () => {
    for (const piece of ['The', '\u2581the', 'a', '\u00e9t\u00e9', '\u4e2d', '\u2581\u4e2d\u6587', '\u0416', '\u0436', '\u3042', '\u30a2', '\ud55c', '\u03b1']) {
      expect([piece, startScore(piece)]).toEqual([piece, 1]);
    }
  });

  it("scores the reference's ASCII punctuation -1, whatever follows", () => {
    for (const c of '.,:;!?<>[]{}()"\'`~@#$%^&*-=+\\|/') {
      expect([c, startScore(c)]).toEqual([c, -1]);
      expect([`\u2581${c}x`, startScore(`\u2581${c}x`)]).toEqual([`\u2581${c}x`, -1]);
    }
    expect(startScore('<0x0A>')).toBe(-1); // a byte piece starts with "<"
    expect(startScore('<s>')).toBe(-1);
  });

  it('scores everything else 0 and strips only one ▁', () => {
    for (const piece of ['1', '\u2581123', '\n', '_', '\u2581\u2581', '\u2581\u2581\u2581', '\u2581\u2581I', '\u00a7', '\u20ac', '\ud83d\ude00', '\u0e01']) {
      expect([piece, startScore(piece)]).toEqual([piece, 0]);
    }
  });
});
