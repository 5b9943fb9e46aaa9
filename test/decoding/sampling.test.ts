import { describe, expect, it } from 'vitest';
import { argmax, decodingOptions, pickToken, RuleLMError, seededRandom } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';

const fixed = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

describe('seededRandom', () => {
  it('is reproducible per seed, differs across seeds, and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([seededRandom(43)(), seededRandom(43)()]).not.toEqual(first.slice(0, 2));
    const r = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => seededRandom(1.5)).toThrow('`seed` must be a safe integer, but is 1.5');
    expect(() => seededRandom(NaN)).toThrow(RuleLMError);
  });
});

describe('argmax', () => {
  it('returns the first largest score, skipping masked ones, and -1 when all are masked', () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).toBe(1);
    expect(argmax(Float32Array.from([-Infinity, -5, NaN]))).toBe(1);
    expect(argmax(Float32Array.from([-Infinity, NaN]))).toBe(-1);
  });
});

describe('pickToken', () => {
  const greedy = decodingOptions();
  const row = Float32Array.from([0, Math.log(3), -Infinity]); // probabilities 1/4, 3/4, 0

  it('greedy takes the argmax and leaves the row alone', () => {
    expect(pickToken(row, greedy, fixed(0.9))).toBe(1);
    expect(Array.from(row)).toEqual([0, Math.fround(Math.log(3)), -Infinity]);
  });

  it('samples by cumulative probability over the tokens sorted best first', () => {
    const sample = decodingOptions({ sample: true });
    expect(pickToken(row, sample, fixed(0.5))).toBe(1); // 0.5 < 0.75
    expect(pickToken(row, sample, fixed(0.8))).toBe(0); // 0.8 >= 0.75
    expect(pickToken(row, sample, fixed(0.999999))).toBe(0); // never the masked token
  });

  it('top-k, top-p and temperature narrow the choice', () => {
    expect(pickToken(row, decodingOptions({ sample: true, topK: 1 }), fixed(0.99))).toBe(1);
    expect(pickToken(row, decodingOptions({ sample: true, topP: 0.7 }), fixed(0.99))).toBe(1);
    expect(pickToken(row, decodingOptions({ sample: true, topP: 0.8 }), fixed(0.99))).toBe(0);
    // temperature 0.5 squares the odds: 1/10 and 9/10
    expect(pickToken(row, decodingOptions({ sample: true, temperature: 0.5 }), fixed(0.85))).toBe(1);
    expect(pickToken(row, decodingOptions({ sample: true, temperature: 0.5 }), fixed(0.95))).toBe(0);
  });

  it('+Infinity takes all the mass: one of the infinite tokens, never another', () => {
    const forced = Float32Array.from([0, Infinity, 2, Infinity, -Infinity]);
    const sample = decodingOptions({ sample: true, temperature: 0.7, topK: 3, topP: 0.5 });
    expect(pickToken(forced, sample, fixed(0.1))).toBe(1);
    expect(pickToken(forced, sample, fixed(0.9))).toBe(3);
    expect(pickToken(Float32Array.from([0, 1, Infinity, 2]), decodingOptions({ sample: true }), fixed(0.99))).toBe(2);
  });

  it('applies temperature before top-k and top-p', () => {
    // scores ln 6, ln 3, ln 1: probabilities 0.6, 0.3, 0.1; at temperature 0.5: 36/46, 9/46, 1/46.
    const scores = Float32Array.from([Math.log(6), Math.log(3), 0]);
    const topP = decodingOptions({ sample: true, temperature: 0.5, topP: 0.75 });
    expect(pickToken(scores, topP, fixed(0.99))).toBe(0); // 36/46 = 0.78 >= 0.75 keeps only token 0
    const plain = decodingOptions({ sample: true, topP: 0.75, topK: 2 });
    expect(pickToken(scores, plain, fixed(0.99))).toBe(1); // 0.6 < 0.75: tokens 0 and 1 kept
  });

  it('a tiny temperature gives the greedy draw (row / temperature overflowed: the worst token every time)', () => {
    const scores = Float32Array.from([0, 2, 1, -Infinity, NaN]);
    for (const temperature of [1e-310, 5e-324, 1e-300]) {
      const tiny = decodingOptions({ sample: true, temperature });
      for (const u of [0, 0.5, 0.999999]) expect(pickToken(scores, tiny, fixed(u))).toBe(1);
    }
    // Ties at the top share the draw; nothing else gets any.
    const tied = Float32Array.from([3, 1, 3]);
    const tiny = decodingOptions({ sample: true, temperature: 1e-310 });
    expect([0, 0.49, 0.5, 0.99].map((u) => pickToken(tied, tiny, fixed(u)))).toEqual([0, 0, 2, 2]);
  });

  it('the largest temperature gives a uniform draw over the tokens not masked', () => {
    const huge = decodingOptions({ sample: true, temperature: Number.MAX_VALUE });
    const scores = Float32Array.from([0, 30, -Infinity, -30]);
    // Weights exp(0), exp(-30 / MAX), exp(-60 / MAX) are all 1: thirds, best first (1, 0, 3).
    expect([0.1, 0.4, 0.7].map((u) => pickToken(scores, huge, fixed(u)))).toEqual([1, 0, 3]);
  });

  it('returns -1 when every token is masked', () => {
    expect(pickToken(Float32Array.from([-Infinity, -Infinity]), decodingOptions({ sample: true }), fixed(0.5))).toBe(-1);
  });
});

describe('decodingOptions', () => {
  it('fills defaults and rejects bad values', () => {
    expect(decodingOptions()).toEqual({ sample: false, temperature: 1, topK: 0, topP: 1 });
    expect(() => decodingOptions({ temperature: 0 })).toThrow('`temperature` must be a finite number greater than 0, but is 0');
    expect(() => decodingOptions({ topK: -1 })).toThrow('`topK` must be a non-negative integer, but is -1');
    expect(() => decodingOptions({ topP: 1.5 })).toThrow('`topP` must be a number in (0, 1], but is 1.5');
    expect(() => decodingOptions({ sample: 'yes' } as never)).toThrow('`sample` must be a boolean, but is "yes"');
    expect(() => decodingOptions({ top_k: 3 } as never)).toThrow('unknown option "top_k"');
  });

  it('rejects temperature, topK and topP without sample: true, as the CLI does (greedy would ignore them)', () => {
    for (const key of ['temperature', 'topK', 'topP'] as const) {
      expectRuleLMError(() => decodingOptions({ [key]: key === 'topK' ? 3 : 0.5 }), `\`${key}\` needs \`sample: true\` (decoding is greedy otherwise)`, key);
      expect(() => decodingOptions({ sample: false, [key]: key === 'topK' ? 3 : 0.5 })).toThrow('needs `sample: true`');
    }
    expect(decodingOptions({ sample: true, temperature: 0.5, topK: 3, topP: 0.5 })).toEqual({ sample: true, temperature: 0.5, topK: 3, topP: 0.5 });
  });
});
