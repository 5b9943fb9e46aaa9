// Property-based tests for issue 13 ("hostile input"): they search the whole range of what the
// constructors accept (every finite number, the largest and the smallest ones, rows holding NaN,
// +Infinity and -Infinity) for the four kinds of failure found by hand:
// 1. the experts loop's own log-sum-exp (NaN and +Infinity logits);
// 2. finite input that overflows to NaN (a masked token must stay masked);
// 3. processors whose spec does not load back (and union errors that name no real place);
// 4. sampling with a temperature that overflows `row / temperature`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decoding, Processor } from '../../src/index';
import type { StepLogits } from '../../src/adapters/transformers/experts-combine';
import { Chain, createVocabulary, DRY, EndOfSequenceRamp, EpsilonCutoff, EtaCutoff, MinP, NoRepeatNGram, parseSpec, pickToken, PositionBias, ProductOfExperts, RepetitionPenalty, RuleLMError, seededRandom, startSequence, TokenBias, TopK, TopNSigma, TopP, toSpec, TypicalP, XTC } from '../../src/index';
import { combineRow } from '../../src/adapters/transformers/experts-combine';
import { thrown } from '../helpers/errors';
import { run } from '../helpers/rows';

const V = 12;
const FLOAT32_MAX = 3.4028234663852886e38;
const token = fc.integer({ min: 0, max: V - 1 });
const tokens = (max: number): fc.Arbitrary<number[]> => fc.array(token, { maxLength: max });

// Every finite number, with the edges drawn often: the largest, the smallest, past float32.
const edge = fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 1e308, -1e308, FLOAT32_MAX, -FLOAT32_MAX, 1e39, -1e39, 5e-324, -5e-324, 1e-310, 0, -0);
const anyFinite = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), edge, fc.double({ min: -30, max: 30, noNaN: true }));
const anyPositive = fc.oneof(fc.double({ min: 5e-324, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(Number.MAX_VALUE, 1e308, 5e-324, 1e-310, 1e-300, 0.5, 2));
const float32 = fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(FLOAT32_MAX, -FLOAT32_MAX, 0));
// Scores a broken model can give: NaN, both infinities, and the float32 extremes.
const score = fc.oneof({ weight: 3, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) }, fc.constantFrom(NaN, Infinity, -Infinity, FLOAT32_MAX, -FLOAT32_MAX, 1e38, -1e38));
const hostileRow = fc.array(score, { minLength: V, maxLength: V }).map((xs) => Float32Array.from(xs));
const anchor = fc.oneof(
  fc.constant('response' as const),
  fc.constant('sequence' as const),
  fc.record({ after: fc.array(token, { minLength: 1, maxLength: 2 }), fallback: fc.constantFrom('response' as const, 'sequence' as const) }),
);

// A small vocabulary for text biases (some texts resolve, some do not and are skipped).
const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', 'a', 'b', 'ab', 'c', 'd', 'the', 'cat', 'x', 'y'], specialTokenIds: [0, 1, 2] });

// Builds a processor, or gives `undefined` when the constructor refuses the options (a
// RuleLMError is a refusal; anything else is a bug and fails the test).
function attempt<T>(build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    if (RuleLMError.isInstance(error)) return undefined;
    throw error;
  }
}
const built = <T>(arbitrary: fc.Arbitrary<T | undefined>): fc.Arbitrary<T> => arbitrary.filter((p): p is T => p !== undefined);

const additive: fc.Arbitrary<Processor> = fc.oneof(
  built(
    fc
      .record({ eos: fc.array(token, { minLength: 1, maxLength: 2 }), maxBias: anyFinite, rampLength: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 31)), afterRamp: fc.constantFrom('hold' as const, 'zero' as const), countFrom: anchor })
      .map((o) => attempt(() => new EndOfSequenceRamp({ eosTokenIds: o.eos, maxBias: o.maxBias, rampLength: o.rampLength, afterRamp: o.afterRamp, countFrom: o.countFrom }))),
  ),
  built(
    fc
      .record({ mode: fc.constantFrom('presence' as const, 'frequency' as const), penalty: anyFinite, scope: anchor, window: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), exempt: fc.array(token, { maxLength: 3 }) })
      .map((o) => attempt(() => new RepetitionPenalty({ mode: o.mode, penalty: o.penalty, scope: o.scope, exempt: o.exempt, ...(o.window === undefined ? {} : { window: o.window }) }))),
  ),
  built(
    fc
      .record({
        biases: fc.array(
          fc.oneof(
            fc.record({ token, bias: anyFinite }),
            fc.record({ tokens: fc.array(token, { minLength: 1, maxLength: 3 }), bias: anyFinite }),
            fc.record({ text: fc.constantFrom('a', 'ab', 'cat', 'the', 'dog', 'zzz'), bias: anyFinite }),
          ),
          { maxLength: 5 },
        ),
      })
      .map((o) => attempt(() => new TokenBias({ biases: o.biases, tokenizer: vocabulary, unresolved: 'skip' }))),
  ),
  built(
    fc
      .record({
        positions: fc.uniqueArray(
          fc.record({ at: fc.integer({ min: 0, max: 6 }), biases: fc.oneof(fc.array(fc.record({ token, bias: anyFinite }), { minLength: 1, maxLength: 3 }), fc.array(float32, { minLength: 1, maxLength: V }).map((xs) => Float32Array.from(xs))) }),
          { minLength: 1, maxLength: 3, selector: (p) => p.at },
        ),
        countFrom: anchor,
      })
      .map((o) => attempt(() => new PositionBias(o))),
  ),
);

