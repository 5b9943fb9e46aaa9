import { describe, expect, it } from 'vitest';
import { advanceAnchor, anchorBase, markerEndsAt, resolveAnchor } from '../../src/core/marker';
import { TokenHistory } from '../../src/index';
import { expectRuleLMError } from '../helpers/errors';

const history = (prompt: number[], response: number[] = []): TokenHistory => {
  const h = new TokenHistory(prompt, 10);
  for (const t of response) h.push(t);
  return h;
};

describe('resolveAnchor', () => {
  it('accepts the plain anchors', () => {
    expect(resolveAnchor('countFrom', 'response', 'sequence')).toEqual({ marker: new Int32Array(0), base: 'response', spec: 'response', argument: 'countFrom' });
    expect(resolveAnchor('countFrom', 'sequence', 'sequence')).toEqual({ marker: new Int32Array(0), base: 'sequence', spec: 'sequence', argument: 'countFrom' });
  });

  it('accepts a marker, with "sequence" as the default fallback', () => {
    expect(resolveAnchor('countFrom', { after: [4, 5] }, 'sequence')).toEqual({ marker: Int32Array.from([4, 5]), base: 'sequence', spec: { after: [4, 5], fallback: 'sequence' }, argument: 'countFrom' });
    expect(resolveAnchor('countFrom', { after: [4], fallback: 'response' }, 'sequence')).toEqual({ marker: Int32Array.from([4]), base: 'response', spec: { after: [4], fallback: 'response' }, argument: 'countFrom' });
    expect(resolveAnchor('countFrom', { after: [4] }, 'response').base).toBe('response');
  });

  it('rejects anything else, naming the option', () => {
    const plain = (shown: string): string => `\`scope\` must be "response", "sequence" or { after: tokenIds }, but is ${shown}`;
    expectRuleLMError(() => resolveAnchor('scope', 'prompt', 'sequence'), plain('"prompt"'), 'scope');
    expectRuleLMError(() => resolveAnchor('scope', 3, 'sequence'), plain('3'), 'scope');
    expectRuleLMError(() => resolveAnchor('scope', null, 'sequence'), plain('null'), 'scope');
    expectRuleLMError(() => resolveAnchor('scope', [1, 2], 'sequence'), plain('[1,2]'), 'scope');
    expectRuleLMError(() => resolveAnchor('scope', undefined, 'sequence'), plain('undefined'), 'scope');
    expectRuleLMError(
      () => resolveAnchor('scope', { after: [1], fallbak: 'response' }, 'sequence'),
      '`scope` has an unknown option "fallbak"; known options are `after`, `fallback`',
      'scope.fallbak',
    );
    expectRuleLMError(() => resolveAnchor('scope', { after: [1], fallback: 'prompt' }, 'sequence'), '`scope.fallback` must be one of "response", "sequence", but is "prompt"', 'scope.fallback');
    expectRuleLMError(() => resolveAnchor('scope', { after: [] }, 'sequence'), '`scope.after` must be a non-empty array of token ids, but is []', 'scope.after');
    expectRuleLMError(() => resolveAnchor('scope', {}, 'sequence'), '`scope.after` must be an array of token ids, but is undefined', 'scope.after');
    expectRuleLMError(() => resolveAnchor('scope', { after: [1, -2] }, 'sequence'), '`scope.after[1]` must be a token id (an integer of at least 0), but is -2', 'scope.after[1]');
  });
});

describe('anchorBase', () => {
  it('is the prompt length for "response" and 0 for "sequence"', () => {
    const h = history([1, 2, 3], [4]);
    expect(anchorBase(resolveAnchor('a', 'response', 'sequence'), h)).toBe(3);
    expect(anchorBase(resolveAnchor('a', 'sequence', 'sequence'), h)).toBe(0);
    expect(anchorBase(resolveAnchor('a', { after: [9] }, 'sequence'), h)).toBe(0);
    expect(anchorBase(resolveAnchor('a', { after: [9], fallback: 'response' }, 'sequence'), h)).toBe(3);
  });
});

describe('markerEndsAt', () => {
  const tokens = Int32Array.from([1, 2, 3, 1, 2]);
  it('tells whether the marker ends just before `end`', () => {
    const marker = Int32Array.from([1, 2]);
    expect(markerEndsAt(marker, tokens, 2)).toBe(true);
    expect(markerEndsAt(marker, tokens, 3)).toBe(false);
    expect(markerEndsAt(marker, tokens, 5)).toBe(true);
    expect(markerEndsAt(marker, tokens, 1)).toBe(false);
    expect(markerEndsAt(marker, tokens, 0)).toBe(false);
    expect(markerEndsAt(Int32Array.from([3]), tokens, 3)).toBe(true);
    expect(markerEndsAt(Int32Array.from([2, 3, 1, 2]), tokens, 5)).toBe(true);
  });
  it('never matches an empty marker', () => {
    expect(markerEndsAt(new Int32Array(0), tokens, 3)).toBe(false);
  });
});

describe('advanceAnchor', () => {
  const anchor = resolveAnchor('a', { after: [1, 2] }, 'sequence');
  it('moves just past the last marker ending in the new positions', () => {
    const h = history([1, 2, 3, 1, 2, 4]);
    expect(advanceAnchor(anchor, 0, h, 0)).toBe(5);
    expect(advanceAnchor(anchor, 0, h, 5)).toBe(0); // the marker ending at index 4 is not new
    expect(advanceAnchor(anchor, 7, h, 3)).toBe(5);
  });
  it('finds a marker split between old and new positions', () => {
    const h = history([3, 1], [2]);
    expect(advanceAnchor(anchor, 0, h, 2)).toBe(3);
  });
  it('keeps the start when no marker ends, and always for plain anchors', () => {
    const h = history([2, 1, 3]);
    expect(advanceAnchor(anchor, 2, h, 0)).toBe(2);
    expect(advanceAnchor(resolveAnchor('a', 'response', 'sequence'), 3, history([1, 2]), 0)).toBe(3);
  });
});
