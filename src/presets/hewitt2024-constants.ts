import type { Boundary } from '../core/resolve';

/**
 * The constants of Hewitt, Liu, Liang and Manning (2024), "Instruction Following without
 * Instruction Tuning" (arXiv:2409.14254), as its reference code uses them. Token ids are those
 * of the Llama 2 vocabulary the paper used; `text` and `boundary` say how the same tokens are
 * found in any other vocabulary.
 */
export const HEWITT2024: {
  readonly promptTemplate: string;
  readonly userTag: string;
  readonly assistantTag: string;
  readonly uniform: readonly { readonly id: number; readonly piece: string; readonly text: string; readonly boundary: Boundary; readonly bias: number }[];
  readonly diversityPenalty: number;
  readonly eos: { readonly maxBias: number; readonly rampLength: number };
  readonly start: { readonly t0Weight: number; readonly t1: { readonly text: string; readonly bias: number }; readonly t2: { readonly text: string; readonly bias: number } };
} = {
  promptTemplate: '<|user|>\n{instruction}\n<|assistant|>\n',
  userTag: '<|user|>',
  assistantTag: '<|assistant|>',
  uniform: [
    { id: 29966, piece: '<', text: '<', boundary: 'none', bias: -4 },
    { id: 529, piece: '\u2581<', text: '<', boundary: 'leading', bias: -4 },
    { id: 29989, piece: '|', text: '|', boundary: 'none', bias: -4 },
    { id: 306, piece: '\u2581I', text: 'I', boundary: 'leading', bias: -5 },
    { id: 29902, piece: 'I', text: 'I', boundary: 'none', bias: -5 },
    { id: 1334, piece: '\u2581We', text: 'We', boundary: 'leading', bias: -3 },
    { id: 5618, piece: 'What', text: 'What', boundary: 'none', bias: -5 },
    { id: 881, piece: '\u2581should', text: 'should', boundary: 'leading', bias: -6 },
    { id: 334, piece: '\u2581*', text: '*', boundary: 'leading', bias: 1 },
    { id: 448, piece: '\u2581-', text: '-', boundary: 'leading', bias: 1 },
    { id: 1678, piece: '\u2581\u2581\u2581', text: '   ', boundary: 'none', bias: 1 },
    { id: 396, piece: '\u2581#', text: '#', boundary: 'leading', bias: 1 },
    { id: 444, piece: '\u2581##', text: '##', boundary: 'leading', bias: 1 },
    { id: 13, piece: '<0x0A>', text: '\n', boundary: 'none', bias: 1 },
    { id: 29991, piece: '!', text: '!', boundary: 'none', bias: 1 },
  ],
  diversityPenalty: 1.5,
  eos: { maxBias: 15, rampLength: 250 },
  start: { t0Weight: 5, t1: { text: '!', bias: 15 }, t2: { text: '\n', bias: -10 } },
};

/**
 * The reference code's score of a piece for the start rule (before its weight of 5): strips one
 * leading `▁`; a bare `▁` scores 0, `I` -3, `Okay` 10; a first character that is upper- or
 * lower-case, CJK, Cyrillic, Hiragana/Katakana or Hangul scores 1; ASCII punctuation from the
 * reference's list -1; anything else 0.
 *
 * @param piece A piece in SentencePiece spelling (`▁` for a space).
 * @returns The score.
 */
export function startScore(piece: string): number {
  if (piece === '\u2581' || piece.length === 0) return 0;
  const s = piece.startsWith('\u2581') ? piece.slice(1) : piece;
  if (s === 'I') return -3;
  if (s === 'Okay') return 10;
  const c = String.fromCodePoint(s.codePointAt(0) as number);
  if (/^\p{Uppercase}$/u.test(c) || /^\p{Lowercase}$/u.test(c)) return 1;
  const code = c.codePointAt(0) as number;
  if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x0400 && code <= 0x04ff) || (code >= 0x3040 && code <= 0x30ff) || (code >= 0xac00 && code <= 0xd7af)) return 1;
  if ('.,:;!?<>[]{}()"\'`~@#$%^&*-=+\\|/'.includes(c)) return -1;
  return 0;
}
