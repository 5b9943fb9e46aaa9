import { describe, expect, it } from 'vitest';
import { Chain, EndOfSequenceRamp, parseSpec, PositionBias, Processor, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias, TokenHistory, toSpec } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run, step } from '../helpers/rows';

const bias = (): Processor => new TokenBias({ biases: [{ token: 1, bias: 3 }, { token: 2, bias: 0.5 }] });
const multiplicative = (): Processor => new RepetitionPenalty({ mode: 'multiplicative', penalty: 2, scope: 'sequence' });

describe('chain', () => {
  it('is a processor of kind "chain" listing its members in order', () => {
    const a = bias();
    const b = multiplicative();
    const c = new Chain(a, b);
    expect(c.kind).toBe('chain');
    expect(c.processors).toHaveLength(2);
    expect(c.processors[0]).toBe(a);
    expect(c.processors[1]).toBe(b);
  });

  it('runs members in the order given: a multiplicative penalty before or after a bias gives different rows', () => {
    // Prompt [1, 2]: both ids are "seen" by the multiplicative penalty (factor 2).
    const base = row([1, 1, -1, 0]);
    const penaltyFirst = startSequence(new Chain(multiplicative(), bias()), { prompt: [1, 2], vocabSize: 4 });
    const biasFirst = startSequence(new Chain(bias(), multiplicative()), { prompt: [1, 2], vocabSize: 4 });
    // id 1: 1 / 2 + 3 = 3.5; id 2: -1 * 2 + 0.5 = -1.5
    expect(step(penaltyFirst, base)).toEqual(row([1, 3.5, -1.5, 0]));
    // id 1: (1 + 3) / 2 = 2; id 2: (-1 + 0.5) * 2 = -1
    expect(step(biasFirst, base)).toEqual(row([1, 2, -1, 0]));
  });

  it('flattens arrays and nested chains', () => {
    const [a, b, c, d] = [bias(), multiplicative(), bias(), new EndOfSequenceRamp({ eosTokenIds: 3 })] as const;
    const flat = new Chain(a, [b, new Chain(c, [d])]);
    expect(flat.processors).toHaveLength(4);
    flat.processors.forEach((p, i) => expect(p).toBe([a, b, c, d][i]));
    const fromArray = new Chain([a, b]);
    expect(fromArray.processors).toEqual([a, b]);
  });

  it('is additive only when every member is', () => {
    expect(new Chain(bias(), new EndOfSequenceRamp({ eosTokenIds: 3 })).additive).toBe(true);
    expect(new Chain(bias(), multiplicative()).additive).toBe(false);
    expect(new Chain(bias(), new EndOfSequenceRamp({ eosTokenIds: 3, shape: 'exponential', factor: 2 })).additive).toBe(false);
    expect(new Chain(new Chain(bias()), [new RepetitionPenalty({ mode: 'presence', penalty: 1 })]).additive).toBe(true);
  });

  it('an empty chain is additive and changes nothing', () => {
    const empty = new Chain();
    expect(empty.additive).toBe(true);
    expect(empty.processors).toEqual([]);
    const sequence = startSequence(empty, { prompt: [1], vocabSize: 3 });
    expect(step(sequence, row([1, -2, 3]))).toEqual(row([1, -2, 3]));
  });

  it('passes the weight to every member', () => {
    const c = new Chain(new TokenBias({ biases: [{ token: 0, bias: 1.5 }] }), new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 4, rampLength: 4 }));
    const history = new TokenHistory([1], 3);
    const states = c.createState(history);
    c.update(states, history, 0);
    history.push(1);
    c.update(states, history, 1);
    const r = row([0, 0, 0]);
    c.process(r, states, history, 2);
    // t = 1: ramp 4 * 1 / 4 = 1, times 2; bias 1.5 times 2.
    expect(r).toEqual(row([3, 0, 2]));
    expect(states).toHaveLength(2);
  });

  it('rejects entries that are not processors, naming where they are', () => {
    const message = (arg: string, shown: string): string => `\`${arg}\` must be a rulelm processor (an instance of a Processor subclass), but is ${shown}`;
    expectRuleLMError(() => new Chain(bias(), 5 as never), message('processors[1]', '5'), 'processors[1]');
    expectRuleLMError(() => new Chain([bias(), null as never]), message('processors[0][1]', 'null'), 'processors[0][1]');
    expectRuleLMError(() => new Chain({ kind: 'x', process: () => undefined } as never), message('processors[0]', '{"kind":"x"}'), 'processors[0]');
    expectRuleLMError(() => new Chain(bias(), [bias(), [bias(), 'x']] as never), message('processors[1][1][1]', '"x"'), 'processors[1][1][1]');
    // A look-alike with every method is not a processor either.
    const lookAlike = { kind: 'x', additive: true, createState: () => null, update: () => undefined, process: () => undefined };
    expectRuleLMError(() => new Chain(bias(), [multiplicative(), lookAlike as never]), message('processors[1][1]', '{"kind":"x","additive":true}'), 'processors[1][1]');
  });

  it('refuses more processors than a spec holds (1024 once flattened), so every chain it builds loads back', () => {
    const bias = (): TokenBias => new TokenBias({ biases: [{ token: 0, bias: 1 }] });
    const full = new Chain(Array.from({ length: 1024 }, bias));
    expect(parseSpec(JSON.stringify(toSpec(full))).members).toHaveLength(1024);
    expectRuleLMError(() => new Chain(Array.from({ length: 1024 }, bias), new Chain(bias())), '`processors` has 1025 processors; at most 1024 are supported (what a spec holds)', 'processors');
  });

  it('is a class: new, instanceof and Processor.isInstance', () => {
    const c = new Chain(bias());
    expect(c).toBeInstanceOf(Chain);
    expect(c).toBeInstanceOf(Processor);
    expect(Processor.isInstance(c)).toBe(true);
    expect(c.constructor.name).toBe('Chain');
  });

  it('exposes its processors as its members (the uniform view adapters walk)', () => {
    const [a, b] = [bias(), multiplicative()];
    const c = new Chain(a, [b]);
    expect(c.members).toEqual([a, b]);
    expect(c.members).toBe(c.processors);
    expect(new Chain().members).toEqual([]);
  });

  it('flattens a product of experts as one member (only chains are flattened)', () => {
    const poe = new ProductOfExperts({ experts: [{ processor: bias() }] });
    const c = new Chain(poe, new Chain(poe));
    expect(c.processors).toEqual([poe, poe]);
  });

  describe('keeps no per-sequence data', () => {
    const rules = (): Processor =>
      new Chain(
        new EndOfSequenceRamp({ eosTokenIds: 3, maxBias: 4, rampLength: 4, countFrom: { after: [0, 1], fallback: 'response' } }),
        new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: 'sequence' }),
        new TokenBias({ biases: [{ tokens: [2, 1], bias: 0.25 }] }),
        new PositionBias({ positions: [{ at: 1, biases: [{ token: 0, bias: 10 }] }] }),
      );
    const base = row([0.5, -1, 2, 0]);
    const a = { prompt: [2, 0, 1], tokens: [2, 2, 1, 0, 1] };
    const b = { prompt: [1], tokens: [0, 2, 2, 2, 0] };

    it('computes the expected rows (hand-checked at a few steps)', () => {
      const rowsA = run(rules(), a.prompt, a.tokens, base);
      // t = 0 after the marker [0, 1] at the prompt's end; counts {2:1, 0:1, 1:1}
      expect(rowsA[0]).toEqual(row([-0.5, -2, 1, 0]));
      // t = 1 (after 2): counts {2:2, 0:1, 1:1}; position bias +10 on 0; ramp 1 on 3; the
      // history ends with 2, so the sequence [2, 1] biases 1 by 0.25
      expect(rowsA[1]).toEqual(row([9.5, -1.75, 0, 1]));
      // after 2, 2, 1, 0, 1: marker [0, 1] again, t = 0; counts {2:3, 0:2, 1:3}; ends with 1: no sequence bias
      expect(rowsA[5]).toEqual(row([-1.5, -4, -1, 0]));
      // after 2, 2: counts {2:3, 0:1, 1:1}; sequence bias again; t = 2 -> ramp 2
      expect(rowsA[2]).toEqual(row([-0.5, Math.fround(-1 - 1 + 0.25), -1, 2]));
    });

    it('reusing one chain across sequences gives the same rows as fresh chains', () => {
      const shared = rules();
      const first = run(shared, a.prompt, a.tokens, base);
      const second = run(shared, b.prompt, b.tokens, base);
      const again = run(shared, a.prompt, a.tokens, base);
      expect(first).toEqual(run(rules(), a.prompt, a.tokens, base));
      expect(second).toEqual(run(rules(), b.prompt, b.tokens, base));
      expect(again).toEqual(first);
      expect(second).not.toEqual(first);
    });

    it('two interleaved sequences of one chain do not affect each other', () => {
      const shared = rules();
      const sa = startSequence(shared, { prompt: a.prompt, vocabSize: 4 });
      const sb = startSequence(shared, { prompt: b.prompt, vocabSize: 4 });
      const rowsA = [step(sa, base)];
      const rowsB = [step(sb, base)];
      for (let i = 0; i < a.tokens.length; i++) {
        sb.push(b.tokens[i] as number);
        sa.push(a.tokens[i] as number);
        rowsB.push(step(sb, base));
        rowsA.push(step(sa, base));
      }
      expect(rowsA).toEqual(run(rules(), a.prompt, a.tokens, base));
      expect(rowsB).toEqual(run(rules(), b.prompt, b.tokens, base));
    });
  });
});
