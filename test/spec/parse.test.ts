import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyProcessor } from '../../src/index';
import { chain, endOfSequenceRamp, hewitt2024, parseSpec, positionBias, productOfExperts, repetitionPenalty, RuleLMError, startSequence, tokenBias, toSpec } from '../../src/index';
import { loadTokenizer } from '../helpers/tokenizers';

const V = 40;

// Runs a processor over a fixed token stream and random-looking rows; returns every processed row.
function trajectory(processor: AnyProcessor, prompt: number[] = [3, 9, 1, 2, 7], steps = 12): number[][] {
  const sequence = startSequence(processor, { prompt, vocabSize: V });
  const rows: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const row = Float32Array.from({ length: V }, (_, j) => Math.sin(j * 7.3 + s) * 3);
    sequence.process(row);
    rows.push(Array.from(row));
    sequence.push((s * 11 + 5) % V);
  }
  return rows;
}

const roundTrip = (p: AnyProcessor): AnyProcessor => parseSpec(JSON.stringify(toSpec(p)));

describe('toSpec / parseSpec round trip', () => {
  const cases: [string, AnyProcessor][] = [
    ['linear EOS ramp with a marker', endOfSequenceRamp({ eosTokenIds: [2, 1], maxBias: 9, rampLength: 5, afterRamp: 'zero', countFrom: { after: [7, 2], fallback: 'response' } })],
    ['exponential EOS ramp', endOfSequenceRamp({ eosTokenIds: 2, shape: 'exponential', start: 2, factor: 1.3 })],
    ['presence penalty after a marker, windowed, with exempt ids', repetitionPenalty({ mode: 'presence', penalty: 1.5, scope: { after: [9, 1] }, window: 4, exempt: [3] })],
    ['frequency penalty', repetitionPenalty({ mode: 'frequency', penalty: 0.4, scope: 'sequence' })],
    ['multiplicative penalty', repetitionPenalty({ mode: 'multiplicative', penalty: 1.3 })],
    ['token and sequence biases', tokenBias({ biases: [{ token: 4, bias: -2 }, { tokens: [5, 6], bias: 3 }, { token: 4, bias: 0.5 }] })],
    ['sparse and dense position biases', positionBias({ positions: [{ at: 0, biases: Float32Array.from({ length: V }, (_, j) => j / 10) }, { at: 2, biases: [{ token: 8, bias: 15 }] }] })],
    [
      'product of experts in both modes',
      chain(
        productOfExperts({ baseWeight: 0.5, output: 'log-probs', experts: [{ processor: tokenBias({ biases: [{ token: 1, bias: 2 }] }), weight: -1 }] }),
        productOfExperts({ experts: [{ processor: repetitionPenalty({ mode: 'presence', penalty: 1 }), weight: 2 }] }),
      ),
    ],
  ];
  for (const [name, processor] of cases) {
    it(`${name}: same spec and same behavior after JSON`, () => {
      const again = roundTrip(processor);
      expect(toSpec(again)).toEqual(toSpec(processor));
      expect(trajectory(again)).toEqual(trajectory(processor));
    });
  }

  it('the paper\'s preset (all four rules) on a real vocabulary loads without the tokenizer and behaves the same', () => {
    const tokenizer = loadTokenizer('llama2');
    const preset = hewitt2024(tokenizer, { rules: 'eos-uniform-diversity-start' });
    const again = roundTrip(preset);
    const prompt = tokenizer.encode('<|user|>\nName a color.\n<|assistant|>\n');
    const run = (p: AnyProcessor): number[][] => {
      const sequence = startSequence(p, { prompt, vocabSize: 32000 });
      const out: number[][] = [];
      for (let s = 0; s < 4; s++) {
        const row = new Float32Array(32000);
        sequence.process(row);
        out.push([row[2]!, row[28789]!, row[28737]!, row[13]!, row[prompt[5]!]!]);
        sequence.push(1000 + s);
      }
      return out;
    };
    expect(run(again)).toEqual(run(preset));
  });

  it('text biases and the hewitt2024 kind load with a tokenizer', () => {
    const tokenizer = loadTokenizer('llama2');
    const fromText = parseSpec({ rulelm: 1, processor: { kind: 'token-bias', biases: [{ text: 'should', bias: -6, boundary: 'leading' }] } }, { tokenizer });
    expect(toSpec(fromText).processor).toEqual({ kind: 'token-bias', biases: [{ token: 1023, bias: -6 }] });
    const preset = parseSpec('{"rulelm":1,"processor":{"kind":"hewitt2024","fidelity":"clean","rules":"eos-uniform"}}', { tokenizer });
    expect(toSpec(preset)).toEqual(toSpec(hewitt2024(tokenizer, { fidelity: 'clean', rules: 'eos-uniform' })));
  });

  it('a custom processor without toJSON cannot be serialized', () => {
    const custom = { kind: 'mine', additive: true, createState: () => null, update: () => {}, process: () => {} };
    expect(() => toSpec(chain(tokenBias({ biases: [{ token: 1, bias: 1 }] }), custom))).toThrow('`processors[1]` (kind "mine") cannot be serialized: it has no toJSON()');
  });
});