const nonAdditive: fc.Arbitrary<Processor> = fc.oneof(
  built(fc.record({ penalty: anyPositive, scope: anchor }).map((o) => attempt(() => new RepetitionPenalty({ mode: 'multiplicative', penalty: o.penalty, scope: o.scope })))),
  built(fc.record({ eos: token, start: fc.integer({ min: 0, max: 5 }), factor: anyPositive }).map((o) => attempt(() => new EndOfSequenceRamp({ eosTokenIds: o.eos, shape: 'exponential', start: o.start, factor: o.factor })))),
);

// The samplers (none additive). Their options reach the edges of what the constructors accept;
// DRY's breakers are token sequences only (a one-token breaker is written as a bare id, and that
// id turned into a string is a valid text breaker, which the wrong-type test below cannot use).
const unit = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 5e-324, 0.5, 1 - 2 ** -53));
const keep = fc.integer({ min: 1, max: V + 1 });
const sampler: fc.Arbitrary<Processor> = fc.oneof(
  built(fc.record({ topK: fc.integer({ min: 1, max: V + 1 }), minTokensToKeep: keep }).map((o) => attempt(() => new TopK(o)))),
  built(fc.record({ topP: unit, minTokensToKeep: keep }).map((o) => attempt(() => new TopP(o)))),
  built(fc.record({ minP: unit, minTokensToKeep: keep }).map((o) => attempt(() => new MinP(o)))),
  built(fc.record({ typicalP: unit, minTokensToKeep: keep }).map((o) => attempt(() => new TypicalP(o)))),
  built(fc.record({ epsilon: unit, minTokensToKeep: keep }).map((o) => attempt(() => new EpsilonCutoff(o)))),
  built(fc.record({ epsilon: unit, minTokensToKeep: keep }).map((o) => attempt(() => new EtaCutoff(o)))),
  built(fc.record({ n: anyPositive }).map((o) => attempt(() => new TopNSigma(o)))),
  built(fc.record({ probability: unit, threshold: fc.oneof(unit, fc.double({ min: 0, max: 0.3, noNaN: true })), minTokensToKeep: keep, seed: fc.integer() }).map((o) => attempt(() => new XTC(o)))),
  built(
    fc
      .record({ multiplier: anyPositive, base: fc.oneof(fc.double({ min: 1, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1, 1.75, Number.MAX_VALUE)), allowedLength: fc.integer({ min: 1, max: 4 }), lastN: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), breakers: fc.array(fc.array(token, { minLength: 2, maxLength: 3 }), { maxLength: 2 }) })
      .map((o) => attempt(() => new DRY({ multiplier: o.multiplier, base: o.base, allowedLength: o.allowedLength, sequenceBreakers: o.breakers, ...(o.lastN === undefined ? {} : { lastN: o.lastN }) }))),
  ),
  built(fc.record({ size: fc.integer({ min: 1, max: 4 }) }).map((o) => attempt(() => new NoRepeatNGram(o)))),
);

const product = (experts: fc.Arbitrary<Processor>): fc.Arbitrary<Processor> =>
  built(
    fc
      .record({ baseWeight: fc.oneof(anyFinite, fc.constant(1)), output: fc.constantFrom('logits' as const, 'log-probs' as const), experts: fc.array(fc.record({ processor: experts, weight: anyFinite }), { minLength: 1, maxLength: 2 }) })
      .map((o) => attempt(() => new ProductOfExperts(o))),
  );
