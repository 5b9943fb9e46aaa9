import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVocabulary, startSequence } from '../../src/index';
import { DRY } from '../../src/processors/dry';
import { row } from '../helpers/rows';

const I = Infinity;

function penalties(dry: DRY, prompt: readonly number[], vocabSize = 8): Float32Array {
  return startSequence(dry, { prompt, vocabSize }).process(new Float32Array(vocabSize));
}

function only(vocabSize: number, entries: Record<number, number>): Float32Array {
  const out = new Float32Array(vocabSize);
  for (const [t, x] of Object.entries(entries)) out[Number(t)] = x;
  return out;
}

/**
 * llama.cpp's DRY as a plain rescan of the last N tokens at every step (what the incremental
 * state must reproduce): the breaker with the latest head limits the run, each earlier position's
 * longest common suffix with the sequence is found by direct comparison, the longest per next
 * token is penalized.
 */
function rescan(tokens: readonly number[], o: { multiplier: number; base: number; allowedLength: number; lastN: number | undefined; breakers: readonly (readonly number[])[] }, row: Float32Array): void {
  const len = tokens.length;
  const n = o.lastN === undefined ? len : Math.min(len, o.lastN);
  const a = o.allowedLength;
  if (n <= a) return;
  const rat = (i: number): number => tokens[len - 1 - i] as number;
  let limit = n;
  for (let i = 0; i < n; i++) {
    let longest = -1;
    for (const b of o.breakers) {
      if (b[0] !== rat(i)) continue;
      const tail = b.length - 1;
      if (tail > longest && tail <= i && b.slice(1).every((t, k) => t === rat(i - k - 1))) longest = tail;
    }
    if (longest >= 0) {
      limit = i - longest;
      break;
    }
  }
  if (limit < a) return;
  const best = new Map<number, number>();
  for (let k = 1; k < n; k++) {
    let m = 0;
    while (m + k < n && rat(m) === rat(m + k)) m++;
    const count = Math.min(m, limit);
    if (count < a) continue;
    const next = rat(k - 1);
    best.set(next, Math.max(best.get(next) ?? 0, count));
  }
  const maxExponent = o.base > 1.000001 ? Math.trunc(88.7228391 / Math.log(o.base)) : 0;
  for (const [t, length] of best) {
    if (o.breakers.some((b) => b.length === 1 && b[0] === t)) continue;
    let exponent = length - a;
    if (maxExponent > 0 && exponent > maxExponent) exponent = maxExponent;
    row[t]! -= o.multiplier * o.base ** exponent;
  }
}

