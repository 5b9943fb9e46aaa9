import type { Anchor, RepetitionMode, RepetitionPenaltyOptions } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { ProductOfExperts, RepetitionPenalty, startSequence, TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run, step } from '../helpers/rows';

const V = 6;
const BASE = row([2, -2, 4, -4, 0.5, 1]);
const zeros = (): Float32Array => new Float32Array(V);
const minus = (counts: readonly number[], penalty = 1): Float32Array => row(counts.map((c) => 0 - c * penalty));

describe('repetitionPenalty', () => {
  describe('modes', () => {
    it('presence subtracts the penalty once per type seen in the response', () => {
      const p = new RepetitionPenalty({ mode: 'presence', penalty: 1.5 });
      expect([p.kind, p.mode, p.penalty, p.additive]).toEqual(['repetition-penalty', 'presence', 1.5, true]);
      const rows = run(p, [0, 1], [2, 2, 3], BASE);
      expect(rows).toEqual([
        BASE,
        row([2, -2, 2.5, -4, 0.5, 1]),
        row([2, -2, 2.5, -4, 0.5, 1]),
        row([2, -2, 2.5, -5.5, 0.5, 1]),
      ]);
    });

    it('frequency subtracts the penalty once per occurrence', () => {
      const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1.5 });
      expect(p.additive).toBe(true);
      const rows = run(p, [0, 1], [2, 2, 3, 2], BASE);
      expect(rows).toEqual([
        BASE,
        row([2, -2, 2.5, -4, 0.5, 1]),
        row([2, -2, 1, -4, 0.5, 1]),
        row([2, -2, 1, -5.5, 0.5, 1]),
        row([2, -2, -0.5, -5.5, 0.5, 1]),
      ]);
    });

    it('multiplicative divides positive scores and multiplies negative ones, once per type', () => {
      const p = new RepetitionPenalty({ mode: 'multiplicative', penalty: 2 });
      expect(p.additive).toBe(false);
      const rows = run(p, [0, 1], [2, 3, 2, 4], BASE);
      expect(rows).toEqual([
        BASE,
        row([2, -2, 2, -4, 0.5, 1]),
        row([2, -2, 2, -8, 0.5, 1]),
        row([2, -2, 2, -8, 0.5, 1]),
        row([2, -2, 2, -8, 0.25, 1]),
      ]);
    });

    it('multiplicative with a factor below 1 encourages, and leaves 0 at 0', () => {
      const rows = run(new RepetitionPenalty({ mode: 'multiplicative', penalty: 0.5 }), [], [0, 1, 5], row([3, -3, 0, 0, 0, 0]));
      expect(rows[3]).toEqual(row([6, -1.5, 0, 0, 0, 0]));
    });

    it('a negative additive penalty encourages repetition', () => {
      const rows = run(new RepetitionPenalty({ mode: 'presence', penalty: -0.25 }), [], [4], zeros());
      expect(rows[1]).toEqual(row([0, 0, 0, 0, 0.25, 0]));
    });

    it('keeps -Infinity at -Infinity in every mode', () => {
      const base = row([-Infinity, 1, -Infinity, 0, 0, 0]);
      for (const mode of ['presence', 'frequency', 'multiplicative'] as const) {
        const rows = run(new RepetitionPenalty({ mode, penalty: 2 }), [], [0, 2, 2], base);
        expect(rows[3]?.[0]).toBe(-Infinity);
        expect(rows[3]?.[2]).toBe(-Infinity);
      }
    });

    it('scales additive modes by the weight', () => {
      for (const [mode, expected] of [['presence', [-3, 0, -3, 0, 0, 0]], ['frequency', [-3, 0, -6, 0, 0, 0]]] as const) {
        const p = new RepetitionPenalty({ mode, penalty: 1.5 });
        const history = new TokenHistory([], V);
        const state = p.createState(history);
        for (const t of [0, 2, 2]) {
          history.push(t);
          p.update(state, history, history.length - 1);
        }
        const r = zeros();
        p.process(r, state, history, 2);
        expect(r).toEqual(row(expected));
      }
    });
  });

  describe('scope', () => {
    it('"sequence" counts the prompt too', () => {
      const rows = run(new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: 'sequence' }), [0, 1], [2], BASE);
      expect(rows).toEqual([row([0.5, -3.5, 4, -4, 0.5, 1]), row([0.5, -3.5, 2.5, -4, 0.5, 1])]);
      const multiplicative = run(new RepetitionPenalty({ mode: 'multiplicative', penalty: 2, scope: 'sequence' }), [0, 1], [], BASE);
      expect(multiplicative).toEqual([row([1, -4, 4, -4, 0.5, 1])]);
    });

    it('{ after } counts from just after the last marker, found in the prompt', () => {
      const p = new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: { after: [4, 5] } });
      const rows = run(p, [0, 4, 5, 1], [0, 4, 5, 2], BASE);
      expect(rows).toEqual([
        row([2, -3.5, 4, -4, 0.5, 1]), // only 1 follows the marker
        row([0.5, -3.5, 4, -4, 0.5, 1]),
        row([0.5, -3.5, 4, -4, -1, 1]), // 4 alone is not the marker yet
        BASE, // the marker again: counts cleared, its own tokens not counted
        row([2, -2, 2.5, -4, 0.5, 1]),
      ]);
    });

    it('{ after } without a marker falls back to the sequence start by default, or the response start', () => {
      const dflt = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: { after: [5] } }), [0, 1, 0], [2], zeros());
      expect(dflt).toEqual([minus([2, 1, 0, 0, 0, 0]), minus([2, 1, 1, 0, 0, 0])]);
      const response = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: { after: [5], fallback: 'response' } }), [0, 1, 0], [2, 5, 3], zeros());
      expect(response).toEqual([minus([0, 0, 0, 0, 0, 0]), minus([0, 0, 1, 0, 0, 0]), zeros(), minus([0, 0, 0, 1, 0, 0])]);
    });

    it('a marker in the prompt moves a "response" fallback back into the prompt', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: { after: [5], fallback: 'response' } }), [0, 5, 1, 1], [], zeros());
      expect(rows).toEqual([minus([0, 2, 0, 0, 0, 0])]);
    });
  });

  describe('window', () => {
    it('counts only the last `window` tokens; a type leaving the window stops counting unless it occurs again inside', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, window: 3 }), [1, 1, 1], [2, 3, 2, 4, 5, 0], zeros());
      expect(rows).toEqual([
        minus([0, 0, 0, 0, 0, 0]),
        minus([0, 0, 1, 0, 0, 0]), // [2]
        minus([0, 0, 1, 1, 0, 0]), // [2 3]
        minus([0, 0, 2, 1, 0, 0]), // [2 3 2]
        minus([0, 0, 1, 1, 1, 0]), // [3 2 4]: the first 2 left, the second is inside
        minus([0, 0, 1, 0, 1, 1]), // [2 4 5]
        minus([1, 0, 0, 0, 1, 1]), // [4 5 0]
      ]);
    });

    it('works with presence: a type is penalized while any occurrence is inside', () => {
      const rows = run(new RepetitionPenalty({ mode: 'presence', penalty: 1, window: 2 }), [], [2, 2, 3, 4], zeros());
      expect(rows).toEqual([zeros(), minus([0, 0, 1, 0, 0, 0]), minus([0, 0, 1, 0, 0, 0]), minus([0, 0, 1, 1, 0, 0]), minus([0, 0, 0, 1, 1, 0])]);
    });

    it('covers the prompt with scope "sequence"', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, window: 2, scope: 'sequence' }), [0, 1, 1], [2], zeros());
      expect(rows).toEqual([minus([0, 2, 0, 0, 0, 0]), minus([0, 1, 1, 0, 0, 0])]);
    });

    it('restarts at a marker and never reaches back past it', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, window: 2, scope: { after: [5] } }), [0, 5], [1, 2, 3, 5, 0, 0, 1], zeros());
      expect(rows).toEqual([
        zeros(),
        minus([0, 1, 0, 0, 0, 0]),
        minus([0, 1, 1, 0, 0, 0]),
        minus([0, 0, 1, 1, 0, 0]),
        zeros(),
        minus([1, 0, 0, 0, 0, 0]),
        minus([2, 0, 0, 0, 0, 0]),
        minus([1, 1, 0, 0, 0, 0]),
      ]);
    });
  });

  describe('exempt', () => {
    it('never counts nor penalizes exempt ids', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, exempt: [2, 4] }), [], [2, 3, 2, 4], zeros());
      expect(rows[4]).toEqual(minus([0, 0, 0, 1, 0, 0]));
      const mult = run(new RepetitionPenalty({ mode: 'multiplicative', penalty: 2, exempt: [2] }), [], [2, 3], BASE);
      expect(mult[2]).toEqual(row([2, -2, 4, -8, 0.5, 1]));
    });

    it('works with a window (exempt tokens leaving the window are no-ops)', () => {
      const rows = run(new RepetitionPenalty({ mode: 'frequency', penalty: 1, window: 2, exempt: [2] }), [], [2, 3, 2, 3, 1], zeros());
      expect(rows).toEqual([zeros(), zeros(), minus([0, 0, 0, 1, 0, 0]), minus([0, 0, 0, 1, 0, 0]), minus([0, 0, 0, 1, 0, 0]), minus([0, 1, 0, 1, 0, 0])]);
    });

    it('accepts an empty list', () => {
      const rows = run(new RepetitionPenalty({ mode: 'presence', penalty: 1, exempt: [] }), [], [2], zeros());
      expect(rows[1]).toEqual(minus([0, 0, 1, 0, 0, 0]));
    });
  });

  describe('incremental state', () => {
    /** A from-scratch implementation reading the whole history: what the incremental state must equal. */
    function naive(options: { mode: RepetitionMode; penalty: number; scope: Anchor; window?: number; exempt?: number[] }, tokens: number[], promptLength: number, base: Float32Array): Float32Array {
      let start = options.scope === 'response' ? promptLength : 0;
      if (typeof options.scope === 'object') {
        const { after, fallback = 'sequence' } = options.scope;
        start = fallback === 'response' ? promptLength : 0;
        for (let end = after.length; end <= tokens.length; end++) {
          if (after.every((id, i) => tokens[end - after.length + i] === id)) start = end;
        }
      }
      if (options.window !== undefined) start = Math.max(start, tokens.length - options.window);
      const counts = new Map<number, number>();
      for (const t of tokens.slice(start)) if (!options.exempt?.includes(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
      const out = base.slice();
      for (const [id, c] of counts) {
        const s = out[id] as number;
        if (options.mode === 'presence') out[id] = s - options.penalty;
        else if (options.mode === 'frequency') out[id] = s - options.penalty * c;
        else out[id] = s < 0 ? s * options.penalty : s / options.penalty;
      }
      return out;
    }

    // Deterministic pseudo-random tokens with repeats and a few markers [4, 5].
    const tokens: number[] = [];
    for (let i = 0, x = 7; i < 60; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      tokens.push(x % 6);
    }
    tokens.splice(20, 0, 4, 5);
    tokens.splice(45, 0, 4, 5);
    const prompt = [3, 4, 5, 1, 1];
    const configs: (RepetitionPenaltyOptions & { mode: RepetitionMode; scope: Anchor })[] = [
      { mode: 'presence', penalty: 1.5, scope: 'response' },
      { mode: 'frequency', penalty: 0.75, scope: 'sequence' },
      { mode: 'multiplicative', penalty: 1.3, scope: { after: [4, 5] } },
      { mode: 'frequency', penalty: 1, scope: { after: [4, 5], fallback: 'response' }, window: 7 },
      { mode: 'frequency', penalty: 2, scope: 'sequence', window: 4, exempt: [1] },
      { mode: 'presence', penalty: 1, scope: 'response', window: 1 },
    ];

    for (const options of configs) {
      it(`one token at a time equals the whole history at once and a full rescan: ${JSON.stringify(options)}`, () => {
        const p = new RepetitionPenalty(options);
        const oneByOne = startSequence(p, { prompt, vocabSize: V });
        const naiveOptions = { ...options, ...(options.exempt ? { exempt: [...options.exempt] } : {}) } as Parameters<typeof naive>[0];
        for (let i = 0; i < tokens.length; i++) {
          oneByOne.push(tokens[i] as number);
          const atOnce = startSequence(p, { prompt: [...prompt, ...tokens.slice(0, i + 1)], vocabSize: V });
          const appended = startSequence(p, { prompt, vocabSize: V });
          appended.append(tokens.slice(0, i + 1));
          const expected = naive(naiveOptions, [...prompt, ...tokens.slice(0, i + 1)], prompt.length, BASE);
          expect(step(oneByOne, BASE)).toEqual(expected);
          expect(step(appended, BASE)).toEqual(expected);
          // The prompt/response split only matters for the "response" scope.
          if (options.scope !== 'response' && !(typeof options.scope === 'object' && options.scope.fallback === 'response')) {
            expect(step(atOnce, BASE)).toEqual(expected);
          }
        }
      });
    }

    it('appending in chunks equals pushing one by one', () => {
      const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1, window: 5, scope: { after: [4, 5] } });
      const chunks = startSequence(p, { prompt, vocabSize: V });
      const single = startSequence(p, { prompt, vocabSize: V });
      for (let i = 0; i < tokens.length; i += 7) {
        const chunk = tokens.slice(i, i + 7);
        chunks.append(chunk);
        for (const t of chunk) single.push(t);
        expect(step(chunks, BASE)).toEqual(step(single, BASE));
      }
    });
  });

  describe('state size (issue 16)', () => {
    it('a new state holds 64 types whatever the vocabulary, and grows with the types seen', () => {
      const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1, exempt: [7] });
      for (const vocabSize of [6, 32000, 151669]) {
        const state = p.createState(new TokenHistory([], vocabSize));
        expect([state.seen.length, state.counts.length, state.slots.length, state.size]).toEqual([64, 64, 128, 0]);
      }
      const history = new TokenHistory([], 151669, 300);
      const state = p.createState(history);
      for (let id = 0; id < 100; id++) history.push(id * 1500);
      p.update(state, history, 0);
      // 100 types, 7 is not among them (0, 1500, 3000, ...): one doubling, to 128 types.
      expect([state.size, state.seen.length, state.slots.length]).toEqual([100, 128, 256]);
    });

    it('counts exactly past several doublings (ids spread over a 151669-id vocabulary)', () => {
      const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: 'sequence' });
      const sequence = startSequence(p, { prompt: [], vocabSize: 151669 });
      // 300 types: id 500 * k (k = 0..299) once each, then 500 * 5 twice more and 151668 once.
      for (let k = 0; k < 300; k++) sequence.push(500 * k);
      sequence.push(500 * 5);
      sequence.push(500 * 5);
      sequence.push(151668);
      const out = sequence.process(new Float32Array(151669));
      expect([out[0], out[500 * 5], out[500 * 299], out[151668], out[1], out[500 * 300 - 1]]).toEqual([-1, -3, -1, -1, 0, 0]);
      let touched = 0;
      for (const score of out) if (score !== 0) touched++;
      expect(touched).toBe(301);
    });

    it('a window over many colliding types equals a recount of the window at every step', () => {
      // Ids that are multiples of 64 crowd a few regions of the table; the window removes them
      // again (backward-shift deletion), with repeats so counts go up and down, and over 100
      // types at once make the state grow past 64 while it removes.
      const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: 'sequence', window: 150 });
      const vocabSize = 151669;
      const sequence = startSequence(p, { prompt: [], vocabSize });
      const pushed: number[] = [];
      let largest = 0;
      for (let i = 0, x = 11; i < 600; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const id = ((x >> 8) % 90) * 64 * (1 + (i % 3));
        sequence.push(id);
        pushed.push(id);
        const expected = new Map<number, number>();
        for (const t of pushed.slice(-150)) expected.set(t, (expected.get(t) ?? 0) + 1);
        const out = sequence.process(new Float32Array(vocabSize));
        for (const [id2, count] of expected) expect(out[id2]).toBe(-count);
        let touched = 0;
        for (const score of out) if (score !== 0) touched++;
        expect(touched).toBe(expected.size);
        largest = Math.max(largest, expected.size);
      }
      expect(largest).toBeGreaterThan(64);
    });
  });

  describe('validation', () => {
    it('rejects bad options', () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ mode: 'linear', penalty: 1 }, '`mode` must be one of "presence", "frequency", "multiplicative", but is "linear"', 'mode'],
        [{ penalty: 1 }, '`mode` must be one of "presence", "frequency", "multiplicative", but is undefined', 'mode'],
        [{ mode: 'presence', penalty: Number.NaN }, '`penalty` must be a finite number, but is NaN', 'penalty'],
        [{ mode: 'frequency', penalty: Infinity }, '`penalty` must be a finite number, but is Infinity', 'penalty'],
        [{ mode: 'presence' }, '`penalty` must be a finite number, but is undefined', 'penalty'],
        [{ mode: 'multiplicative', penalty: 0 }, '`penalty` must be a finite number greater than 0, but is 0', 'penalty'],
        [{ mode: 'multiplicative', penalty: -1.2 }, '`penalty` must be a finite number greater than 0, but is -1.2', 'penalty'],
        [{ mode: 'multiplicative', penalty: Infinity }, '`penalty` must be a finite number greater than 0, but is Infinity', 'penalty'],
        [{ mode: 'presence', penalty: 1, window: 0 }, '`window` must be a positive integer, but is 0', 'window'],
        [{ mode: 'presence', penalty: 1, window: -4 }, '`window` must be a positive integer, but is -4', 'window'],
        [{ mode: 'presence', penalty: 1, window: 2.5 }, '`window` must be a positive integer, but is 2.5', 'window'],
        [{ mode: 'presence', penalty: 1, window: Number.NaN }, '`window` must be a positive integer, but is NaN', 'window'],
        [{ mode: 'presence', penalty: 1, exempt: [-1] }, '`exempt[0]` must be a token id (an integer of at least 0), but is -1', 'exempt[0]'],
        [{ mode: 'presence', penalty: 1, exempt: 3 }, '`exempt` must be an array of token ids, but is 3', 'exempt'],
        [{ mode: 'presence', penalty: 1, scope: 'prompt' }, '`scope` must be "response", "sequence" or { after: tokenIds }, but is "prompt"', 'scope'],
        [{ mode: 'presence', penalty: 1, scope: { after: [1], fallback: 'none' } }, '`scope.fallback` must be one of "response", "sequence", but is "none"', 'scope.fallback'],
        [
          { mode: 'presence', penalty: 1, windw: 3 },
          '`options` has an unknown option "windw"; known options are `mode`, `penalty`, `scope`, `window`, `exempt`',
          'options.windw',
        ],
      ];
      for (const [options, message, argument] of cases) expectRuleLMError(() => new RepetitionPenalty(options as never), message, argument);
      expectRuleLMError(() => new RepetitionPenalty(null as never), '`options` must be an object, but is null', 'options');
    });

    it('rejects exempt ids outside the vocabulary when a sequence starts', () => {
      const p = new RepetitionPenalty({ mode: 'presence', penalty: 1, exempt: [1, 6] });
      expectRuleLMError(() => startSequence(p, { prompt: [], vocabSize: V }), '`exempt` holds token id 6, outside a vocabulary of 6 ids (0 to 5)', 'exempt');
    });
  });
});

