import type * as ProcessorModule from '../../src/core/processor';
import type { ReadonlyTokenHistory } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { Chain, createVocabulary, EndOfSequenceRamp, hewitt2024, PositionBias, Processor, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias, TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { row, run } from '../helpers/rows';

/** Adds `bias` to `token` once it has been generated `times` times (the base class's own example). */
class AfterRepeats extends Processor<{ count: number }> {
  readonly kind = 'after-repeats';
  constructor(
    readonly token: number,
    readonly times: number,
    readonly bias: number,
  ) {
    super();
  }
  createState(): { count: number } {
    return { count: 0 };
  }
  override update(state: { count: number }, history: ReadonlyTokenHistory, from: number): void {
    for (let p = Math.max(from, history.promptLength); p < history.length; p++) if (history.tokens[p] === this.token) state.count++;
  }
  process(row: Float32Array, state: { count: number }): void {
    if (state.count >= this.times) row[this.token]! += this.bias;
  }
}

/** A composite of its own: runs its parts, and lists them as members. */
class Both extends Processor<unknown[]> {
  readonly kind = 'both';
  constructor(readonly parts: readonly Processor[]) {
    super();
  }
  override get members(): readonly Processor[] {
    return this.parts;
  }
  createState(history: ReadonlyTokenHistory): unknown[] {
    return this.parts.map((p) => p.createState(history));
  }
  override update(states: unknown[], history: ReadonlyTokenHistory, from: number): void {
    this.parts.forEach((p, i) => p.update(states[i], history, from));
  }
  process(row: Float32Array, states: unknown[], history: ReadonlyTokenHistory, weight: number): void {
    this.parts.forEach((p, i) => p.process(row, states[i], history, weight));
  }
}

/** Every built-in processor class, with one instance. */
const builtIns = (): [string, Processor, abstract new (...args: never[]) => Processor][] => [
  ['EndOfSequenceRamp', new EndOfSequenceRamp({ eosTokenIds: 2 }), EndOfSequenceRamp],
  ['RepetitionPenalty', new RepetitionPenalty({ mode: 'presence', penalty: 1.5 }), RepetitionPenalty],
  ['TokenBias', new TokenBias({ biases: [{ token: 1, bias: 2 }] }), TokenBias],
  ['PositionBias', new PositionBias({ positions: [{ at: 0, biases: [{ token: 1, bias: 2 }] }] }), PositionBias],
  ['ProductOfExperts', new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: 2 }] }) }] }), ProductOfExperts],
  ['Chain', new Chain(new TokenBias({ biases: [{ token: 1, bias: 2 }] })), Chain],
];

