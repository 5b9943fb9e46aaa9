import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProcessorSpec } from '../../src/index';
import { Chain, DRY, EndOfSequenceRamp, EpsilonCutoff, EtaCutoff, hewitt2024, MinP, NoRepeatNGram, parseSpec, PositionBias, Processor, ProductOfExperts, RepetitionPenalty, RuleLMError, startSequence, TokenBias, TopK, TopNSigma, TopP, toSpec, TypicalP, XTC } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { loadTokenizer } from '../helpers/tokenizers';

const V = 40;

// Runs a processor over a fixed token stream and random-looking rows; returns every processed row.
function trajectory(processor: Processor, prompt: number[] = [3, 9, 1, 2, 7], steps = 12): number[][] {
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

const roundTrip = (p: Processor): Processor => parseSpec(JSON.stringify(toSpec(p)));

describe('toSpec / parseSpec round trip', () => {
  const cases: [string, Processor][] = [
    ['linear EOS ramp with a marker', new EndOfSequenceRamp({ eosTokenIds: [2, 1], maxBias: 9, rampLength: 5, afterRamp: 'zero', countFrom: { after: [7, 2], fallback: 'response' } })],
    ['exponential EOS ramp', new EndOfSequenceRamp({ eosTokenIds: 2, shape: 'exponential', start: 2, factor: 1.3 })],
    ['presence penalty after a marker, windowed, with exempt ids', new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: { after: [9, 1] }, window: 4, exempt: [3] })],
    ['frequency penalty', new RepetitionPenalty({ mode: 'frequency', penalty: 0.4, scope: 'sequence' })],
    ['multiplicative penalty', new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.3 })],
    ['token and sequence biases', new TokenBias({ biases: [{ token: 4, bias: -2 }, { tokens: [5, 6], bias: 3 }, { token: 4, bias: 0.5 }] })],
    ['sparse and dense position biases', new PositionBias({ positions: [{ at: 0, biases: Float32Array.from({ length: V }, (_, j) => j / 10) }, { at: 2, biases: [{ token: 8, bias: 15 }] }] })],
    [
      'product of experts in both modes',
      new Chain(
        new ProductOfExperts({ baseWeight: 0.5, output: 'log-probs', experts: [{ processor: new TokenBias({ biases: [{ token: 1, bias: 2 }] }), weight: -1 }] }),
        new ProductOfExperts({ experts: [{ processor: new RepetitionPenalty({ mode: 'presence', penalty: 1 }), weight: 2 }] }),
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
    const run = (p: Processor): number[][] => {
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
    class Mine extends Processor<null> {
      readonly kind = 'mine';
      override readonly additive = true;
      createState(): null {
        return null;
      }
      process(): void {}
    }
    expect(() => toSpec(new Chain(new TokenBias({ biases: [{ token: 1, bias: 1 }] }), new Mine()))).toThrow('`processors[1]` (kind "mine") cannot be serialized: it has no toJSON()');
    expect(() => toSpec(new Mine())).toThrow('`processor` (kind "mine") cannot be serialized: it has no toJSON()');
    expect(() => toSpec(new ProductOfExperts({ experts: [{ processor: new Mine() }] }))).toThrow('`experts[0].processor` (kind "mine") cannot be serialized: it has no toJSON()');
  });

  it('toSpec rejects what is not a processor', () => {
    expect(() => toSpec({ kind: 'token-bias', createState: () => null, process: () => undefined } as never)).toThrow('`processor` must be a rulelm processor (an instance of a Processor subclass), but is {"kind":"token-bias"}');
  });
});

