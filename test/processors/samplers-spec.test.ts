// Options, errors and JSON specs of the samplers: each goes through the public `toSpec`,
// `JSON.stringify` and `parseSpec`, as a user's spec file would.
import type { Processor } from '../../src/index';
import { describe, expect, it } from 'vitest';
import { DRY, EpsilonCutoff, EtaCutoff, MinP, NoRepeatNGram, parseSpec, startSequence, TopK, TopNSigma, TopP, toSpec, TypicalP, XTC } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';
import { loadTokenizer, pieceId } from '../helpers/tokenizers';

describe('sampler specs', () => {
  const cases: [Processor, unknown][] = [
    [new TopK({ topK: 5 }), { kind: 'top-k', topK: 5, minTokensToKeep: 1 }],
    [new TopP({ topP: 0.9, minTokensToKeep: 2 }), { kind: 'top-p', topP: 0.9, minTokensToKeep: 2 }],
    [new MinP({ minP: 0.05 }), { kind: 'min-p', minP: 0.05, minTokensToKeep: 1 }],
    [new TypicalP({ typicalP: 0.95 }), { kind: 'typical-p', typicalP: 0.95, minTokensToKeep: 1 }],
    [new EpsilonCutoff({ epsilon: 3e-4 }), { kind: 'epsilon-cutoff', epsilon: 3e-4, minTokensToKeep: 1 }],
    [new EtaCutoff({ epsilon: 2e-3 }), { kind: 'eta-cutoff', epsilon: 2e-3, minTokensToKeep: 1 }],
    [new TopNSigma({ n: 1 }), { kind: 'top-n-sigma', n: 1 }],
    [new XTC({ probability: 0.5, seed: 3 }), { kind: 'xtc', probability: 0.5, threshold: 0.1, minTokensToKeep: 1, seed: 3 }],
    [new NoRepeatNGram({ size: 3 }), { kind: 'no-repeat-ngram', size: 3 }],
    [new DRY({ multiplier: 0.8, lastN: 64, sequenceBreakers: [5, [6, 7]] }), { kind: 'dry', multiplier: 0.8, base: 1.75, allowedLength: 2, lastN: 64, sequenceBreakers: [5, [6, 7]] }],
  ];

  it.each(cases.map(([processor, json]) => [processor.kind, processor, json] as const))('%s: toSpec writes every option and parseSpec rebuilds an equal processor from the JSON text', (_kind, processor, json) => {
    expect(toSpec(processor)).toEqual({ rulelm: 1, processor: json });
    const rebuilt = parseSpec(JSON.stringify(toSpec(processor)));
    expect(rebuilt.constructor).toBe(processor.constructor);
    expect(toSpec(rebuilt)).toEqual({ rulelm: 1, processor: json });
  });

  it('rejects specs with unknown keys or out-of-range values, naming the field', () => {
    const spec = (processor: unknown): unknown => ({ rulelm: 1, processor });
    expectRuleLMError(() => parseSpec(spec({ kind: 'top-p', topP: 1.5 })), '`spec.processor.topP` is invalid: Invalid value: Expected <=1 but received 1.5', 'spec.processor.topP');
    expectRuleLMError(() => parseSpec(spec({ kind: 'top-k', topK: 2, extra: 1 })), '`spec.processor.extra` is an unknown field', 'spec.processor.extra');
    expectRuleLMError(() => parseSpec(spec({ kind: 'typical-p', typicalP: 1 })), '`spec.processor.typicalP` is invalid: Invalid value: Expected <1 but received 1', 'spec.processor.typicalP');
    expectRuleLMError(() => parseSpec(spec({ kind: 'no-repeat-ngram', size: 0 })), '`spec.processor.size` is invalid: Invalid value: Expected >=1 but received 0', 'spec.processor.size');
    expectRuleLMError(() => parseSpec(spec({ kind: 'xtc', probability: 1, seed: '3' })), '`spec.processor.seed` is invalid: Invalid type: Expected number but received "3"', 'spec.processor.seed');
    expectRuleLMError(() => parseSpec(spec({ kind: 'dry', multiplier: 1, sequenceBreakers: [[5], ['6']] })), '`spec.processor.sequenceBreakers[1][0]` is invalid: Invalid type: Expected number but received "6"', 'spec.processor.sequenceBreakers[1][0]');
    expectRuleLMError(() => parseSpec(spec({ kind: 'dry', multiplier: 1, sequenceBreakers: [[]] })), '`spec.processor.sequenceBreakers[0]` is invalid: Invalid length: Expected >=1 but received 0', 'spec.processor.sequenceBreakers[0]');
    // The schema lets a value through that the constructor then refuses, located in the spec.
    expectRuleLMError(() => parseSpec(spec({ kind: 'top-n-sigma', n: 0 })), '`n` must be a finite number greater than 0, but is 0 (in `spec.processor`)', 'spec.processor.n');
  });

  it('dry: text breakers resolve through the tokenizer given to parseSpec, and the spec keeps their ids', () => {
    const tokenizer = loadTokenizer('llama2');
    // A one-character breaker is every token whose text holds it (llama.cpp): in llama2 the 125
    // pieces with a "." and the byte token <0x2E>, in id order.
    const dots = [...tokenizer.get_vocab()].filter(([piece]) => piece.includes('.') || piece === '<0x2E>').map(([, id]) => id).sort((a, b) => a - b);
    expect(dots.length).toBe(126);
    expect(dots.slice(0, 4)).toEqual([pieceId('llama2', '<0x2E>'), 568, 609, 611]);
    expect(dots).toContain(pieceId('llama2', '.'));
    const document = { rulelm: 1, processor: { kind: 'dry', multiplier: 0.8, sequenceBreakers: ['.'] } };
    const dry = parseSpec(document, { tokenizer });
    expect(dry).toBeInstanceOf(DRY);
    expect((dry as DRY).sequenceBreakers).toEqual(dots.map((id) => [id]));
    expect(toSpec(dry).processor).toEqual({ kind: 'dry', multiplier: 0.8, base: 1.75, allowedLength: 2, sequenceBreakers: dots });
    // Token ids and sequences mix with texts; the ids are kept after the resolved text.
    const mixed = parseSpec({ rulelm: 1, processor: { kind: 'dry', multiplier: 0.8, sequenceBreakers: ['.', [13, 28705], 3] } }, { tokenizer });
    expect((mixed as DRY).sequenceBreakers).toEqual([...dots.map((id) => [id]), [13, 28705], [3]]);
    // The resolved spec loads back without the tokenizer; the text spec does not.
    expect(toSpec(parseSpec(JSON.stringify(toSpec(dry))))).toEqual(toSpec(dry));
    expectRuleLMError(() => parseSpec(document), '`sequenceBreakers[0]` is text, so `tokenizer` is required (in `spec.processor`)', 'spec.processor.tokenizer');
  });
});