describe('DRY', () => {
  const dry = (options: Partial<ConstructorParameters<typeof DRY>[0]> = {}): DRY => new DRY({ multiplier: 0.8, base: 1.75, allowedLength: 2, ...options });

  it('penalizes the token that would extend a repeated run: multiplier * base ** (length - allowedLength)', () => {
    // "1 2 3" repeats (length 3) and was followed by 4: 0.8 * 1.75 = 1.4
    expect(penalties(dry(), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, { 4: -1.4 }));
    // "2 3" only (length 2): 0.8 * 1.75 ** 0
    expect(penalties(dry(), [1, 2, 3, 4, 5, 2, 3])).toEqual(only(8, { 4: -0.8 }));
    // a run of 1 is allowed
    expect(penalties(dry(), [1, 2, 3, 4, 5, 6, 3])).toEqual(only(8, {}));
    // two continuations: the longest run counts for each; the score already in the row is kept
    const out = startSequence(dry(), { prompt: [1, 2, 3, 5, 7, 2, 3, 6, 1, 2, 3], vocabSize: 8 }).process(row([0, 0, 0, 0, 0, 1, 0, -I]));
    expect(out).toEqual(row([0, 0, 0, 0, 0, 1 - 1.4, -0.8, -I]));
  });

  it('saturates a penalty past the float64 range: +Infinity stays +Infinity (not NaN), a finite score goes to -MAX_VALUE', () => {
    // "1 2 3" repeats and was followed by 4: 1e300 * 1e300 overflows.
    const out = startSequence(dry({ multiplier: 1e300, base: 1e300, allowedLength: 1 }), { prompt: [1, 2, 3, 4, 1, 2, 3], vocabSize: 8 }).process(row([0, 0, 0, 0, I, 0, 0, 0]));
    expect(out[4]).toBe(I);
    const finite = startSequence(dry({ multiplier: 1e300, base: 1e300, allowedLength: 1 }), { prompt: [1, 2, 3, 4, 1, 2, 3], vocabSize: 8 }).process(row([0, 0, 0, 0, 0, 0, 0, 0]));
    expect(finite[4]).toBe(-I); // -MAX_VALUE rounds to -Infinity in the float32 row
  });

  it('stops runs at the latest sequence breaker and never penalizes single-token breakers', () => {
    // breaker 1 at position 4: the run is at most 2 long
    expect(penalties(dry({ sequenceBreakers: [1] }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, { 4: -0.8 }));
    // the last token is a breaker: nothing
    expect(penalties(dry({ sequenceBreakers: [3] }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, {}));
    // a breaker is never penalized itself
    expect(penalties(dry({ sequenceBreakers: [4] }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, {}));
    // a two-token breaker "4 1" ends at position 4
    expect(penalties(dry({ sequenceBreakers: [[4, 1]] }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, { 4: -0.8 }));
  });

  it('resolves text breakers as llama.cpp does (tokens containing the text, or a head and the encoded rest)', () => {
    const pieces = ['a', 'b', '.', 'x.', 'c', 'q', ':', '::', 'y:'];
    const encode = (text: string): number[] => [...text].map((ch) => pieces.indexOf(ch));
    const vocabulary = createVocabulary({ pieces, kind: 'plain', encode });
    expect(dry({ sequenceBreakers: ['.'], tokenizer: vocabulary }).sequenceBreakers).toEqual([[2], [3]]);
    // "::" spans tokens ":" ":" ; tokens containing it: "::"; heads ending with ":" then the encoded ":"
    expect(dry({ sequenceBreakers: ['::'], tokenizer: vocabulary }).sequenceBreakers).toEqual([[6, 6], [7], [8, 6]]);
  });

  it('looks only at the last lastN tokens', () => {
    expect(penalties(dry({ lastN: 5 }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, {}));
    expect(penalties(dry({ lastN: 6 }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, { 4: -0.8 }));
    expect(penalties(dry({ lastN: 7 }), [1, 2, 3, 4, 1, 2, 3])).toEqual(only(8, { 4: -1.4 }));
  });

  it('clamps the exponent where llama.cpp does (floor(88.7228391 / ln base))', () => {
    const big = new DRY({ multiplier: 1, base: 1e10, allowedLength: 1 });
    // "5 6 7 8" run of 9 before the end; the exponent 8 is clamped to 3
    expect(penalties(big, [5, 6, 7, 8, 4, 5, 6, 7, 8, 4, 5, 6, 7, 8], 10)).toEqual(only(10, { 4: -1e30 }));
  });

  it('equals a plain rescan on random histories, step by step', () => {
    const V = 4;
    fc.assert(
      fc.property(
        fc.record({
          multiplier: fc.double({ min: 0.1, max: 3, noNaN: true }),
          base: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 4, noNaN: true }), fc.constant(1e12)),
          allowedLength: fc.integer({ min: 1, max: 4 }),
          lastN: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
          breakers: fc.array(fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
        }),
        fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 60 }),
        (o, prompt, generated) => {
          const processor = new DRY({ multiplier: o.multiplier, base: o.base, allowedLength: o.allowedLength, sequenceBreakers: o.breakers, ...(o.lastN === undefined ? {} : { lastN: o.lastN }) });
          const sequence = startSequence(processor, { prompt, vocabSize: V });
          const tokens = [...prompt];
          for (let step = 0; step <= generated.length; step++) {
            const expected = new Float32Array(V);
            rescan(tokens, { ...o, breakers: processor.sequenceBreakers }, expected);
            expect(sequence.process(new Float32Array(V))).toEqual(expected);
            if (step === generated.length) break;
            sequence.push(generated[step] as number);
            tokens.push(generated[step] as number);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
