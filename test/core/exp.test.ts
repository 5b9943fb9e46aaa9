// The table-driven exp the hot loops use instead of Math.exp (issue 16): as accurate as a double
// allows against V8's Math.exp, and exact at the edges the loops rely on.
import { describe, expect, it } from 'vitest';
import { exp } from '../../src/core/exp';
import { seededRandom } from '../../src/index';

describe('exp', () => {
  it('is within 1e-15 relative of Math.exp on 300,000 seeded exponents in [-745, 0] where the result is a normal double', () => {
    const random = seededRandom(16);
    let worst = 0;
    let normal = 0;
    for (let i = 0; i < 300_000; i++) {
      // A third near 0 (scores close to the best), a third in [-40, 0], a third anywhere.
      const x = -random() * [1, 40, 745][i % 3]!;
      const expected = Math.exp(x);
      if (expected < 2.2250738585072014e-308) {
        expect(Math.abs(exp(x) - expected)).toBeLessThan(1e-320);
        continue;
      }
      normal++;
      worst = Math.max(worst, Math.abs(exp(x) - expected) / expected);
    }
    expect(normal).toBeGreaterThan(290_000); // about 5% of the third drawn from [-745, 0] is subnormal
    expect(worst).toBeLessThan(1e-15);
    expect(worst).toBeGreaterThan(0); // a different routine: it does round differently somewhere
  });

  it('is 1 at 0 and within 1e-15 at the reduction points k * ln2 / 64', () => {
    expect(exp(0)).toBe(1);
    expect(exp(-0)).toBe(1);
    for (let k = -64 * 20; k <= 0; k++) {
      const x = (k * Math.LN2) / 64;
      expect(Math.abs(exp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-15);
    }
  });

  it('gives 0 below the smallest subnormal and for -Infinity, NaN for NaN, Math.exp above 0', () => {
    expect(exp(-Infinity)).toBe(0);
    expect(exp(-746)).toBe(0);
    expect(exp(-1e308)).toBe(0);
    expect(exp(NaN)).toBeNaN();
    for (const x of [1e-300, 0.5, 1, 20, 709, 710, Infinity]) expect(exp(x)).toBe(Math.exp(x));
  });
});