describe('every kind, through JSON', () => {
  // One processor of every kind; each result is built again from its JSON text.
  const kinds = (): [string, Processor][] => [
    ['chain', new Chain(new TokenBias({ biases: [{ token: 3, bias: 1 }] }), new Chain(new RepetitionPenalty({ mode: 'frequency', penalty: 0.5 })))],
    ['end-of-sequence-ramp', new EndOfSequenceRamp({ eosTokenIds: 2, maxBias: 6, rampLength: 3 })],
    ['repetition-penalty', new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.4, scope: 'sequence', window: 6 })],
    ['token-bias', new TokenBias({ biases: [{ token: 7, bias: 2.5 }, { tokens: [9, 1], bias: -4 }] })],
    ['position-bias', new PositionBias({ positions: [{ at: 7, biases: [{ token: 12, bias: 3 }] }], countFrom: 'sequence' })],
    ['product-of-experts', new ProductOfExperts({ baseWeight: 2, output: 'log-probs', experts: [{ processor: new EndOfSequenceRamp({ eosTokenIds: 2 }), weight: 0.5 }] })],
    ['top-k', new TopK({ topK: 5, minTokensToKeep: 2 })],
    ['top-p', new TopP({ topP: 0.8, minTokensToKeep: 2 })],
    ['min-p', new MinP({ minP: 0.1, minTokensToKeep: 3 })],
    ['typical-p', new TypicalP({ typicalP: 0.7, minTokensToKeep: 2 })],
    ['epsilon-cutoff', new EpsilonCutoff({ epsilon: 0.02, minTokensToKeep: 2 })],
    ['eta-cutoff', new EtaCutoff({ epsilon: 0.05, minTokensToKeep: 2 })],
    ['top-n-sigma', new TopNSigma({ n: 1.2 })],
    ['xtc', new XTC({ probability: 0.6, threshold: 0.05, minTokensToKeep: 2, seed: 11 })],
    ['dry', new DRY({ multiplier: 0.8, base: 1.5, allowedLength: 1, lastN: 30, sequenceBreakers: [38, [6, 35]] })],
    ['no-repeat-ngram', new NoRepeatNGram({ size: 2 })],
  ];
  for (const [kind, processor] of kinds()) {
    it(`${kind}: toSpec -> JSON.stringify -> parseSpec gives the same spec, class and rows`, () => {
      // The rows change, so comparing them compares behavior.
      expect(trajectory(processor)).not.toEqual(trajectory(new Chain()));
      const spec = toSpec(processor);
      expect(spec.rulelm).toBe(1);
      expect(spec.processor.kind).toBe(kind);
      const again = parseSpec(JSON.stringify(spec));
      expect(again.constructor).toBe(processor.constructor);
      expect(toSpec(again)).toEqual(spec);
      expect(JSON.stringify(toSpec(again))).toBe(JSON.stringify(spec));
      expect(trajectory(again)).toEqual(trajectory(processor));
      // JSON.stringify of the processor itself is its spec (toJSON).
      expect(JSON.parse(JSON.stringify(processor)) as ProcessorSpec).toEqual(spec.processor);
    });
  }

  it('hewitt2024: the preset kind builds the preset, whose spec is its chain of rules', () => {
    const tokenizer = loadTokenizer('llama2');
    const fromKind = parseSpec({ rulelm: 1, processor: { kind: 'hewitt2024', fidelity: 'clean' } }, { tokenizer });
    const preset = hewitt2024(tokenizer, { fidelity: 'clean' });
    expect(fromKind).toBeInstanceOf(Chain);
    expect(toSpec(fromKind)).toEqual(toSpec(preset));
    expect(toSpec(preset).processor.kind).toBe('chain');
    const again = parseSpec(JSON.stringify(toSpec(fromKind)));
    expect(toSpec(again)).toEqual(toSpec(preset));
  });
});

