import { describe, expect, it } from 'vitest';
import { parseSpec, PositionBias, startSequence, TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run } from '../helpers/rows';

const V = 5;
const zeros = (): Float32Array => new Float32Array(V);

describe('positionBias', () => {
  it('adds sparse and dense biases at their response positions only', () => {
    const p = new PositionBias({
      positions: [
        { at: 2, biases: [{ token: 3, bias: -10 }] },
        { at: 0, biases: row([1, 2, 3, 4, -5]) },
        { at: 1, biases: [{ token: 4, bias: 15 }, { token: 0, bias: 0.5 }, { token: 0, bias: 0.25 }] },
      ],
    });
    expect([p.kind, p.additive]).toEqual(['position-bias', true]);
    expect(p.positions).toEqual([0, 1, 2]);
    const base = row([0.5, 0, 0, 1, -Infinity]);
    const rows = run(p, [4, 4], [1, 1, 1, 1], base);
    expect(rows).toEqual([
      row([1.5, 2, 3, 5, -Infinity]), // t = 0: dense
      row([1.25, 0, 0, 1, -Infinity]), // t = 1: sparse, repeated ids add up
      row([0.5, 0, 0, -9, -Infinity]), // t = 2
      base,
      base,
    ]);
  });

  it('keeps a copy of a dense vector', () => {
    const dense = row([1, 0, 0, 0, 0]);
    const p = new PositionBias({ positions: [{ at: 0, biases: dense }] });
    dense[0] = 100;
    expect(run(p, [], [], zeros())[0]).toEqual(row([1, 0, 0, 0, 0]));
  });

  it('stores sparse biases as float32', () => {
    const rows = run(new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 0.1 }] }] }), [], [], zeros());
    expect(rows[0]).toEqual(row([0, Math.fround(0.1), 0, 0, 0]));
  });

  it('scales by the weight', () => {
    const p = new PositionBias({ positions: [{ at: 1, biases: [{ token: 2, bias: 3 }] }, { at: 0, biases: row([1, 1, 1, 1, 1]) }] });
    const history = new TokenHistory([0], V);
    const state = p.createState(history);
    p.update(state, history, 0);
    const r0 = zeros();
    p.process(r0, state, history, 2);
    expect(r0).toEqual(row([2, 2, 2, 2, 2]));
    history.push(1);
    p.update(state, history, 1);
    const r1 = zeros();
    p.process(r1, state, history, -0.5);
    expect(r1).toEqual(row([0, 0, -1.5, 0, 0]));
  });

  describe('countFrom', () => {
    const p = new PositionBias({ positions: [{ at: 0, biases: [{ token: 0, bias: 1 }] }, { at: 1, biases: [{ token: 1, bias: 1 }] }], countFrom: { after: [3, 4], fallback: 'response' } });

    it('counts t from just after a marker in the prompt', () => {
      const rows = run(p, [3, 4, 2], [2], zeros());
      expect(rows).toEqual([row([0, 1, 0, 0, 0]), zeros()]);
    });

    it('restarts at every new marker, also in the response', () => {
      const rows = run(p, [3, 4], [2, 3, 4, 2, 2], zeros());
      expect(rows).toEqual([row([1, 0, 0, 0, 0]), row([0, 1, 0, 0, 0]), zeros(), row([1, 0, 0, 0, 0]), row([0, 1, 0, 0, 0]), zeros()]);
    });

    it('falls back to the response start (or the sequence start) without a marker', () => {
      expect(run(p, [2, 2], [2], zeros())).toEqual([row([1, 0, 0, 0, 0]), row([0, 1, 0, 0, 0])]);
      const fromSequence = new PositionBias({ positions: [{ at: 2, biases: [{ token: 2, bias: 1 }] }], countFrom: { after: [3], fallback: 'sequence' } });
      expect(run(fromSequence, [1, 1], [1], zeros())).toEqual([row([0, 0, 1, 0, 0]), zeros()]);
      const sequence = new PositionBias({ positions: [{ at: 1, biases: [{ token: 2, bias: 1 }] }], countFrom: 'sequence' });
      expect(run(sequence, [1], [1], zeros())).toEqual([row([0, 0, 1, 0, 0]), zeros()]);
    });
  });

  describe('validation', () => {
    it('rejects a repeated position', () => {
      expectRuleLMError(
        () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }, { at: 0, biases: [{ token: 2, bias: 1 }] }] }),
        '`positions[1].at` repeats position 0; give each position once',
        'positions[1].at',
      );
    });

    it('rejects a dense vector longer than the vocabulary, when a sequence starts; a shorter one biases only its ids', () => {
      const p = new PositionBias({ positions: [{ at: 1, biases: [{ token: 1, bias: 1 }] }, { at: 0, biases: row([1, 2, 3]) }] });
      expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: 2 }), '`positions` has a dense vector of length 3 at t = 0, longer than the vocabulary of 2 ids', 'positions');
      const padded = startSequence(p, { prompt: [], vocabSize: V });
      expect(Array.from(padded.process(new Float32Array(V)))).toEqual([1, 2, 3, 0, 0]);
    });

    it('rejects positions beyond 2^31 - 1 (and stores large ones without a sparse array)', () => {
      expectRuleLMError(() => new PositionBias({ positions: [{ at: 2 ** 31, biases: [{ token: 1, bias: 1 }] }] }), '`positions[0].at` must be a position of at most 2147483647, but is 2147483648', 'positions[0].at');
      const far = new PositionBias({ positions: [{ at: 2 ** 31 - 1, biases: [{ token: 1, bias: 1 }] }, { at: 2, biases: [{ token: 2, bias: 1 }] }] });
      expect(far.positions).toEqual([2, 2 ** 31 - 1]);
    });

    it('rejects sparse ids outside the vocabulary, when a sequence starts', () => {
      const p = new PositionBias({ positions: [{ at: 1, biases: [{ token: 5, bias: 1 }] }] });
      expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: V }), '`positions` holds token id 5, outside a vocabulary of 5 ids (0 to 4)', 'positions');
    });

    it('rejects bad entries', () => {
      const cases: [unknown, string, string][] = [
        [[], '`positions` must be a non-empty array of { at, biases }, but is []', 'positions'],
        [undefined, '`positions` must be a non-empty array of { at, biases }, but is undefined', 'positions'],
        [[3], '`positions[0]` must be an object, but is 3', 'positions[0]'],
        [[{ at: 0, biases: [{ token: 1, bias: 1 }], when: 1 }], '`positions[0]` has an unknown option "when"; known options are `at`, `biases`', 'positions[0].when'],
        [[{ at: -1, biases: [{ token: 1, bias: 1 }] }], '`positions[0].at` must be a non-negative integer, but is -1', 'positions[0].at'],
        [[{ at: 1.5, biases: [{ token: 1, bias: 1 }] }], '`positions[0].at` must be a non-negative integer, but is 1.5', 'positions[0].at'],
        [[{ at: Number.NaN, biases: [{ token: 1, bias: 1 }] }], '`positions[0].at` must be a non-negative integer, but is NaN', 'positions[0].at'],
        [[{ at: 0, biases: [] }], '`positions[0].biases` must be a non-empty array of { token, bias } or a Float32Array, but is []', 'positions[0].biases'],
        [[{ at: 0, biases: [1, 2] }], '`positions[0].biases[0]` must be an object, but is 1', 'positions[0].biases[0]'],
        [[{ at: 0, biases: new Float64Array(3) }], '`positions[0].biases` must be a non-empty array of { token, bias } or a Float32Array, but is a Float64Array of length 3', 'positions[0].biases'],
        [[{ at: 0, biases: new Float32Array(0) }], '`positions[0].biases` must be a non-empty Float32Array, but is a Float32Array of length 0', 'positions[0].biases'],
        [[{ at: 0, biases: row([0, Number.NaN]) }], '`positions[0].biases[1]` must be a finite number, but is NaN', 'positions[0].biases[1]'],
        [[{ at: 0, biases: row([Infinity]) }], '`positions[0].biases[0]` must be a finite number, but is Infinity', 'positions[0].biases[0]'],
        [[{ at: 0, biases: [{ token: 1, bias: Number.NaN }] }], '`positions[0].biases[0].bias` must be a finite number, but is NaN', 'positions[0].biases[0].bias'],
        [[{ at: 0, biases: [{ token: 1, bias: 1, weight: 1 }] }], '`positions[0].biases[0]` has an unknown option "weight"; known options are `token`, `bias`', 'positions[0].biases[0].weight'],
        [[{ at: 0, biases: [{ token: 1, bias: 1 }, { token: -2, bias: 1 }] }], '`positions[0].biases[1]` must be a token id (an integer of at least 0), but is -2', 'positions[0].biases[1]'],
      ];
      for (const [positions, message, argument] of cases) expectRuleLMError(() => new PositionBias({ positions } as never), message, argument);
    });

    it('rejects bad options', () => {
      expectRuleLMError(
        // @ts-expect-error: a misspelled option
        () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }], countfrom: 'response' }),
        '`options` has an unknown option "countfrom"; known options are `positions`, `countFrom`',
        'options.countfrom',
      );
      expectRuleLMError(
        () => new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 1 }] }], countFrom: { after: [1.5] } }),
        '`countFrom.after[0]` must be a token id (an integer of at least 0), but is 1.5',
        'countFrom.after[0]',
      );
    });
  });
});

