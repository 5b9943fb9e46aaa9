import type { Processor } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { Chain, EndOfSequenceRamp, logSumExp, parseSpec, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias, TokenHistory, toSpec } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run, step } from '../helpers/rows';

const V = 4;
const BASE = row([1, 2, 3, 0]);
const e1 = (): Processor => new TokenBias({ biases: [{ token: 0, bias: 2 }] }); // scores [2, 0, 0, 0]
const e2 = (): Processor => new TokenBias({ biases: [{ token: 3, bias: -1 }, { token: 1, bias: 0.5 }] }); // scores [0, 0.5, 0, -1]
const R1 = [2, 0, 0, 0];
const R2 = [0, 0.5, 0, -1];

/** log_softmax in double precision, written out. */
function logSoftmax(x: readonly number[]): number[] {
  const max = Math.max(...x);
  const z = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
  return x.map((v) => v - z);
}

/** The exact product of experts: baseWeight * log_softmax(base) + sum of w_i * log_softmax(r_i). */
function exact(base: readonly number[], baseWeight: number, experts: readonly (readonly [readonly number[], number])[]): number[] {
  const out = logSoftmax(base).map((v) => baseWeight * v);
  for (const [r, w] of experts) logSoftmax(r).forEach((v, j) => (out[j] = (out[j] as number) + w * v));
  return out;
}

function softmax(x: ArrayLike<number>): number[] {
  const values = Array.from(x);
  const max = Math.max(...values);
  const e = values.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Asserts `actual - expected` is the same constant for every entry (within 1e-5), and the softmaxes agree (1e-6). */
function expectEqualUpToConstant(actual: Float32Array, expected: readonly number[]): void {
  const diff = Array.from(actual, (v, j) => v - (expected[j] as number));
  const c = diff[0] as number;
  for (const d of diff) expect(Math.abs(d - c)).toBeLessThan(1e-5);
  const p = softmax(actual);
  const q = softmax(expected);
  p.forEach((v, j) => expect(Math.abs(v - (q[j] as number))).toBeLessThan(1e-6));
}

function expectClose(actual: Float32Array, expected: readonly number[], tolerance = 1e-5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, j) => {
    const e = expected[j] as number;
    if (e === -Infinity) expect(v).toBe(-Infinity);
    else expect(Math.abs(v - e)).toBeLessThan(tolerance);
  });
}

describe('logSumExp', () => {
  it('computes log(sum(exp(row))) exactly as written out', () => {
    expect(logSumExp(row([0, 0]))).toBe(Math.log(2));
    expect(logSumExp(row([1, 2, 3]))).toBe(3 + Math.log(Math.exp(-2) + Math.exp(-1) + Math.exp(0)));
    expect(logSumExp(row([5]))).toBe(5);
    expect(logSumExp(row([-Infinity, 0]))).toBe(0);
    expect(logSumExp(row([-Infinity, 1.5, -Infinity, 1.5]))).toBe(1.5 + Math.log(2));
  });

  it('is stable for large and small scores', () => {
    expect(logSumExp(row([1000, 1000]))).toBe(1000 + Math.log(2));
    expect(logSumExp(row([-1000, -1000]))).toBe(-1000 + Math.log(2));
    expect(logSumExp(row([3e38, 0]))).toBe(Math.fround(3e38));
  });

  it('is -Infinity for an all-masked or empty row', () => {
    expect(logSumExp(row([-Infinity, -Infinity]))).toBe(-Infinity);
    expect(logSumExp(new Float32Array(0))).toBe(-Infinity);
  });

  it('is NaN when any score is NaN and Infinity when any is Infinity', () => {
    expect(logSumExp(row([NaN]))).toBeNaN();
    expect(logSumExp(row([0, NaN, 1]))).toBeNaN();
    expect(logSumExp(row([Infinity, NaN]))).toBeNaN();
    expect(logSumExp(row([0, Infinity]))).toBe(Infinity);
  });
});

