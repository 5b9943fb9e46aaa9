import { describe, expect, it } from 'vitest';
import { TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';

describe('TokenHistory', () => {
  it('holds the prompt', () => {
    const history = new TokenHistory([4, 0, 9], 10);
    expect(history.length).toBe(3);
    expect(history.promptLength).toBe(3);
    expect(history.responseLength).toBe(0);
    expect(history.vocabSize).toBe(10);
    expect(history.tokens.subarray(0, 3)).toEqual(Int32Array.from([4, 0, 9]));
  });

  it('accepts an empty prompt and a typed-array prompt', () => {
    const empty = new TokenHistory([], 5);
    expect([empty.length, empty.promptLength, empty.responseLength]).toEqual([0, 0, 0]);
    const typed = new TokenHistory(Int32Array.from([1, 2]), 5);
    expect(typed.tokens.subarray(0, typed.length)).toEqual(Int32Array.from([1, 2]));
  });

  it('appends tokens after the prompt and counts the response', () => {
    const history = new TokenHistory([1], 10);
    history.push(2);
    history.push(3);
    expect(history.length).toBe(3);
    expect(history.promptLength).toBe(1);
    expect(history.responseLength).toBe(2);
    expect(history.tokens.subarray(0, 3)).toEqual(Int32Array.from([1, 2, 3]));
  });

  it('starts with room for the prompt plus 64 tokens, or the capacity asked for', () => {
    expect(new TokenHistory([1, 2, 3], 10).tokens.length).toBe(67);
    expect(new TokenHistory([1, 2, 3], 10, 1000).tokens.length).toBe(1000);
    expect(new TokenHistory([1, 2, 3], 10, 5).tokens.length).toBe(67);
  });

  it('doubles its buffer when full and keeps every token', () => {
    const history = new TokenHistory([], 1000);
    expect(history.tokens.length).toBe(64);
    for (let i = 0; i < 64; i++) history.push(i);
    expect(history.tokens.length).toBe(64);
    history.push(64);
    expect(history.tokens.length).toBe(128);
    for (let i = 65; i < 300; i++) history.push(i);
    expect(history.tokens.length).toBe(512);
    expect(history.length).toBe(300);
    expect(history.tokens.subarray(0, 300)).toEqual(Int32Array.from({ length: 300 }, (_, i) => i));
  });

  it('rejects tokens outside the vocabulary, non-integers and NaN, and leaves the history unchanged', () => {
    const history = new TokenHistory([1], 10);
    expectRuleLMError(() => history.push(10), '`token` must be a token id from 0 to 9, but is 10', 'token');
    expectRuleLMError(() => history.push(-1), '`token` must be a token id from 0 to 9, but is -1', 'token');
    expectRuleLMError(() => history.push(1.5), '`token` must be a token id from 0 to 9, but is 1.5', 'token');
    expectRuleLMError(() => history.push('1' as unknown as number), '`token` must be a token id from 0 to 9, but is "1"', 'token');
    expectRuleLMError(() => history.push([] as unknown as number), '`token` must be a token id from 0 to 9, but is []', 'token');
    expectRuleLMError(() => history.push(Number.NaN), '`token` must be a token id from 0 to 9, but is NaN', 'token');
    expectRuleLMError(() => history.push(10, 'next'), '`next` must be a token id from 0 to 9, but is 10', 'next');
    expect(history.length).toBe(1);
  });

  it('names the custom argument in push errors', () => {
    const history = new TokenHistory([], 4);
    expectRuleLMError(() => history.push(4, 'tokens[2]'), '`tokens[2]` must be a token id from 0 to 3, but is 4', 'tokens[2]');
  });

  it('rejects a bad prompt', () => {
    expectRuleLMError(() => new TokenHistory([1, 10], 10), '`prompt[1]` must be a token id from 0 to 9, but is 10', 'prompt[1]');
    expectRuleLMError(() => new TokenHistory([0.5], 10), '`prompt[0]` must be a token id from 0 to 9, but is 0.5', 'prompt[0]');
    expectRuleLMError(() => new TokenHistory(5 as unknown as number[], 10), '`prompt` must be an array of token ids, but is 5', 'prompt');
    expectRuleLMError(() => new TokenHistory(null as unknown as number[], 10), '`prompt` must be an array of token ids, but is null', 'prompt');
    expectRuleLMError(() => new TokenHistory('12' as unknown as number[], 10), '`prompt` must be an array of token ids, but is "12"', 'prompt');
  });

  it('rejects a bad vocabulary size or capacity', () => {
    expectRuleLMError(() => new TokenHistory([], 0), '`vocabSize` must be a positive integer, but is 0', 'vocabSize');
    expectRuleLMError(() => new TokenHistory([], 2.5), '`vocabSize` must be a positive integer, but is 2.5', 'vocabSize');
    expectRuleLMError(() => new TokenHistory([], Number.NaN), '`vocabSize` must be a positive integer, but is NaN', 'vocabSize');
    expectRuleLMError(() => new TokenHistory([], Infinity), '`vocabSize` must be a positive integer, but is Infinity', 'vocabSize');
    expectRuleLMError(() => new TokenHistory([], 5, -1), '`capacity` must be a non-negative integer, but is -1', 'capacity');
    expectRuleLMError(() => new TokenHistory([], 5, 1.5), '`capacity` must be a non-negative integer, but is 1.5', 'capacity');
  });
});