describe('positionBias: hostile numbers (issue 13)', () => {
  it('sparse biases are kept as given: 1e308 stays 1e308 in the spec, and -Infinity stays masked (float32 storage made it Infinity, then NaN)', () => {
    const p = new PositionBias({ positions: [{ at: 0, biases: [{ token: 0, bias: 1e308 }, { token: 1, bias: 0.1 }] }] });
    expect(p.toJSON()).toEqual({ kind: 'position-bias', positions: [{ at: 0, biases: [{ token: 0, bias: 1e308 }, { token: 1, bias: 0.1 }] }], countFrom: 'response' });
    expect(Array.from(run(p, [], [], row([-Infinity, 0, 0]))[0] as Float32Array)).toEqual([-Infinity, Math.fround(0.1), 0]);
  });

  it('a spec whose dense vector holds a value beyond float32 is refused, naming the value', () => {
    expect(() => parseSpec({ rulelm: 1, processor: { kind: 'position-bias', positions: [{ at: 0, biases: [1, 1e308] }] } })).toThrow(
      '[rulelm] `spec.processor.positions[0].biases[1]` is invalid: Expected a number within the float32 range (a dense vector is a Float32Array), but received 1e+308',
    );
  });

  it('refuses more positions than a spec holds', () => {
    const positions = Array.from({ length: 4097 }, (_, at) => ({ at, biases: [{ token: 0, bias: 1 }] }));
    expectRuleLMError(() => new PositionBias({ positions }), '`positions` has 4097 positions; at most 4096 are supported (what a spec holds)', 'positions');
  });
});