describe('productOfExperts', () => {
  describe('"logits" (default) with base weight 1: the sparse fast path', () => {
    const poe = (): ProductOfExperts => new ProductOfExperts({ experts: [{ processor: e1() }, { processor: e2(), weight: -0.5 }] });

    it('adds weight * expert scores to the row', () => {
      const p = poe();
      expect([p.kind, p.additive, p.baseWeight, p.output]).toEqual(['product-of-experts', true, 1, 'logits']);
      expect(p.experts.map((e) => e.weight)).toEqual([1, -0.5]);
      // [1 + 2, 2 - 0.5 * 0.5, 3, 0 - 0.5 * -1]
      expect(run(p, [0], [], BASE)[0]).toEqual(row([3, 1.75, 3, 0.5]));
    });

    it('equals the exact dense combination up to a per-row constant', () => {
      const out = run(poe(), [0], [], BASE)[0] as Float32Array;
      expectEqualUpToConstant(out, exact([1, 2, 3, 0], 1, [[R1, 1], [R2, -0.5]]));
    });

    it('scales the experts by the outer weight (it is additive)', () => {
      const p = poe();
      const history = new TokenHistory([0], V);
      const state = p.createState(history);
      p.update(state, history, 0);
      const r = new Float32Array(V);
      p.process(r, state, history, 2);
      expect(r).toEqual(row([4, -0.5, 0, 1]));
    });

    it('keeps -Infinity base entries at -Infinity', () => {
      expect(run(poe(), [0], [], row([-Infinity, 2, 3, -Infinity]))[0]).toEqual(row([-Infinity, 1.75, 3, -Infinity]));
    });
  });

  describe('"logits" with another base weight', () => {
    it('scales the row, then adds the experts; still equal to the exact combination up to a constant', () => {
      const p = new ProductOfExperts({ baseWeight: 0.5, experts: [{ processor: e1() }, { processor: e2(), weight: -0.5 }] });
      expect(p.additive).toBe(false);
      const out = run(p, [0], [], BASE)[0] as Float32Array;
      // [0.5 + 2, 1 - 0.25, 1.5, 0 + 0.5]
      expect(out).toEqual(row([2.5, 0.75, 1.5, 0.5]));
      expectEqualUpToConstant(out, exact([1, 2, 3, 0], 0.5, [[R1, 1], [R2, -0.5]]));
    });

    it('keeps -Infinity at -Infinity, also with a negative base weight', () => {
      const p = new ProductOfExperts({ baseWeight: -1, experts: [{ processor: e1() }] });
      expect(run(p, [0], [], row([-Infinity, 1, 2, 0]))[0]).toEqual(row([-Infinity, -1, -2, -0]));
    });
  });

  describe('"log-probs": the exact normalized combination', () => {
    it('equals baseWeight * log_softmax(base) + sum of w_i * log_softmax(r_i), computed by hand', () => {
      const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: e1() }, { processor: e2(), weight: -0.5 }] });
      expect([p.additive, p.output]).toEqual([false, 'log-probs']);
      const out = run(p, [0], [], BASE)[0] as Float32Array;
      // Written out: log Z(base) = log(e^1 + e^2 + e^3 + e^0), log Z(r1) = log(e^2 + 3), log Z(r2) = log(2 + e^0.5 + e^-1)
      const zb = Math.log(Math.E + Math.exp(2) + Math.exp(3) + 1);
      const z1 = Math.log(Math.exp(2) + 3);
      const z2 = Math.log(2 + Math.exp(0.5) + Math.exp(-1));
      const expected = [1 - zb + (2 - z1) - 0.5 * (0 - z2), 2 - zb + (0 - z1) - 0.5 * (0.5 - z2), 3 - zb + (0 - z1) - 0.5 * (0 - z2), 0 - zb + (0 - z1) - 0.5 * (-1 - z2)];
      expectClose(out, expected);
      expectClose(out, exact([1, 2, 3, 0], 1, [[R1, 1], [R2, -0.5]]));
    });

    it('with base weight 2 and a single expert', () => {
      const p = new ProductOfExperts({ output: 'log-probs', baseWeight: 2, experts: [{ processor: e1(), weight: 0.25 }] });
      const out = run(p, [0], [], BASE)[0] as Float32Array;
      expectClose(out, exact([1, 2, 3, 0], 2, [[R1, 0.25]]));
      // A probability-like sanity check: with base weight 1 and no expert weight, rows are normalized.
      const normalized = run(new ProductOfExperts({ output: 'log-probs', experts: [{ processor: e1(), weight: 0 }] }), [0], [], BASE)[0] as Float32Array;
      expect(Array.from(normalized).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 6);
    });

    it('keeps -Infinity base entries at -Infinity', () => {
      const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: e1() }, { processor: e2(), weight: -0.5 }] });
      const out = run(p, [0], [], row([-Infinity, 2, 3, -Infinity]))[0] as Float32Array;
      const zb = Math.log(Math.exp(2) + Math.exp(3));
      const z1 = Math.log(Math.exp(2) + 3);
      const z2 = Math.log(2 + Math.exp(0.5) + Math.exp(-1));
      expectClose(out, [-Infinity, 2 - zb - z1 - 0.5 * (0.5 - z2), 3 - zb - z1 - 0.5 * (0 - z2), -Infinity]);
    });

    it('feeds the experts their state (an EOS ramp in the scratch row)', () => {
      const ramp = new EndOfSequenceRamp({ eosTokenIds: 3, maxBias: 4, rampLength: 4 });
      const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: ramp, weight: 1 }] });
      const rows = run(p, [0], [1, 1], BASE);
      rows.forEach((out, t) => expectClose(out, exact([1, 2, 3, 0], 1, [[[0, 0, 0, t], 1]])));
    });
  });

  it('skips experts of weight 0 entirely (no state, no ids checked)', () => {
    const outOfRange = new TokenBias({ biases: [{ token: 99, bias: 1 }] });
    const p = new ProductOfExperts({ experts: [{ processor: e1() }, { processor: outOfRange, weight: 0 }] });
    expect(p.experts.map((e) => e.weight)).toEqual([1, 0]);
    expect(run(p, [0], [], BASE)[0]).toEqual(row([3, 2, 3, 0]));
    const exactMode = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: outOfRange, weight: 0 }, { processor: e1() }] });
    expectClose(run(exactMode, [0], [], BASE)[0] as Float32Array, exact([1, 2, 3, 0], 1, [[R1, 1]]));
  });

  it('lists its experts with their weights (default 1) and its members', () => {
    const [a, b] = [e1(), e2()];
    const p = new ProductOfExperts({ experts: [{ processor: a }, { processor: b, weight: -0.5 }] });
    expect(p.experts).toEqual([{ processor: a, weight: 1 }, { processor: b, weight: -0.5 }]);
    expect(p.experts[0]?.processor).toBe(a);
    expect(p.members).toEqual([a, b]);
    expect(p.members[1]).toBe(b);
  });

  it('forwards updates to stateful experts (fast path)', () => {
    const p = new ProductOfExperts({ experts: [{ processor: new EndOfSequenceRamp({ eosTokenIds: 3, maxBias: 4, rampLength: 4 }), weight: 0.5 }, { processor: new RepetitionPenalty({ mode: 'presence', penalty: 1 }) }] });
    const rows = run(p, [0], [1, 1, 2], BASE);
    expect(rows).toEqual([row([1, 2, 3, 0]), row([1, 1, 3, 0.5]), row([1, 1, 3, 1]), row([1, 1, 2, 1.5])]);
  });

  it('accepts an additive chain or a fast-path product of experts as an expert', () => {
    const inner = new ProductOfExperts({ experts: [{ processor: e1() }] });
    const p = new ProductOfExperts({ experts: [{ processor: new Chain(e2()), weight: 2 }, { processor: inner, weight: -1 }] });
    // [1 - 2, 2 + 2 * 0.5, 3, 0 + 2 * -1]
    expect(run(p, [0], [], BASE)[0]).toEqual(row([-1, 3, 3, -2]));
  });

  describe('validation', () => {
    it('rejects experts that are not additive', () => {
      const message = (i: number, kind: string): string =>
        `\`experts[${i}].processor\` must be an additive processor (a rule whose scores do not depend on the row), but is a ${kind} that is not`;
      expectRuleLMError(() => new ProductOfExperts({ experts: [{ processor: new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.2 }) }] }), message(0, 'repetition-penalty'), 'experts[0].processor');
      expectRuleLMError(
        () => new ProductOfExperts({ experts: [{ processor: e1() }, { processor: new EndOfSequenceRamp({ eosTokenIds: 3, shape: 'exponential', factor: 2 }) }] }),
        message(1, 'end-of-sequence-ramp'),
        'experts[1].processor',
      );
      expectRuleLMError(() => new ProductOfExperts({ experts: [{ processor: new Chain(e1(), new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 })) }] }), message(0, 'chain'), 'experts[0].processor');
      expectRuleLMError(
        () => new ProductOfExperts({ experts: [{ processor: new ProductOfExperts({ output: 'log-probs', experts: [{ processor: e1() }] }) }] }),
        message(0, 'product-of-experts'),
        'experts[0].processor',
      );
    });

    it('rejects bad options', () => {
      const cases: [unknown, string, string][] = [
        [{ experts: [] }, '`experts` must be a non-empty array of { processor, weight }, but is []', 'experts'],
        [{}, '`experts` must be a non-empty array of { processor, weight }, but is undefined', 'experts'],
        [{ experts: [{ processor: e1() }], baseWeight: Number.NaN }, '`baseWeight` must be a finite number, but is NaN', 'baseWeight'],
        [{ experts: [{ processor: e1() }], baseWeight: Infinity }, '`baseWeight` must be a finite number, but is Infinity', 'baseWeight'],
        [{ experts: [{ processor: e1() }], output: 'probs' }, '`output` must be one of "logits", "log-probs", but is "probs"', 'output'],
        [{ experts: [{ processor: e1(), weight: Infinity }] }, '`experts[0].weight` must be a finite number, but is Infinity', 'experts[0].weight'],
        [{ experts: [{ processor: e1(), weight: Number.NaN }] }, '`experts[0].weight` must be a finite number, but is NaN', 'experts[0].weight'],
        [{ experts: [5] }, '`experts[0]` must be an object, but is 5', 'experts[0]'],
        [{ experts: [{ processor: 5 }] }, '`experts[0].processor` must be a rulelm processor (an instance of a Processor subclass), but is 5', 'experts[0].processor'],
        [{ experts: [{ weight: 1 }] }, '`experts[0].processor` must be a rulelm processor (an instance of a Processor subclass), but is undefined', 'experts[0].processor'],
        [{ experts: [{ processor: e1(), weigth: 2 }] }, '`experts[0]` has an unknown option "weigth"; known options are `processor`, `weight`', 'experts[0].weigth'],
        [{ experts: [{ processor: e1() }], basWeight: 2 }, '`options` has an unknown option "basWeight"; known options are `baseWeight`, `experts`, `output`', 'options.basWeight'],
      ];
      for (const [options, message, argument] of cases) expectRuleLMError(() => new ProductOfExperts(options as never), message, argument);
    });

    it('checks expert ids when a sequence starts', () => {
      const p = new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 4, bias: 1 }] }) }] });
      expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: V }), '`biases` holds token id 4, outside a vocabulary of 4 ids (0 to 3)', 'biases');
    });
  });

  it('does not keep per-sequence data: two sequences of one product give fresh results', () => {
    const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new RepetitionPenalty({ mode: 'presence', penalty: 1 }) }] });
    const a = startSequence(p, { prompt: [0], vocabSize: V });
    const b = startSequence(p, { prompt: [0], vocabSize: V });
    a.push(2);
    expect(step(b, BASE)).toEqual(run(p, [0], [], BASE)[0]);
    expect(step(a, BASE)).toEqual(run(p, [0], [2], BASE)[1]);
  });
});

