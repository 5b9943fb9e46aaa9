import { describe, expect, it } from 'vitest';
import { leftPad, promptIds } from '../../../src/adapters/transformers/experts-batch';
import { loadTokenizer } from '../../helpers/tokenizers';

describe('leftPad', () => {
  it('pads every row on the left to the longest, and masks the padding', () => {
    expect(leftPad([[5, 6, 7], [8]], 0)).toEqual({ inputIds: [[5n, 6n, 7n], [0n, 0n, 8n]], attentionMask: BigInt64Array.from([1n, 1n, 1n, 0n, 0n, 1n]), width: 3 });
    expect(leftPad([[4], [9, 3]], 2)).toEqual({ inputIds: [[2n, 4n], [9n, 3n]], attentionMask: BigInt64Array.from([0n, 1n, 1n, 1n]), width: 2 });
    expect(leftPad([[1]], 0)).toEqual({ inputIds: [[1n]], attentionMask: BigInt64Array.from([1n]), width: 1 });
  });
});

describe('promptIds', () => {
  const tokenizer = loadTokenizer('llama2');

  it('encodes strings, one or a batch, and takes id arrays as they are', () => {
    const once = tokenizer.encode('Once upon a time');
    expect(promptIds(tokenizer, 'Once upon a time')).toEqual([once]);
    expect(promptIds(tokenizer, ['Once upon a time', 'Hi'])).toEqual([once, tokenizer.encode('Hi')]);
    expect(promptIds(tokenizer, [[1, 2], [3]])).toEqual([[1, 2], [3]]);
  });

  it('rejects anything else, naming `prompts`', () => {
    expect(() => promptIds(tokenizer, 3)).toThrow('`prompts` must be a string, an array of strings or an array of token id arrays, but is 3');
    expect(() => promptIds(tokenizer, [])).toThrow('`prompts` must be a non-empty list, but is []');
    expect(() => promptIds(tokenizer, [[1], []])).toThrow('`prompts` must be prompts of at least one token, but is [[1],[]]');
    expect(() => promptIds(tokenizer, [[1, -2]])).toThrow('`prompts[0]');
  });
});