describe('hand-written specs get the constructors\' defaults', () => {
  /** Asserts that a hand-written spec builds what the constructor call builds: same spec, same rows. */
  const same = (processor: Record<string, unknown>, constructed: Processor): void => {
    const parsed = parseSpec({ rulelm: 1, processor });
    expect(parsed.constructor).toBe(constructed.constructor);
    expect(toSpec(parsed)).toEqual(toSpec(constructed));
    expect(trajectory(parsed, [3, 9, 1, 2, 7], 12)).toEqual(trajectory(constructed, [3, 9, 1, 2, 7], 12));
  };

  it('repetition-penalty without scope, window or exempt', () => {
    same({ kind: 'repetition-penalty', mode: 'presence', penalty: 1.5 }, new RepetitionPenalty({ mode: 'presence', penalty: 1.5 }));
    expect(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'repetition-penalty', mode: 'presence', penalty: 1.5 } })).processor).toEqual({ kind: 'repetition-penalty', mode: 'presence', penalty: 1.5, scope: 'response' });
  });

  it('end-of-sequence-ramp without shape, maxBias, rampLength, afterRamp or countFrom', () => {
    same({ kind: 'end-of-sequence-ramp', eosTokenIds: 2 }, new EndOfSequenceRamp({ eosTokenIds: 2 }));
    same({ kind: 'end-of-sequence-ramp', eosTokenIds: [2, 5], rampLength: 4 }, new EndOfSequenceRamp({ eosTokenIds: [2, 5], rampLength: 4 }));
    same({ kind: 'end-of-sequence-ramp', eosTokenIds: 2, shape: 'exponential', factor: 1.5 }, new EndOfSequenceRamp({ eosTokenIds: 2, shape: 'exponential', factor: 1.5 }));
    expect(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'end-of-sequence-ramp', eosTokenIds: 2 } })).processor).toEqual({
      kind: 'end-of-sequence-ramp',
      eosTokenIds: [2],
      shape: 'linear',
      maxBias: 15,
      rampLength: 250,
      afterRamp: 'hold',
      countFrom: 'response',
    });
    expect(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'end-of-sequence-ramp', eosTokenIds: 2, shape: 'exponential', factor: 1.5 } })).processor).toEqual({
      kind: 'end-of-sequence-ramp',
      eosTokenIds: [2],
      shape: 'exponential',
      start: 0,
      factor: 1.5,
      countFrom: 'response',
    });
  });

  it('product-of-experts without baseWeight, output or an expert weight', () => {
    const bias = { kind: 'token-bias', biases: [{ token: 4, bias: 2 }] };
    same({ kind: 'product-of-experts', experts: [{ processor: bias }] }, new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 4, bias: 2 }] }) }] }));
    expect(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'product-of-experts', experts: [{ processor: bias }] } })).processor).toEqual({
      kind: 'product-of-experts',
      baseWeight: 1,
      output: 'logits',
      experts: [{ processor: bias, weight: 1 }],
    });
  });

  it('position-bias without countFrom', () => {
    same({ kind: 'position-bias', positions: [{ at: 0, biases: [{ token: 5, bias: 2 }] }, { at: 2, biases: [1, 2, 3] }] }, new PositionBias({ positions: [{ at: 0, biases: [{ token: 5, bias: 2 }] }, { at: 2, biases: Float32Array.from([1, 2, 3]) }] }));
    expect(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'position-bias', positions: [{ at: 0, biases: [{ token: 5, bias: 2 }] }] } })).processor).toEqual({
      kind: 'position-bias',
      positions: [{ at: 0, biases: [{ token: 5, bias: 2 }] }],
      countFrom: 'response',
    });
  });

  it('a marker anchor without fallback gets the processor\'s default fallback', () => {
    same({ kind: 'repetition-penalty', mode: 'frequency', penalty: 1, scope: { after: [9, 1] } }, new RepetitionPenalty({ mode: 'frequency', penalty: 1, scope: { after: [9, 1] } }));
    same({ kind: 'end-of-sequence-ramp', eosTokenIds: 2, rampLength: 5, countFrom: { after: [2] } }, new EndOfSequenceRamp({ eosTokenIds: 2, rampLength: 5, countFrom: { after: [2] } }));
    same({ kind: 'position-bias', positions: [{ at: 1, biases: [{ token: 5, bias: 2 }] }], countFrom: { after: [1, 2] } }, new PositionBias({ positions: [{ at: 1, biases: [{ token: 5, bias: 2 }] }], countFrom: { after: [1, 2] } }));
    const scope = (spec: ProcessorSpec): unknown => (spec as { scope?: unknown; countFrom?: unknown }).scope ?? (spec as { countFrom?: unknown }).countFrom;
    expect(scope(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'repetition-penalty', mode: 'frequency', penalty: 1, scope: { after: [9, 1] } } })).processor)).toEqual({ after: [9, 1], fallback: 'sequence' });
    expect(scope(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'end-of-sequence-ramp', eosTokenIds: 2, countFrom: { after: [2] } } })).processor)).toEqual({ after: [2], fallback: 'response' });
    expect(scope(toSpec(parseSpec({ rulelm: 1, processor: { kind: 'position-bias', positions: [{ at: 1, biases: [{ token: 5, bias: 2 }] }], countFrom: { after: [1, 2] } } })).processor)).toEqual({ after: [1, 2], fallback: 'response' });
  });

  it('token-bias without unresolved, and an empty chain', () => {
    same({ kind: 'token-bias', biases: [{ token: 1, bias: 1 }] }, new TokenBias({ biases: [{ token: 1, bias: 1 }] }));
    same({ kind: 'chain', processors: [] }, new Chain());
  });
});