describe('sampler options', () => {
  it('name the bad option and say what was expected', () => {
    expectRuleLMError(() => new TopK({ topK: 0 }), '`topK` must be a positive integer, but is 0', 'topK');
    expectRuleLMError(() => new TopK({ topK: 3, minTokensToKeep: 0 }), '`minTokensToKeep` must be a positive integer, but is 0', 'minTokensToKeep');
    expectRuleLMError(() => new TopP({ topP: 1.2 }), '`topP` must be a number in [0, 1], but is 1.2', 'topP');
    expectRuleLMError(() => new MinP({ minP: -0.1 }), '`minP` must be a number in [0, 1], but is -0.1', 'minP');
    expectRuleLMError(() => new TypicalP({ typicalP: 1 }), '`typicalP` must be a number in (0, 1), but is 1', 'typicalP');
    expectRuleLMError(() => new EpsilonCutoff({ epsilon: 0 }), '`epsilon` must be a number in (0, 1), but is 0', 'epsilon');
    expectRuleLMError(() => new EtaCutoff({ epsilon: Number.NaN }), '`epsilon` must be a number in (0, 1), but is NaN', 'epsilon');
    expectRuleLMError(() => new TopNSigma({ n: 0 }), '`n` must be a finite number greater than 0, but is 0', 'n');
    expectRuleLMError(() => new XTC({ probability: 2 }), '`probability` must be a number in [0, 1], but is 2', 'probability');
    expectRuleLMError(() => new XTC({ probability: 1, seed: 0.5 }), '`seed` must be a safe integer, but is 0.5', 'seed');
    expectRuleLMError(() => new NoRepeatNGram({ size: 1.5 }), '`size` must be a positive integer, but is 1.5', 'size');
    expectRuleLMError(() => new DRY({ multiplier: 0 }), '`multiplier` must be a finite number greater than 0, but is 0', 'multiplier');
    expectRuleLMError(() => new DRY({ multiplier: 1, base: 0.5 }), '`base` must be a finite number of at least 1, but is 0.5', 'base');
    expectRuleLMError(() => new DRY({ multiplier: 1, allowedLength: 0 }), '`allowedLength` must be a positive integer, but is 0', 'allowedLength');
    expectRuleLMError(() => new DRY({ multiplier: 1, lastN: -1 }), '`lastN` must be a positive integer, but is -1', 'lastN');
    expectRuleLMError(() => new DRY({ multiplier: 1, sequenceBreakers: ['\n'] }), '`sequenceBreakers[0]` is text, so `tokenizer` is required', 'tokenizer');
    expectRuleLMError(() => new DRY({ multiplier: 1, sequenceBreakers: [[1, -2]] }), '`sequenceBreakers[0][1]` must be a token id (an integer of at least 0), but is -2', 'sequenceBreakers[0][1]');
    expectRuleLMError(() => new TopP({ topP: 0.5, top_p: 0.5 } as never), '`options` has an unknown option "top_p"; known options are `topP`, `minTokensToKeep`', 'options.top_p');
  });

  it('checks DRY breaker ids against the vocabulary when a sequence starts', () => {
    expectRuleLMError(() => startSequence(new DRY({ multiplier: 1, sequenceBreakers: [[1, 9]] }), { prompt: [], vocabSize: 8 }), '`sequenceBreakers` holds token id 9, outside a vocabulary of 8 ids (0 to 7)', 'sequenceBreakers');
  });
});
