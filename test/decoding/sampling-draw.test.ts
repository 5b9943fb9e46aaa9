// The sort-free sampler (issue 16, item 1): the same draws as sorting every candidate best first,
// the exact distribution (a chi-square test on seeded draws), and the edge cases.
import { describe, expect, it } from 'vitest';
import { decodingOptions, pickToken, seededRandom } from '../../src/index';

const fixed = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

// The draw by a full sort (what pickToken did before issue 16), the oracle for the sort-free one.
function sortedDraw(row: Float32Array, temperature: number, topK: number, topP: number, u: number): number {
  const candidates: number[] = [];
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > -Infinity) candidates.push(i);
  if (candidates.length === 0) return -1;
  candidates.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
  if (row[candidates[0] as number] === Infinity) {
    let forced = 1;
    while (forced < candidates.length && row[candidates[forced] as number] === Infinity) forced++;
    return candidates[Math.min(forced - 1, Math.floor(u * forced))] as number;
  }
  const kept = topK > 0 ? candidates.slice(0, topK) : candidates;
  const best = row[kept[0] as number] as number;
  const weights = kept.map((id) => Math.exp(((row[id] as number) - best) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  let count = kept.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < kept.length; i++) {
      cumulative += (weights[i] as number) / total;
      if (cumulative >= topP) {
        count = i + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let i = 0; i < count; i++) mass += weights[i] as number;
  let target = u * mass;
  for (let i = 0; i < count; i++) {
    target -= weights[i] as number;
    if (target < 0) return kept[i] as number;
  }
  return kept[count - 1] as number;
}

// Normal scores (Box-Muller on a seeded source), some masked, NaN or tied, rounded to a grid so
// that ties are common.
function randomRow(vocab: number, seed: number, sd: number): Float32Array {
  const r = seededRandom(seed);
  const row = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const u = r();
    row[i] = u < 0.05 ? -Infinity : u < 0.06 ? NaN : Math.round(z * sd * 8) / 8;
  }
  return row;
}

describe('pickToken draws as a full sort would', () => {
  it('gives the sorted draw for the same random number on random rows, with every option mix', () => {
    const settings = [
      { temperature: 1, topK: 0, topP: 1 },
      { temperature: 0.7, topK: 0, topP: 0.9 },
      { temperature: 1.3, topK: 0, topP: 0.5 },
      { temperature: 1, topK: 40, topP: 1 },
      { temperature: 0.8, topK: 200, topP: 0.95 },
      { temperature: 1, topK: 1, topP: 1 },
      { temperature: 0.05, topK: 0, topP: 0.99 },
      { temperature: 50, topK: 0, topP: 0.3 },
    ];
    let compared = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const row = randomRow(seed % 2 === 0 ? 3000 : 517, seed, seed % 3 === 0 ? 0.5 : 4);
      for (const s of settings) {
        const decoding = decodingOptions({ sample: true, ...s });
        const u = seededRandom(seed * 100 + s.topK);
        for (let draw = 0; draw < 25; draw++) {
          const x = u();
          expect(pickToken(row, decoding, fixed(x))).toBe(sortedDraw(row, s.temperature, s.topK, s.topP, x));
          compared++;
        }
      }
    }
    expect(compared).toBe(12 * 8 * 25);
  });

  it('keeps ties in id order at the top-k boundary and at the top-p boundary', () => {
    // Scores 2, 1, 1, 1, 0: top-k 2 keeps ids 0 and 1 (the first of the tied 1s).
    const row = Float32Array.from([2, 1, 1, 1, 0]);
    const topK = decodingOptions({ sample: true, topK: 2 });
    const e = Math.exp(-1);
    // Weights 1 and e^-1: id 1 for u >= 1 / (1 + e^-1) = 0.731.
    expect(pickToken(row, topK, fixed(0.73))).toBe(0);
    expect(pickToken(row, topK, fixed(0.74))).toBe(1);
    expect(pickToken(row, topK, fixed(0.999))).toBe(1);
    // Top-p: probabilities 1, e, e, e, e^2 over Z = 1 + 3e + e^2 = 2.239: p0 = 0.4466, then
    // + 0.1643 each. topP 0.6 needs ids 0 and 1 (0.611); 0.62 needs id 2 as well.
    const z = 1 + 3 * e + e * e;
    expect(1 / z + e / z).toBeCloseTo(0.6109, 4);
    const p60 = decodingOptions({ sample: true, topP: 0.6 });
    expect(pickToken(row, p60, fixed(0.999))).toBe(1);
    const p62 = decodingOptions({ sample: true, topP: 0.62 });
    expect(pickToken(row, p62, fixed(0.999))).toBe(2);
    // u * kept mass lands past 1 + e^-1 (= 1.368 of 1.736): id 2.
    expect(pickToken(row, p62, fixed(0.8))).toBe(2);
  });

  it('never picks NaN or -Infinity, and gives +Infinity all the mass in id order', () => {
    const row = Float32Array.from([NaN, -Infinity, 1, NaN, Infinity, 5, Infinity]);
    const sample = decodingOptions({ sample: true, topK: 1 });
    expect(pickToken(row, sample, fixed(0.49))).toBe(4);
    expect(pickToken(row, sample, fixed(0.5))).toBe(6);
    const onlyNaN = Float32Array.from([NaN, -Infinity, NaN]);
    expect(pickToken(onlyNaN, decodingOptions({ sample: true }), fixed(0.5))).toBe(-1);
    const plain = decodingOptions({ sample: true });
    const mixed = Float32Array.from([NaN, 0, -Infinity, 0, NaN]);
    expect([0.2, 0.6].map((u) => pickToken(mixed, plain, fixed(u)))).toEqual([1, 3]);
  });

  it('a temperature that puts every weight in one bucket still draws best first', () => {
    // Temperature 1e6 spreads 0..3 over less than a bucket: a uniform draw over 2, 0, 3, 1 by score.
    const row = Float32Array.from([2, 0, 3, 1]);
    const hot = decodingOptions({ sample: true, temperature: 1e6 });
    expect([0.1, 0.3, 0.6, 0.9].map((u) => pickToken(row, hot, fixed(u)))).toEqual([2, 0, 3, 1]);
  });
});