// A fast-path product (additive) inside another product, so weights multiply.
const nestedExpert = fc.oneof({ weight: 3, arbitrary: additive }, built(fc.record({ experts: fc.array(fc.record({ processor: additive, weight: anyFinite }), { minLength: 1, maxLength: 2 }) }).map((o) => attempt(() => new ProductOfExperts(o)))));
const anyProcessor = fc.oneof({ weight: 3, arbitrary: additive }, nonAdditive, product(nestedExpert));
const chains = fc.array(anyProcessor, { minLength: 1, maxLength: 3 }).map((list) => new Chain(list));
// Chains that may hold samplers too.
const sampled = fc.array(fc.oneof(anyProcessor, sampler), { minLength: 1, maxLength: 3 }).map((list) => new Chain(list));

// Scores as comparable values: NaN as the string "NaN" (toEqual treats NaN as equal anyway) and
// -0 as 0 (JSON has no -0, so a weight of -0 comes back as 0).
const comparable = (rows: readonly Float32Array[]): (number | string)[][] => rows.map((r) => Array.from(r, (x) => (Number.isNaN(x) ? 'NaN' : x + 0)));

describe('kind 2: no finite option makes NaN, and a masked token stays masked', () => {
  it('every processor, chain and product of experts, on rows with NaN, ±Infinity and float32 extremes', () => {
    fc.assert(
      fc.property(chains, tokens(6), fc.array(token, { minLength: 1, maxLength: 8 }), hostileRow, (p, prompt, steps, row) => {
        for (const out of run(p, prompt, steps, row)) {
          for (let j = 0; j < V; j++) {
            const before = row[j] as number;
            const after = out[j] as number;
            if (before === -Infinity) expect(after).toBe(-Infinity);
            expect(Number.isNaN(after)).toBe(Number.isNaN(before));
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('chains with samplers too (a sampler may turn NaN into -Infinity, never a score into NaN)', () => {
    // Also DRY penalties that overflow, rows with +Infinity more often and sequences over 3 ids
    // that repeat: an infinite penalty on a +Infinity score must not give NaN.
    const overflowing = built(fc.record({ base: fc.constantFrom(1.75, 1e300), allowedLength: fc.integer({ min: 1, max: 2 }) }).map((o) => attempt(() => new DRY({ multiplier: Number.MAX_VALUE, ...o }))));
    const mixed = fc.array(fc.oneof(anyProcessor, sampler, overflowing), { minLength: 1, maxLength: 3 }).map((list) => new Chain(list));
    const infinite = fc.array(fc.oneof(score, fc.constant(Infinity)), { minLength: V, maxLength: V }).map((xs) => Float32Array.from(xs));
    const repeating = (min: number, max: number): fc.Arbitrary<number[]> => fc.oneof(fc.array(token, { minLength: min, maxLength: max }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: min, maxLength: max }));
    fc.assert(
      fc.property(mixed, repeating(0, 6), repeating(1, 8), fc.oneof(hostileRow, infinite), (p, prompt, steps, row) => {
        for (const out of run(p, prompt, steps, row)) {
          for (let j = 0; j < V; j++) {
            const before = row[j] as number;
            const after = out[j] as number;
            if (before === -Infinity) expect(after).toBe(-Infinity);
            if (!Number.isNaN(before)) expect(Number.isNaN(after)).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('kind 3: every processor that can be built loads back from its spec', () => {
  it('toSpec, JSON, parseSpec give the same spec and the same rows (or the constructor refused)', () => {
    fc.assert(
      fc.property(sampled, tokens(6), tokens(6), hostileRow, (p, prompt, steps, row) => {
        const json = JSON.stringify(toSpec(p));
        const again = parseSpec(json);
        expect(JSON.stringify(toSpec(again))).toBe(json);
        expect(comparable(run(again, prompt, steps, row))).toEqual(comparable(run(p, prompt, steps, row)));
      }),
      { numRuns: 300 },
    );
  });

  it('a spec with one value of the wrong type is refused naming that value, with a real reason', () => {
    // Every leaf (number or string, but not a kind) of a valid spec, by its path as parseSpec names it.
    const leaves = (value: unknown, path: string, out: [string, (string | number)[]][], keys: (string | number)[]): void => {
      if (Array.isArray(value)) value.forEach((item, i) => leaves(item, `${path}[${i}]`, out, [...keys, i]));
      else if (typeof value === 'object' && value !== null) {
        for (const [key, item] of Object.entries(value)) if (key !== 'kind') leaves(item, `${path}.${key}`, out, [...keys, key]);
      }
      else out.push([path, keys]);
    };
    fc.assert(
      fc.property(sampled, fc.nat(), (p, pick) => {
        const document = JSON.parse(JSON.stringify(toSpec(p))) as Record<string, unknown>;
        const found: [string, (string | number)[]][] = [];
        leaves(document.processor, 'spec.processor', found, ['processor']);
        fc.pre(found.length > 0);
        const [path, keys] = found[pick % found.length] as [string, (string | number)[]];
        let parent = document as Record<string | number, unknown>;
        for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
        const last = keys[keys.length - 1] as string | number;
        parent[last] = typeof parent[last] === 'string' ? 1 : String(parent[last]);
        const error = thrown(() => parseSpec(document));
        expect(RuleLMError.isInstance(error)).toBe(true);
        const e = error as RuleLMError;
        expect(e.argument).toBe(path);
        expect(e.message).not.toMatch(/Expected Object but received Object/);
        expect(e.message).toMatch(/Expected|must be/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('kind 4: sampling gives a valid draw at every accepted temperature', () => {
  const temperature = fc.oneof(fc.double({ min: 5e-324, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(5e-324, 1e-310, 1e-300, 1e-200, 1e-45, 1e-30, 1, 1e30, 1e300, Number.MAX_VALUE));

  it('a token that is neither masked nor NaN, and +Infinity first; as the temperature goes to 0, the argmax', () => {
    fc.assert(
      fc.property(hostileRow, temperature, fc.integer({ min: 0, max: V }), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer(), (row, t, topK, topP, seed) => {
        const decoding: Decoding = { sample: true, temperature: t, topK, topP };
        const picked = pickToken(row, decoding, seededRandom(seed));
        const usable = Array.from(row).filter((x) => x > -Infinity);
        if (usable.length === 0) {
          expect(picked).toBe(-1);
          return;
        }
        expect(picked).toBeGreaterThanOrEqual(0);
        expect(picked).toBeLessThan(V);
        const x = row[picked] as number;
        expect(x > -Infinity).toBe(true);
        const best = Math.max(...usable);
        if (best === Infinity) expect(x).toBe(Infinity);
        // Below 1e-250 every gap between float32 scores (at least 1.4e-45) divided by the
        // temperature is beyond exp's range: only the best score can be drawn.
        if (t <= 1e-250) expect(x === best).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("kind 1: the experts loop combines NaN and +Infinity logits as the core's product of experts does", () => {
  const weight = fc.oneof(anyFinite, fc.constantFrom(1, -1, 0.5)).filter((w) => w !== 0);
  const logitsOf = (row: Float32Array): StepLogits => ({ data: row, positions: 1, vocab: V });

  it('one expert: exactly ProductOfExperts({ output: "log-probs", baseWeight: weight })', () => {
    fc.assert(
      fc.property(hostileRow, weight, (row, w) => {
        const loop = new Float32Array(V);
        combineRow(loop, [logitsOf(row)], [w], 0, V, true, undefined);
        // An expert of weight 0 takes no part: this is weight * log_softmax(row) alone.
        const core = row.slice();
        startSequence(new ProductOfExperts({ output: 'log-probs', baseWeight: w, experts: [{ processor: new TokenBias({ biases: [] }), weight: 0 }] }), { prompt: [], vocabSize: V }).process(core);
        expect(comparable([loop])).toEqual(comparable([core]));
      }),
      { numRuns: 500 },
    );
  });

  it('several experts, normalized or not: masked where any expert rules a token out, NaN only where an expert gave NaN', () => {
    // (A huge weight may also push a finite score past float32 to -Infinity: masked, never NaN.)
    fc.assert(
      fc.property(fc.array(fc.tuple(hostileRow, weight), { minLength: 1, maxLength: 3 }), fc.boolean(), (experts, normalize) => {
        const out = new Float32Array(V);
        combineRow(out, experts.map(([row]) => logitsOf(row)), experts.map(([, w]) => w), 0, V, normalize, undefined);
        for (let j = 0; j < V; j++) {
          // An expert rules token j out when it masks j, or when it has a +Infinity score elsewhere.
          const ruledOut = experts.some(([row]) => row[j] === -Infinity || (row.includes(Infinity) && row[j] !== Infinity && !Number.isNaN(row[j])));
          if (ruledOut) expect(out[j]).toBe(-Infinity);
          else if (!experts.some(([row]) => Number.isNaN(row[j]))) expect(Number.isNaN(out[j])).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
