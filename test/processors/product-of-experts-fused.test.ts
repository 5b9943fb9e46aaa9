// The exact ("log-probs") product of experts in two passes (issue 16, item 3): equal, within
// 1e-5, to the dense computation it replaced (base log_softmax pass, then per expert a zeroed
// scratch row, its log-sum-exp and an add pass), on random rows with NaN and ±Infinity scores.
import { describe, expect, it } from 'vitest';
import { PositionBias, Processor, ProductOfExperts, seededRandom, TokenBias } from '../../src/index';
import { run } from '../helpers/rows';

const saturate = (x: number): number => Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, x));

// The dense reference, written out as the 0.2 code computed it (float32 row between terms).
function reference(base: Float32Array, baseWeight: number, experts: readonly (readonly [Float32Array, number])[]): Float32Array {
  const row = base.slice();
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let shift = max;
  if (max !== Infinity && max !== -Infinity) {
    let sum = 0;
    for (const x of row) if (!Number.isNaN(x)) sum += Math.exp(x - max);
    shift = max + Math.log(sum);
  }
  for (let j = 0; j < row.length; j++) {
    const x = row[j] as number;
    if (x === -Infinity || Number.isNaN(x)) continue;
    row[j] = shift === Infinity ? (x === Infinity ? 0 : -Infinity) : saturate(baseWeight * (x - shift));
  }
  for (const [scores, scale] of experts) {
    let m = -Infinity;
    for (const s of scores) if (s > m) m = s;
    let e = m;
    if (m !== Infinity && m !== -Infinity) {
      let sum = 0;
      for (const s of scores) sum += Math.exp(s - m);
      e = m + Math.log(sum);
    }
    for (let j = 0; j < row.length; j++) {
      const x = row[j] as number;
      if (x === -Infinity || Number.isNaN(x)) continue;
      const s = scores[j] as number;
      const lp = e === Infinity ? (s === Infinity ? 0 : -Infinity) : e === -Infinity ? -Infinity : s - e;
      row[j] = lp === -Infinity ? -Infinity : x + saturate(scale * lp);
    }
  }
  return row;
}