describe('Processor', () => {
  describe('the built-in classes', () => {
    for (const [name, instance, Class] of builtIns()) {
      it(`${name}: constructed with new, instanceof its class and Processor, Processor.isInstance`, () => {
        expect(instance).toBeInstanceOf(Class);
        expect(instance).toBeInstanceOf(Processor);
        expect(Processor.isInstance(instance)).toBe(true);
        expect(instance.constructor.name).toBe(name);
        // Classes, not factories: calling one without new throws.
        expect(() => (Class as unknown as () => unknown)()).toThrow(TypeError);
      });
    }

    it('the preset is a Chain (a Processor)', () => {
      const preset = hewitt2024(createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '\u2581I', '\u2581We'], eosTokenIds: 2 }), { fidelity: 'clean' });
      expect(preset).toBeInstanceOf(Chain);
      expect(preset).toBeInstanceOf(Processor);
      expect(Processor.isInstance(preset)).toBe(true);
      expect(preset.constructor.name).toBe('Hewitt2024');
    });

    it('leaf processors have no members; composites list theirs', () => {
      const leaf = builtIns().filter(([name]) => name !== 'Chain' && name !== 'ProductOfExperts');
      for (const [, instance] of leaf) expect(instance.members).toEqual([]);
      const a = new TokenBias({ biases: [{ token: 1, bias: 2 }] });
      const b = new EndOfSequenceRamp({ eosTokenIds: 2 });
      expect(new ProductOfExperts({ experts: [{ processor: a }, { processor: b, weight: 2 }] }).members).toEqual([a, b]);
      expect(new Chain(a, b).members).toEqual([a, b]);
    });
  });

  describe('Processor.isInstance', () => {
    it('is false for look-alikes, null and primitives', () => {
      const lookAlike = { kind: 'token-bias', additive: true, members: [], createState: () => null, update: () => undefined, process: () => undefined, checkVocabulary: () => undefined };
      expect(Processor.isInstance(lookAlike)).toBe(false);
      expect(Processor.isInstance(Object.create(TokenBias.prototype))).toBe(false);
      for (const value of [null, undefined, 0, 1, '', 'token-bias', true, false, Symbol.for('rulelm.processor'), 10n, () => undefined, [], {}]) {
        expect(Processor.isInstance(value)).toBe(false);
      }
      // The marker must be `true`.
      expect(Processor.isInstance({ [Symbol.for('rulelm.processor')]: 1 })).toBe(false);
    });

    it('is true for a subclass of your own', () => {
      const p = new AfterRepeats(3, 2, -5);
      expect(Processor.isInstance(p)).toBe(true);
      expect(p).toBeInstanceOf(Processor);
    });

    it('recognizes processors of a second copy of the library, which startSequence and Chain then accept', async () => {
      const specifier = '../../src/core/processor.ts?copy';
      const copy = (await import(/* @vite-ignore */ specifier)) as typeof ProcessorModule;
      expect(copy.Processor).not.toBe(Processor);
      class Foreign extends copy.Processor<null> {
        readonly kind = 'foreign';
        override readonly additive = true;
        createState(): null {
          return null;
        }
        process(r: Float32Array, _state: null, _history: ReadonlyTokenHistory, weight: number): void {
          r[1]! += 2 * weight;
        }
      }
      const foreign = new Foreign();
      expect(foreign instanceof Processor).toBe(false);
      expect(Processor.isInstance(foreign)).toBe(true);
      expect(copy.Processor.isInstance(new TokenBias({ biases: [{ token: 0, bias: 1 }] }))).toBe(true);
      const chain = new Chain(new TokenBias({ biases: [{ token: 0, bias: 1 }] }), foreign as unknown as Processor);
      expect(run(chain, [0], [], row([0, 0, 0]))).toEqual([row([1, 2, 0])]);
      expect(new ProductOfExperts({ experts: [{ processor: foreign as unknown as Processor, weight: 0.5 }] }).additive).toBe(true);
    });
  });

  describe('defaults of the base class', () => {
    it('additive is false, update does nothing, members is empty, there is no toJSON', () => {
      const p = new AfterRepeats(3, 2, -5);
      expect(p.additive).toBe(false);
      expect(p.members).toEqual([]);
      expect(p.toJSON).toBeUndefined();
      const history = new TokenHistory([1], 4);
      const before = { count: 0 };
      class Plain extends Processor<{ count: number }> {
        readonly kind = 'plain';
        createState(): { count: number } {
          return { count: 0 };
        }
        process(): void {}
      }
      const plain = new Plain();
      plain.update(before, history, 0);
      expect(before).toEqual({ count: 0 });
    });

    it('the marker is a hidden, fixed property: copies of the fields are not processors', () => {
      const p = new AfterRepeats(3, 2, -5);
      expect(Object.getOwnPropertyDescriptor(p, Symbol.for('rulelm.processor'))).toEqual({ value: true, writable: false, enumerable: false, configurable: false });
      expect(Processor.isInstance({ ...p })).toBe(false);
      expect(JSON.stringify(p)).toBe('{"additive":false,"token":3,"times":2,"bias":-5,"kind":"after-repeats"}');
    });

    it('checkVocabulary checks nothing on a leaf and walks the members of a composite', () => {
      expect(() => new AfterRepeats(99, 1, 1).checkVocabulary(4)).not.toThrow();
      const both = new Both([new TokenBias({ biases: [{ token: 1, bias: 1 }] }), new Chain(new EndOfSequenceRamp({ eosTokenIds: [3, 4] }))]);
      expectRuleLMError(() => both.checkVocabulary(4), '`eosTokenIds` holds token id 4, outside a vocabulary of 4 ids (0 to 3)', 'eosTokenIds');
      expect(() => both.checkVocabulary(5)).not.toThrow();
      expectRuleLMError(() => startSequence(both, { prompt: [], vocabSize: 4 }), '`eosTokenIds` holds token id 4, outside a vocabulary of 4 ids (0 to 3)', 'eosTokenIds');
    });

    it("a subclass of your own works alone, in a chain and in a sequence (the base class's example)", () => {
      const p = new AfterRepeats(3, 2, -5);
      // Prompt tokens do not count; the bias starts once 3 was generated twice.
      expect(run(p, [3, 3], [3, 1, 3, 3], row([0, 0, 0, 1]))).toEqual([row([0, 0, 0, 1]), row([0, 0, 0, 1]), row([0, 0, 0, 1]), row([0, 0, 0, -4]), row([0, 0, 0, -4])]);
      const chained = new Chain(new TokenBias({ biases: [{ token: 3, bias: 0.5 }] }), p);
      expect(run(chained, [], [3, 3], row([0, 0, 0, 1]))).toEqual([row([0, 0, 0, 1.5]), row([0, 0, 0, 1.5]), row([0, 0, 0, -3.5])]);
    });
  });
});
