// Property-based tests: processors never corrupt scores, never leak state between rows,
// sequences or generations, and compose as documented.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Processor } from '../../src/index';
import { Chain, EndOfSequenceRamp, PositionBias, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias } from '../../src/index';
import { logitsProcessorList } from '../../src/adapters/transformers/index';

const V = 24;
const token = fc.integer({ min: 0, max: V - 1 });
const tokens = (max: number) => fc.array(token, { maxLength: max });
const weight = fc.double({ min: -3, max: 3, noNaN: true });
const anchor = fc.oneof(fc.constant('response' as const), fc.constant('sequence' as const), fc.record({ after: fc.array(token, { minLength: 1, maxLength: 2 }), fallback: fc.constantFrom('response' as const, 'sequence' as const) }));

const additive: fc.Arbitrary<Processor> = fc.oneof(
  fc.record({ eos: fc.array(token, { minLength: 1, maxLength: 2 }), maxBias: fc.double({ min: -20, max: 20, noNaN: true }), rampLength: fc.integer({ min: 1, max: 20 }), afterRamp: fc.constantFrom('hold' as const, 'zero' as const), countFrom: anchor }).map((o) =>
    new EndOfSequenceRamp({ eosTokenIds: o.eos, maxBias: o.maxBias, rampLength: o.rampLength, afterRamp: o.afterRamp, countFrom: o.countFrom }),
  ),
  fc.record({ mode: fc.constantFrom('presence' as const, 'frequency' as const), penalty: fc.double({ min: -3, max: 3, noNaN: true }), scope: anchor, window: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), exempt: fc.array(token, { maxLength: 3 }) }).map((o) =>
    new RepetitionPenalty({ mode: o.mode, penalty: o.penalty, scope: o.scope, exempt: o.exempt, ...(o.window === undefined ? {} : { window: o.window }) }),
  ),
  fc.array(fc.oneof(fc.record({ token, bias: weight }), fc.record({ tokens: fc.array(token, { minLength: 1, maxLength: 3 }), bias: weight })), { minLength: 1, maxLength: 5 }).map((biases) => new TokenBias({ biases })),
  fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 6 }), biases: fc.array(fc.record({ token, bias: weight }), { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3, selector: (p) => p.at }).map((positions) => new PositionBias({ positions })),
);

const any: fc.Arbitrary<Processor> = fc.oneof(
  additive,
  fc.record({ penalty: fc.double({ min: 0.2, max: 3, noNaN: true }), scope: anchor }).map((o) => new RepetitionPenalty({ mode: 'multiplicative', penalty: o.penalty, scope: o.scope })),
  fc.record({ eos: token, start: fc.integer({ min: 0, max: 5 }), factor: fc.double({ min: 0.5, max: 1.5, noNaN: true }) }).map((o) => new EndOfSequenceRamp({ eosTokenIds: o.eos, shape: 'exponential', start: o.start, factor: o.factor })),
  fc.record({ baseWeight: weight, output: fc.constantFrom('logits' as const, 'log-probs' as const), experts: fc.array(fc.record({ processor: additive, weight }), { minLength: 1, maxLength: 2 }) }).map((o) => new ProductOfExperts(o)),
);
const processors = fc.array(any, { minLength: 1, maxLength: 3 }).map((list) => new Chain(list));
const finiteRow = fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: V, maxLength: V }).map((xs) => Float32Array.from(xs));
const maskedRow = fc.array(fc.oneof(fc.double({ min: -30, max: 30, noNaN: true }), fc.constant(-Infinity)), { minLength: V, maxLength: V }).map((xs) => Float32Array.from(xs));

// Feeds `prompt`, then for each step processes a copy of `row` and pushes the step's token.
function run(processor: Processor, prompt: number[], steps: number[], row: Float32Array): Float32Array[] {
  const sequence = startSequence(processor, { prompt, vocabSize: V });
  return steps.map((t) => {
    const out = sequence.process(row.slice());
    sequence.push(t);
    return out;
  });
}