function expectSame(actual: Float32Array, expected: Float32Array): void {
  for (let j = 0; j < expected.length; j++) {
    const a = actual[j] as number;
    const e = expected[j] as number;
    if (Number.isNaN(e) || !Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThan(1e-5);
  }
}

function randomCase(seed: number, vocab: number, special: boolean): { base: Float32Array; biases: { token: number; bias: number }[][] } {
  const r = seededRandom(seed);
  const base = new Float32Array(vocab);
  for (let j = 0; j < vocab; j++) {
    const u = r();
    base[j] = special && u < 0.03 ? -Infinity : special && u < 0.05 ? NaN : (r() - 0.5) * 20;
  }
  if (special && seed % 4 === 0) base[(seed * 7) % vocab] = Infinity;
  if (special && seed % 8 === 0) base[(seed * 13) % vocab] = Infinity;
  const biases = [0, 1].map((k) => {
    const list: { token: number; bias: number }[] = [];
    const used = new Set<number>();
    for (let n = 0; n < 5 + ((seed + k) % 20); n++) {
      const token = Math.floor(r() * vocab);
      if (used.has(token)) continue;
      used.add(token);
      const u = r();
      list.push({ token, bias: special && u < 0.1 ? -1e300 : (r() - 0.3) * 12 });
    }
    return list;
  });
  return { base, biases };
}

function scoresOf(biases: readonly { token: number; bias: number }[], vocab: number): Float32Array {
  const s = new Float32Array(vocab);
  for (const { token, bias } of biases) s[token] = bias;
  return s;
}

describe('ProductOfExperts "log-probs" in two passes', () => {
  it('equals the dense computation within 1e-5 on random rows (one and two experts, NaN, ±Infinity)', () => {
    let cases = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const vocab = seed % 2 === 0 ? 257 : 3001;
      const { base, biases } = randomCase(seed, vocab, seed % 3 !== 0);
      const baseWeight = [1, 2, 0.5, -1, 0][seed % 5] as number;
      const w = [1, -0.5, 2.5, 0][seed % 4] as number;
      for (const two of [false, true]) {
        const experts = [{ processor: new TokenBias({ biases: biases[0] as never }), weight: w }];
        if (two) experts.push({ processor: new TokenBias({ biases: biases[1] as never }), weight: 0.75 });
        const p = new ProductOfExperts({ output: 'log-probs', baseWeight, experts });
        const expectedExperts: [Float32Array, number][] = [];
        if (w !== 0) expectedExperts.push([scoresOf(biases[0] as never, vocab), w]);
        if (two) expectedExperts.push([scoresOf(biases[1] as never, vocab), 0.75]);
        // Two steps of one sequence: the scratch row is clean again for the second.
        const rows = run(p, [0], [1], base);
        for (const out of rows) expectSame(out, reference(base, baseWeight, expectedExperts));
        cases++;
      }
    }
    expect(cases).toBe(80);
  });

  it('a +Infinity base score takes all the mass; an expert that masks a token (a bias past float32) masks it; NaN stays NaN', () => {
    const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: -1e300 }, { token: 2, bias: 1 }] }), weight: -2 }] });
    // Base [0, 1, Infinity, NaN]: base term [-Inf, -Inf, 0, NaN]; expert log-probs at token 2:
    // 1 - log(e^1 + e^0 + e^0) (token 1 masked), times -2.
    const out = run(p, [0], [], Float32Array.from([0, 1, Infinity, NaN]))[0] as Float32Array;
    const z = Math.log(Math.E + 2);
    expect(out[0]).toBe(-Infinity);
    expect(out[1]).toBe(-Infinity);
    expect(out[2]).toBeCloseTo(-2 * (1 - z), 6);
    expect(out[3]).toBeNaN();
    // Finite base: the masked token is masked whatever the weight's sign, the others get
    // log_softmax(base) - 2 * log_softmax(expert).
    const finite = run(p, [0], [], Float32Array.from([0, 1, 2, 3]))[0] as Float32Array;
    const zb = Math.log(1 + Math.E + Math.exp(2) + Math.exp(3));
    expect(Array.from(finite).map((v) => (Number.isFinite(v) ? Number(v.toFixed(5)) : v))).toEqual(
      [0 - zb - 2 * (0 - z), -Infinity, 2 - zb - 2 * (1 - z), 3 - zb - 2 * (0 - z)].map((v) => (Number.isFinite(v) ? Number(v.toFixed(5)) : v)),
    );
  });

  it('an expert with no zero score below -709 (its own exp underflows) still normalizes: first and second expert', () => {
    // Every score of the expert is -710: log_softmax of the expert is -log(4) everywhere, so the
    // result is log_softmax(base) - log(4) (the zeros' term was 0 * exp(710) = NaN before).
    const dense = (): PositionBias => new PositionBias({ positions: [{ at: 0, biases: new Float32Array(4).fill(-710) }] });
    const base = Float32Array.from([1, 2, 3, 4]);
    const zb = Math.log(Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4));
    // As the second expert, after one whose scores are all 0 (uniform: another -log(4)).
    const one = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: dense() }] });
    const two = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 0, bias: 0 }] }) }, { processor: dense() }] });
    for (const [p, uniforms] of [[one, 1], [two, 2]] as const) {
      const out = run(p, [0], [], base)[0] as Float32Array;
      for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo(j + 1 - zb - uniforms * Math.log(4), 5);
    }
  });

  it('a NaN expert score (a custom expert) keeps a base term that rounds to -Infinity at -Infinity, as the general loop does', () => {
    class AddsNaN extends Processor<null> {
      readonly kind = 'adds-nan';
      override readonly additive = true;
      createState(): null {
        return null;
      }
      process(row: Float32Array): void {
        row[3] = NaN;
      }
    }
    const F = 3.4028234663852886e38;
    // Base [F, -F, 0, 1]: token 1's base term -F - shift rounds to -Infinity in float32. The
    // expert's log-sum-exp is NaN, so every other token's expert term is NaN.
    const out = run(new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new AddsNaN() }] }), [0], [], Float32Array.from([F, -F, 0, 1]))[0] as Float32Array;
    expect(out[1]).toBe(-Infinity);
    expect(out[0]).toBeNaN();
    expect(out[2]).toBeNaN();
    expect(out[3]).toBeNaN();
  });
});