describe('productOfExperts: hostile numbers (issue 13)', () => {
  const zero = (): TokenBias => new TokenBias({ biases: [] });

  it('baseWeight 0 on a +Infinity score: 0 there, -Infinity elsewhere, as the exact mode (0 * Infinity was NaN)', () => {
    const p = new ProductOfExperts({ baseWeight: 0, experts: [{ processor: zero() }] });
    expect(Array.from(run(p, [], [], row([1, Infinity, NaN, -Infinity]))[0] as Float32Array)).toEqual([-Infinity, 0, NaN, -Infinity]);
    const negative = new ProductOfExperts({ baseWeight: -2, experts: [{ processor: zero() }] });
    expect(Array.from(run(negative, [], [], row([1, Infinity, 3]))[0] as Float32Array)).toEqual([-Infinity, 0, -Infinity]);
  });

  it('an expert whose bias overflows its float32 scratch row rules out the other tokens, and a masked base token stays masked', () => {
    // The expert puts +Infinity on token 1: its log-probabilities are 0 there, -Infinity elsewhere.
    const p = new ProductOfExperts({ output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: 1e308 }, { token: 2, bias: 1e308 }] }), weight: -1 }] });
    const lse = Math.log(Math.exp(0) + Math.exp(0));
    expect(Array.from(run(p, [], [], row([0, 0, -Infinity]))[0] as Float32Array)).toEqual([-Infinity, Math.fround(0 - lse + 0), -Infinity]);
  });

  it('a huge weight saturates instead of making Infinity - Infinity', () => {
    const p = new ProductOfExperts({
      output: 'log-probs',
      baseWeight: -Number.MAX_VALUE,
      experts: [
        { processor: new TokenBias({ biases: [{ token: 0, bias: 1 }] }), weight: Number.MAX_VALUE },
        { processor: new TokenBias({ biases: [{ token: 0, bias: -1 }] }), weight: Number.MAX_VALUE },
      ],
    });
    const out = run(p, [], [], row([0, -50, -Infinity, NaN]))[0] as Float32Array;
    expect(out[2]).toBe(-Infinity);
    expect(Number.isNaN(out[3])).toBe(true);
    expect([out[0], out[1]].some((x) => Number.isNaN(x))).toBe(false);
  });

  it('refuses more experts, and deeper nesting, than a spec holds', () => {
    expectRuleLMError(
      () => new ProductOfExperts({ experts: Array.from({ length: 1025 }, () => ({ processor: zero() })) }),
      '`experts` has 1025 experts; at most 1024 are supported (what a spec holds)',
      'experts',
    );
    let nested: Processor = zero();
    for (let i = 0; i < 16; i++) nested = new ProductOfExperts({ experts: [{ processor: nested }] });
    expectRuleLMError(
      () => new ProductOfExperts({ experts: [{ processor: nested }] }),
      '`experts[0].processor` nests products of experts and chains 16 levels deep; at most 15 are supported below a product of experts (what a spec holds)',
      'experts[0].processor',
    );
    // The deepest allowed loads back from its spec.
    expect(JSON.stringify(toSpec(parseSpec(JSON.stringify(toSpec(new Chain(nested))))))).toBe(JSON.stringify(toSpec(new Chain(nested))));
  });
});