describe('parseSpec rejects bad input with clear errors', () => {
  const reject = (input: unknown, message: string, argument: string, options = {}): void => {
    let caught: unknown;
    try {
      parseSpec(input, options);
    } catch (error) {
      caught = error;
    }
    expect(RuleLMError.isInstance(caught)).toBe(true);
    expect((caught as RuleLMError).message).toBe(`[rulelm] ${message}`);
    expect((caught as RuleLMError).argument).toBe(argument);
  };

  it('unknown fields, wrong types and bad values', () => {
    reject({ rulelm: 1, processor: { kind: 'chain', processors: [], extra: 1 } }, '`spec.processor.extra` is an unknown field', 'spec.processor.extra');
    reject({ rulelm: 2, processor: { kind: 'chain', processors: [] } }, '`spec.rulelm` is invalid: Invalid type: Expected 1 but received 2', 'spec.rulelm');
    reject({ rulelm: 1, processor: { kind: 'magic' } }, '`spec.processor.kind` is invalid: Invalid type: Expected ("chain" | "end-of-sequence-ramp" | "repetition-penalty" | "token-bias" | "position-bias" | "product-of-experts" | "hewitt2024") but received "magic"', 'spec.processor.kind');
    reject({ rulelm: 1, processor: { kind: 'repetition-penalty', mode: 'presence', penalty: 1, scope: 'response', window: 0 } }, '`window` must be a positive integer, but is 0 (in `spec.processor`)', 'spec.processor.window');
    reject(
      { rulelm: 1, processor: { kind: 'chain', processors: [{ kind: 'product-of-experts', baseWeight: 1, output: 'logits', experts: [{ processor: { kind: 'repetition-penalty', mode: 'multiplicative', penalty: 2, scope: 'response' }, weight: 1 }] }] } },
      '`experts[0].processor` must be an additive processor (a rule whose scores do not depend on the row), but is a repetition-penalty that is not (in `spec.processor.processors[0]`)',
      'spec.processor.processors[0].experts[0].processor',
    );
    reject('{"rulelm":1,"processor":{"kind":"hewitt2024"}}', '`spec.processor` is the hewitt2024 preset, which needs the `tokenizer` option', 'tokenizer');
    reject('{"rulelm":1,"processor":{"kind":"token-bias","biases":[{"text":"x","bias":1}]}}', '`biases[0].text` is text, so `tokenizer` is required (in `spec.processor`)', 'spec.processor.tokenizer');
  });

  it('not JSON, prototype-pollution keys, deep nesting and oversized input', () => {
    reject('{"rulelm":', '`spec` is not valid JSON: Unexpected end of JSON input', 'spec');
    reject('{"rulelm":1,"processor":{"kind":"chain","processors":[],"__proto__":{"polluted":true}}}', '`spec` has a forbidden key "__proto__" at spec.processor', 'spec.processor.__proto__');
    reject({ rulelm: 1, processor: { kind: 'chain', processors: [], constructor: 1 } }, '`spec` has a forbidden key "constructor" at spec.processor', 'spec.processor.constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    let deep: unknown = { kind: 'chain', processors: [] };
    for (let i = 0; i < 40; i++) deep = { kind: 'chain', processors: [deep] };
    expect(() => parseSpec({ rulelm: 1, processor: deep })).toThrow(/is nested deeper than 32 levels/);
    reject('x'.repeat(101), '`spec` is 101 characters long, more than `maxSize` (100)', 'spec', { maxSize: 100 });
    reject({ rulelm: 1, processor: { kind: 'token-bias', biases: Array.from({ length: 50 }, (_, i) => ({ token: i, bias: 1 })) } }, '`spec` is too large', 'spec', { maxSize: 100 });
    expect(() => parseSpec('{}', { maxsize: 3 } as never)).toThrow('unknown option "maxsize"');
  });

  it('a value whose getters or Proxy traps throw is reported as a RuleLMError', () => {
    const getter = { rulelm: 1, get processor(): unknown { throw new TypeError('boom'); } };
    reject(getter, '`spec` could not be read: boom', 'spec');
    const proxy = new Proxy({}, { ownKeys: () => { throw new RangeError('trap'); } });
    reject(proxy, '`spec` could not be read: trap', 'spec');
  });

  it('fuzz: any input either parses or throws a RuleLMError', () => {
    const specish = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('chain', 'token-bias', 'repetition-penalty', 'end-of-sequence-ramp', 'position-bias', 'product-of-experts', 'hewitt2024', 'response', 'presence', 'linear', 'logits', '__proto__'),
        fc.double(),
        fc.integer({ min: -3, max: 50 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('kind', 'processors', 'biases', 'token', 'tokens', 'bias', 'mode', 'penalty', 'scope', 'after', 'fallback', 'eosTokenIds', 'shape', 'positions', 'at', 'experts', 'processor', 'weight', 'rulelm', '__proto__', 'constructor'), tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    const check = (input: unknown): void => {
      try {
        parseSpec(input);
      } catch (error) {
        if (!RuleLMError.isInstance(error)) throw error;
      }
    };
    fc.assert(fc.property(fc.record({ rulelm: fc.constant(1), processor: specish }), check), { numRuns: 2000 });
    fc.assert(fc.property(specish, check), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), check), { numRuns: 500 });
    fc.assert(fc.property(fc.json(), check), { numRuns: 500 });
  });
});