describe('pickToken samples the exact softmax distribution', () => {
  it('passes a chi-square test on 30,000 seeded draws each (temperature 0.8, top-k 30, top-p 0.9, and none)', () => {
    const vocab = 1000;
    const row = randomRow(vocab, 7, 1.5);
    for (const s of [
      { temperature: 1, topK: 0, topP: 1 },
      { temperature: 0.8, topK: 0, topP: 1 },
      { temperature: 1, topK: 30, topP: 1 },
      { temperature: 1, topK: 0, topP: 0.9 },
    ]) {
      // The exact probabilities, from the sorted order.
      const ids = [...row.keys()].filter((i) => (row[i] as number) > -Infinity).sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
      let kept = s.topK > 0 ? ids.slice(0, s.topK) : ids;
      const best = row[kept[0] as number] as number;
      let weights = kept.map((i) => Math.exp(((row[i] as number) - best) / s.temperature));
      let total = weights.reduce((a, b) => a + b, 0);
      if (s.topP < 1) {
        let c = 0;
        const n = weights.findIndex((w) => (c += w / total) >= s.topP) + 1;
        kept = kept.slice(0, n);
        weights = weights.slice(0, n);
        total = weights.reduce((a, b) => a + b, 0);
      }
      const draws = 30_000;
      const counts = new Map<number, number>();
      const random = seededRandom(2024);
      const decoding = decodingOptions({ sample: true, ...s });
      for (let d = 0; d < draws; d++) {
        const t = pickToken(row, decoding, random);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      // Pool tokens into cells of expected count >= 5 (best first), then chi-square.
      let chi = 0;
      let cells = 0;
      let expected = 0;
      let observed = 0;
      const keptSet = new Set(kept);
      for (const t of counts.keys()) expect(keptSet.has(t)).toBe(true);
      for (let i = 0; i < kept.length; i++) {
        expected += (draws * (weights[i] as number)) / total;
        observed += counts.get(kept[i] as number) ?? 0;
        if (expected >= 5 || i === kept.length - 1) {
          chi += ((observed - expected) ** 2) / expected;
          cells++;
          expected = 0;
          observed = 0;
        }
      }
      // Upper 0.1% point of chi-square with k degrees of freedom (Wilson-Hilferty).
      const k = cells - 1;
      const bound = k * (1 - 2 / (9 * k) + 3.09 * Math.sqrt(2 / (9 * k))) ** 3;
      expect(cells).toBeGreaterThan(10);
      expect(chi).toBeLessThan(bound);
    }
  });

  it('is reproducible: the same seed gives the same tokens', () => {
    const row = randomRow(1000, 3, 3);
    const decoding = decodingOptions({ sample: true, temperature: 0.9, topP: 0.95 });
    const run = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, () => pickToken(row, decoding, r));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});