describe('repetitionPenalty: hostile numbers (issue 13)', () => {
  it('a frequency penalty of 1e308 on a token seen twice over +Infinity stays +Infinity (was NaN)', () => {
    const p = new RepetitionPenalty({ mode: 'frequency', penalty: 1e308 });
    // Token 1 seen twice (-2e308 overflows): the amount saturates to -1.797e308, so +Infinity stays,
    // -Infinity stays, and the finite score 5 saturates to -Infinity in float32.
    const out = run(p, [0], [1, 1, 2], row([Infinity, Infinity, 5, -Infinity]))[3] as Float32Array;
    expect(Array.from(out)).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
  });

  it('refuses a list longer than a spec holds (it could be built but not loaded back)', () => {
    expectRuleLMError(
      () => new RepetitionPenalty({ mode: 'presence', penalty: 1, exempt: new Array<number>(1_048_577).fill(0) }),
      '`exempt` has 1048577 ids; at most 1048576 are supported (what a spec holds)',
      'exempt',
    );
  });

  it('a presence penalty whose weight overflows it leaves ±Infinity as they are', () => {
    // As an expert of weight 1e10: 1e10 * -1e308 overflows, the amount saturates.
    const p = new ProductOfExperts({ experts: [{ processor: new RepetitionPenalty({ mode: 'presence', penalty: -1e308 }), weight: 1e10 }] });
    expect(Array.from(run(p, [], [0, 1], row([-Infinity, Infinity, 1]))[2] as Float32Array)).toEqual([-Infinity, Infinity, 1]);
  });
});
