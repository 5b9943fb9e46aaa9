import { describe, expect, it } from 'vitest';
import { endOfSequenceRamp, RuleLMError } from '../../src/index';
import { thrown } from '../helpers/errors';

describe('RuleLMError', () => {
  it('prefixes the message, names itself and keeps the argument', () => {
    const error = new RuleLMError('`x` must be 1, but is 2', { argument: 'x' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(RuleLMError);
    expect(error.name).toBe('RuleLMError');
    expect(error.message).toBe('[rulelm] `x` must be 1, but is 2');
    expect(error.argument).toBe('x');
    expect('cause' in error).toBe(false);
  });

  it('has no argument when none is given', () => {
    const error = new RuleLMError('something');
    expect(error.argument).toBeUndefined();
    expect(error.message).toBe('[rulelm] something');
  });

  it('keeps a cause', () => {
    const cause = new TypeError('inner');
    const error = new RuleLMError('outer', { argument: 'a', cause });
    expect(error.cause).toBe(cause);
    expect(error.argument).toBe('a');
  });

  it('isInstance recognizes its own errors and copies from another load of the library', () => {
    expect(RuleLMError.isInstance(new RuleLMError('x'))).toBe(true);
    // A RuleLMError from a second copy of the library is another class with the same name.
    class OtherCopy extends Error {
      override name = 'RuleLMError';
    }
    expect(RuleLMError.isInstance(new OtherCopy('x'))).toBe(true);
    expect(RuleLMError.isInstance({ name: 'RuleLMError' })).toBe(true);
  });

  it('isInstance rejects everything else', () => {
    expect(RuleLMError.isInstance(new Error('x'))).toBe(false);
    expect(RuleLMError.isInstance(new TypeError('RuleLMError'))).toBe(false);
    expect(RuleLMError.isInstance('RuleLMError')).toBe(false);
    expect(RuleLMError.isInstance(null)).toBe(false);
    expect(RuleLMError.isInstance(undefined)).toBe(false);
    expect(RuleLMError.isInstance({ name: 'Error' })).toBe(false);
    expect(RuleLMError.isInstance(42)).toBe(false);
  });

  it('is what the library throws, with the argument named (the documented example)', () => {
    const error = thrown(() => endOfSequenceRamp({ eosTokenIds: 2, rampLength: -3 }));
    expect(RuleLMError.isInstance(error)).toBe(true);
    expect((error as RuleLMError).argument).toBe('rampLength');
    expect((error as RuleLMError).message).toBe('[rulelm] `rampLength` must be a positive integer, but is -3');
  });
});