describe('processor properties', () => {
  it('finite scores stay finite', () => {
    fc.assert(
      fc.property(processors, tokens(8), tokens(20), finiteRow, (p, prompt, steps, row) => {
        for (const out of run(p, prompt, steps, row)) for (const x of out) expect(Number.isFinite(x)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('-Infinity (a masked token) stays -Infinity and nothing becomes NaN', () => {
    fc.assert(
      fc.property(processors, tokens(8), tokens(20), maskedRow, (p, prompt, steps, row) => {
        for (const out of run(p, prompt, steps, row)) {
          out.forEach((x, j) => {
            expect(Number.isNaN(x)).toBe(false);
            if (row[j] === -Infinity) expect(x).toBe(-Infinity);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('additive processors commute', () => {
    fc.assert(
      fc.property(additive, additive, tokens(8), tokens(15), finiteRow, (a, b, prompt, steps, row) => {
        const ab = run(new Chain(a, b), prompt, steps, row);
        const ba = run(new Chain(b, a), prompt, steps, row);
        ab.forEach((out, s) => out.forEach((x, j) => expect(x).toBeCloseTo(ba[s]![j]!, 4)));
      }),
      { numRuns: 300 },
    );
  });

  it('a product of experts with zero weight on an expert equals the product without it', () => {
    fc.assert(
      fc.property(weight, fc.constantFrom('logits' as const, 'log-probs' as const), additive, weight, additive, tokens(8), tokens(12), finiteRow, (baseWeight, output, e1, w1, e2, prompt, steps, row) => {
        const withZero = new ProductOfExperts({ baseWeight, output, experts: [{ processor: e1, weight: w1 }, { processor: e2, weight: 0 }] });
        const without = new ProductOfExperts({ baseWeight, output, experts: [{ processor: e1, weight: w1 }] });
        expect(run(withZero, prompt, steps, row)).toEqual(run(without, prompt, steps, row));
      }),
      { numRuns: 200 },
    );
  });

  it('a chain reused across sequences, or run in two sequences at once, equals fresh chains', () => {
    fc.assert(
      fc.property(processors, tokens(6), tokens(12), tokens(6), tokens(12), finiteRow, (p, promptA, stepsA, promptB, stepsB, row) => {
        const freshA = run(p, promptA, stepsA, row);
        const freshB = run(p, promptB, stepsB, row);
        // Interleaved: both sequences alive at once, steps alternating.
        const a = startSequence(p, { prompt: promptA, vocabSize: V });
        const b = startSequence(p, { prompt: promptB, vocabSize: V });
        const outA: Float32Array[] = [];
        const outB: Float32Array[] = [];
        for (let s = 0; s < Math.max(stepsA.length, stepsB.length); s++) {
          if (s < stepsA.length) {
            outA.push(a.process(row.slice()));
            a.push(stepsA[s]!);
          }
          if (s < stepsB.length) {
            outB.push(b.process(row.slice()));
            b.push(stepsB[s]!);
          }
        }
        expect(outA).toEqual(freshA);
        expect(outB).toEqual(freshB);
        expect(run(p, promptA, stepsA, row)).toEqual(freshA); // and again, sequentially
      }),
      { numRuns: 200 },
    );
  });

  it('rows of a batch never affect each other (through the transformers.js adapter)', () => {
    fc.assert(
      fc.property(processors, fc.array(fc.tuple(fc.array(token, { minLength: 1, maxLength: 6 }), tokens(6)), { minLength: 2, maxLength: 3 }), finiteRow, (p, rows, row) => {
        const call = (list: ReturnType<typeof logitsProcessorList>): ((ids: bigint[][], logits: { dims: number[]; data: Float32Array }) => unknown) =>
          list.processors[0] as (ids: bigint[][], logits: { dims: number[]; data: Float32Array }) => unknown;
        const steps = Math.min(...rows.map(([, s]) => s.length));
        // The batch: same prompt lengths are not required since rows are independent histories.
        const batchIds = rows.map(([prompt]) => prompt.map(BigInt));
        const batch = call(logitsProcessorList(p, { vocabSize: V }));
        const singles = rows.map(() => call(logitsProcessorList(p, { vocabSize: V })));
        const singleIds = rows.map(([prompt]) => [prompt.map(BigInt)]);
        for (let s = 0; s <= steps; s++) {
          const data = new Float32Array(V * rows.length);
          rows.forEach((_, b) => data.set(row, b * V));
          batch(batchIds, { dims: [rows.length, V], data });
          rows.forEach(([, stepTokens], b) => {
            const alone = row.slice();
            singles[b]!(singleIds[b]!, { dims: [1, V], data: alone });
            expect(Array.from(data.subarray(b * V, (b + 1) * V))).toEqual(Array.from(alone));
            if (s < steps) {
              batchIds[b]!.push(BigInt(stepTokens[s]!));
              singleIds[b]![0]!.push(BigInt(stepTokens[s]!));
            }
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('trace changes the rows exactly as process does, with one report per chain member', () => {
    fc.assert(
      fc.property(processors, tokens(8), tokens(12), maskedRow, (p, prompt, steps, row) => {
        const traced = startSequence(p, { prompt, vocabSize: V });
        const processed = startSequence(p, { prompt, vocabSize: V });
        for (const t of [...steps, 0]) {
          const changed = new Set<number>();
          let reports = 0;
          const a = traced.trace(row.slice(), (member) => {
            expect(member.processorIndex).toBe(reports++);
            expect(member.kind).toBe(p.processors[member.processorIndex]!.kind);
            for (const c of member.changes) changed.add(c.token);
          });
          const b = processed.process(row.slice());
          expect(a).toEqual(b);
          expect(reports).toBe(p.processors.length);
          // Every token whose final score differs was reported by some member (0 and -0 are the same score).
          b.forEach((x, j) => {
            if (x !== row[j]) expect(changed.has(j)).toBe(true);
          });
          traced.push(t);
          processed.push(t);
        }
      }),
      { numRuns: 200 },
    );
  });
  // The spec round trip is a property of test/property/hostile-input.property.test.ts, over every
  // finite option value (these mild ones included).
});
