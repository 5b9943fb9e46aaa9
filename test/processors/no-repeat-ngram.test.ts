import type { Tensor as TensorType } from '@huggingface/transformers';
import { NoRepeatNGramLogitsProcessor, Tensor } from '@huggingface/transformers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startSequence } from '../../src/index';
import { NoRepeatNGram } from '../../src/processors/no-repeat-ngram';
import { row } from '../helpers/rows';

const I = Infinity;

function banned(size: number, prompt: readonly number[], vocabSize = 6): Float32Array {
  return startSequence(new NoRepeatNGram({ size }), { prompt, vocabSize }).process(new Float32Array(vocabSize));
}

describe('NoRepeatNGram', () => {
  it('bans the tokens that followed the last size - 1 tokens before', () => {
    expect(banned(2, [1, 2, 1], 4)).toEqual(row([0, 0, -I, 0]));
    expect(banned(3, [1, 2, 3, 1, 2])).toEqual(row([0, 0, 0, -I, 0, 0]));
    // "1 2" was followed by 3 and by 4
    expect(banned(3, [1, 2, 3, 1, 2, 4, 5, 1, 2])).toEqual(row([0, 0, 0, -I, -I, 0]));
    // the (n-1)-gram "2 1" never occurred before
    expect(banned(3, [1, 2, 3, 2, 1])).toEqual(row([0, 0, 0, 0, 0, 0]));
  });

  it('bans every token seen with size 1, and nothing while the sequence is shorter than size - 1', () => {
    expect(banned(1, [4, 1, 4])).toEqual(row([0, -I, 0, 0, -I, 0]));
    expect(banned(4, [1, 1])).toEqual(row([0, 0, 0, 0, 0, 0]));
    expect(banned(2, [])).toEqual(row([0, 0, 0, 0, 0, 0]));
  });

  it('updates incrementally as tokens are pushed (prompt and response alike)', () => {
    const sequence = startSequence(new NoRepeatNGram({ size: 2 }), { prompt: [3], vocabSize: 5 });
    const steps = [4, 3, 1, 3].map((t) => {
      sequence.push(t);
      return sequence.process(new Float32Array(5));
    });
    expect(steps).toEqual([row([0, 0, 0, 0, 0]), row([0, 0, 0, 0, -I]), row([0, 0, 0, 0, 0]), row([0, -I, 0, 0, -I])]);
  });

  it('bans exactly what transformers.js NoRepeatNGramLogitsProcessor bans, on random histories', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 30 }), (size, prompt, generated) => {
        const V = 5;
        const sequence = startSequence(new NoRepeatNGram({ size }), { prompt, vocabSize: V });
        const tjs = new NoRepeatNGramLogitsProcessor(size);
        const ids = prompt.map(BigInt);
        for (let step = 0; step <= generated.length; step++) {
          const logits = new Tensor('float32', new Float32Array(V), [1, V]);
          tjs._call([ids], logits as TensorType);
          expect(sequence.process(new Float32Array(V))).toEqual((logits as unknown as { data: Float32Array }).data);
          if (step === generated.length) break;
          const t = generated[step] as number;
          sequence.push(t);
          ids.push(BigInt(t));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps working past its table growth (long histories)', () => {
    const tokens = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000);
    const sequence = startSequence(new NoRepeatNGram({ size: 2 }), { prompt: tokens, vocabSize: 1000 });
    const out = sequence.process(new Float32Array(1000));
    const last = tokens[tokens.length - 1] as number;
    const expected = new Float32Array(1000);
    for (let p = 0; p + 1 < tokens.length; p++) if (tokens[p] === last) expected[tokens[p + 1] as number] = -I;
    expect(out).toEqual(expected);
  });
});