describe('parseSpec rejects bad input with clear errors', () => {
  const reject = (input: unknown, message: string, argument: string, options = {}): void => expectRuleLMError(() => parseSpec(input, options), message, argument);

  it('unknown fields, wrong types and bad values', () => {
    reject({ rulelm: 1, processor: { kind: 'chain', processors: [], extra: 1 } }, '`spec.processor.extra` is an unknown field', 'spec.processor.extra');
    reject({ rulelm: 2, processor: { kind: 'chain', processors: [] } }, '`spec.rulelm` is invalid: Invalid type: Expected 1 but received 2', 'spec.rulelm');
    const kinds = '"chain", "end-of-sequence-ramp", "repetition-penalty", "token-bias", "position-bias", "product-of-experts", "hewitt2024", "top-k", "top-p", "min-p", "typical-p", "epsilon-cutoff", "eta-cutoff", "top-n-sigma", "xtc", "dry", "no-repeat-ngram"';
    reject({ rulelm: 1, processor: { kind: 'magic' } }, `\`spec.processor\` is invalid: Expected an object whose \`kind\` is one of ${kinds}`, 'spec.processor');
    reject({ rulelm: 1, processor: { kind: 'repetition-penalty', mode: 'presence', penalty: 1, scope: 'response', window: 0 } }, '`window` must be a positive integer, but is 0 (in `spec.processor`)', 'spec.processor.window');
    reject(
      { rulelm: 1, processor: { kind: 'chain', processors: [{ kind: 'product-of-experts', baseWeight: 1, output: 'logits', experts: [{ processor: { kind: 'repetition-penalty', mode: 'multiplicative', penalty: 2, scope: 'response' }, weight: 1 }] }] } },
      '`experts[0].processor` must be an additive processor (a rule whose scores do not depend on the row), but is a repetition-penalty that is not (in `spec.processor.processors[0]`)',
      'spec.processor.processors[0].experts[0].processor',
    );
    reject('{"rulelm":1,"processor":{"kind":"hewitt2024"}}', 'the hewitt2024 preset needs the `tokenizer` option of `parseSpec` (in `spec.processor`)', 'spec.processor.tokenizer');
    reject('{"rulelm":1,"processor":{"kind":"token-bias","biases":[{"text":"x","bias":1}]}}', '`biases[0].text` is text, so `tokenizer` is required (in `spec.processor`)', 'spec.processor.tokenizer');
  });

  it('errors inside unions name the innermost place and a real reason (issue 13: "Expected Object but received Object")', () => {
    const spec = (processor: unknown): unknown => ({ rulelm: 1, processor });
    const P = 'spec.processor';
    reject(spec({ kind: 'token-bias', biases: [{ token: '1', bias: 1 }] }), `\`${P}.biases[0].token\` is invalid: Invalid type: Expected number but received "1"`, `${P}.biases[0].token`);
    reject(spec({ kind: 'token-bias', biases: [{ tokens: [1, 'x'], bias: 1 }] }), `\`${P}.biases[0].tokens[1]\` is invalid: Invalid type: Expected number but received "x"`, `${P}.biases[0].tokens[1]`);
    reject(spec({ kind: 'token-bias', biases: [{ text: 'a', bias: 'x' }] }), `\`${P}.biases[0].bias\` is invalid: Invalid type: Expected number but received "x"`, `${P}.biases[0].bias`);
    reject(spec({ kind: 'token-bias', biases: [{ token: 1, tokens: [1], bias: 1 }] }), `\`${P}.biases[0]\` is invalid: Expected an object with exactly one of \`token\`, \`tokens\` or \`text\`, and \`bias\``, `${P}.biases[0]`);
    reject(spec({ kind: 'token-bias', biases: [5] }), `\`${P}.biases[0]\` is invalid: Expected an object with exactly one of \`token\`, \`tokens\` or \`text\`, and \`bias\``, `${P}.biases[0]`);
    reject(spec({ kind: 'repetition-penalty', mode: 'presence', penalty: 1, scope: 3 }), `\`${P}.scope\` is invalid: Expected "response", "sequence" or an object { after: [ids], fallback? }`, `${P}.scope`);
    reject(spec({ kind: 'repetition-penalty', mode: 'presence', penalty: 1, scope: 'all' }), `\`${P}.scope\` is invalid: Invalid type: Expected ("response" | "sequence") but received "all"`, `${P}.scope`);
    reject(spec({ kind: 'repetition-penalty', mode: 'presence', penalty: 1, scope: { after: [1, 'x'] } }), `\`${P}.scope.after[1]\` is invalid: Invalid type: Expected number but received "x"`, `${P}.scope.after[1]`);
    reject(spec({ kind: 'end-of-sequence-ramp', eosTokenIds: '2' }), `\`${P}.eosTokenIds\` is invalid: Invalid type: Expected number but received "2"`, `${P}.eosTokenIds`);
    reject(spec({ kind: 'end-of-sequence-ramp', eosTokenIds: [2, -1] }), `\`${P}.eosTokenIds[1]\` is invalid: Invalid value: Expected >=0 but received -1`, `${P}.eosTokenIds[1]`);
    reject(spec({ kind: 'position-bias', positions: [{ at: 0, biases: [1, 'x'] }] }), `\`${P}.positions[0].biases[1]\` is invalid: Invalid type: Expected number but received "x"`, `${P}.positions[0].biases[1]`);
    reject(spec({ kind: 'position-bias', positions: [{ at: 0, biases: [{ token: 1, bias: '2' }] }] }), `\`${P}.positions[0].biases[0].bias\` is invalid: Invalid type: Expected number but received "2"`, `${P}.positions[0].biases[0].bias`);
    // Unions in other files' schemas (the preset's) get the same treatment from parseSpec.
    reject(spec({ kind: 'hewitt2024', eosTokenIds: 'x' }), `\`${P}.eosTokenIds\` is invalid: Invalid type: Expected number but received "x"`, `${P}.eosTokenIds`);
    reject(spec({ kind: 'chain', processors: [{ kind: 'hewitt2024', markers: { user: 5 } }] }), `\`${P}.processors[0].markers.user\` is invalid: Invalid type: Expected string but received 5`, `${P}.processors[0].markers.user`);
  });

  it('unknown kinds, also nested, name the place', () => {
    const kinds = '"chain", "end-of-sequence-ramp", "repetition-penalty", "token-bias", "position-bias", "product-of-experts", "hewitt2024", "top-k", "top-p", "min-p", "typical-p", "epsilon-cutoff", "eta-cutoff", "top-n-sigma", "xtc", "dry", "no-repeat-ngram"';
    const unknown = (where: string): string => `\`${where}\` is invalid: Expected an object whose \`kind\` is one of ${kinds}`;
    reject({ rulelm: 1, processor: { kind: 'magic' } }, unknown('spec.processor'), 'spec.processor');
    reject({ rulelm: 1, processor: { kind: 'tokenBias', biases: [] } }, unknown('spec.processor'), 'spec.processor');
    reject({ rulelm: 1, processor: {} }, unknown('spec.processor'), 'spec.processor');
    reject({ rulelm: 1, processor: 3 }, unknown('spec.processor'), 'spec.processor');
    reject({ rulelm: 1, processor: { kind: 'chain', processors: [{ kind: 'token-bias', biases: [{ token: 1, bias: 1 }] }, { kind: 'magic' }] } }, unknown('spec.processor.processors[1]'), 'spec.processor.processors[1]');
    reject({ rulelm: 1, processor: { kind: 'product-of-experts', experts: [{ processor: { kind: 'nope' } }] } }, unknown('spec.processor.experts[0].processor'), 'spec.processor.experts[0].processor');
  });

  it('the hewitt2024 kind without a tokenizer, also nested', () => {
    reject(
      { rulelm: 1, processor: { kind: 'chain', processors: [{ kind: 'hewitt2024', fidelity: 'clean' }] } },
      'the hewitt2024 preset needs the `tokenizer` option of `parseSpec` (in `spec.processor.processors[0]`)',
      'spec.processor.processors[0].tokenizer',
    );
  });

  it('not JSON, prototype-pollution keys, deep nesting and oversized input', () => {
    reject('{"rulelm":', '`spec` is not valid JSON: Unexpected end of JSON input', 'spec');
    reject('{"rulelm":1,"processor":{"kind":"chain","processors":[],"__proto__":{"polluted":true}}}', '`spec` has a forbidden key "__proto__" at spec.processor', 'spec.processor.__proto__');
    reject({ rulelm: 1, processor: { kind: 'chain', processors: [], constructor: 1 } }, '`spec` has a forbidden key "constructor" at spec.processor', 'spec.processor.constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    let deep: unknown = { kind: 'chain', processors: [] };
    for (let i = 0; i < 40; i++) deep = { kind: 'chain', processors: [deep] };
    expect(() => parseSpec({ rulelm: 1, processor: deep })).toThrow(/is nested deeper than 64 levels/);
    reject('x'.repeat(101), '`spec` is 101 characters long, more than `maxSize` (100)', 'spec', { maxSize: 100 });
    reject({ rulelm: 1, processor: { kind: 'token-bias', biases: Array.from({ length: 50 }, (_, i) => ({ token: i, bias: 1 })) } }, '`spec` is too large: more than `maxSize` (100) JSON values; pass a larger `maxSize` to read it', 'spec', { maxSize: 100 });
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
        fc.constantFrom('chain', 'token-bias', 'repetition-penalty', 'end-of-sequence-ramp', 'position-bias', 'product-of-experts', 'hewitt2024', 'top-k', 'top-p', 'min-p', 'typical-p', 'epsilon-cutoff', 'eta-cutoff', 'top-n-sigma', 'xtc', 'dry', 'no-repeat-ngram', 'response', 'presence', 'linear', 'logits', '.', '__proto__'),
        fc.double(),
        fc.integer({ min: -3, max: 50 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(
          fc.constantFrom('kind', 'processors', 'biases', 'token', 'tokens', 'bias', 'mode', 'penalty', 'scope', 'after', 'fallback', 'eosTokenIds', 'shape', 'positions', 'at', 'experts', 'processor', 'weight', 'rulelm', 'topK', 'topP', 'minP', 'typicalP', 'epsilon', 'n', 'probability', 'threshold', 'seed', 'minTokensToKeep', 'multiplier', 'base', 'allowedLength', 'lastN', 'sequenceBreakers', 'size', '__proto__', 'constructor'),
          tie('value'),
          { maxKeys: 5 },
        ),
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
