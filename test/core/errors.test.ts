import type * as Errors from '../../src/core/errors';
import { describe, expect, it } from 'vitest';
import { EndOfSequenceRamp, RuleLMError } from '../../src/index';
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

  it('prints as RuleLMError (the class name, not a minified or underscored one)', () => {
    const error = new RuleLMError('x');
    expect(error.name).toBe('RuleLMError');
    expect(String(error)).toBe('RuleLMError: [rulelm] x');
    expect(String(new RuleLMError('`a` must be 1, but is 2', { argument: 'a' })).startsWith('RuleLMError: [rulelm] ')).toBe(true);
    expect(error.stack?.startsWith('RuleLMError: [rulelm] x')).toBe(true);
  });

  it('isInstance recognizes its own errors and errors of a second copy of the library', async () => {
    expect(RuleLMError.isInstance(new RuleLMError('x'))).toBe(true);
    // A second copy of the module (as when two versions of the package are installed): another
    // class, so `instanceof` fails, but the Symbol.for marker is shared.
    const specifier = '../../src/core/errors.ts?copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof Errors;
    expect(copy.RuleLMError).not.toBe(RuleLMError);
    const foreign = new copy.RuleLMError('y', { argument: 'b' });
    expect(foreign instanceof RuleLMError).toBe(false);
    expect(RuleLMError.isInstance(foreign)).toBe(true);
    expect(copy.RuleLMError.isInstance(new RuleLMError('x'))).toBe(true);
    // The marker is what counts.
    expect(RuleLMError.isInstance({ [Symbol.for('rulelm.error')]: true })).toBe(true);
    expect(RuleLMError.isInstance({ [Symbol.for('rulelm.error')]: 'yes' })).toBe(false);
  });

  it('isInstance does not go by the name', () => {
    class SameName extends Error {
      override name = 'RuleLMError';
    }
    expect(RuleLMError.isInstance(new SameName('x'))).toBe(false);
    const named = new Error('[rulelm] x');
    named.name = 'RuleLMError';
    expect(RuleLMError.isInstance(named)).toBe(false);
    expect(RuleLMError.isInstance({ name: 'RuleLMError' })).toBe(false);
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
    const error = thrown(() => new EndOfSequenceRamp({ eosTokenIds: 2, rampLength: -3 }));
    expect(RuleLMError.isInstance(error)).toBe(true);
    expect((error as RuleLMError).argument).toBe('rampLength');
    expect((error as RuleLMError).message).toBe('[rulelm] `rampLength` must be a positive integer, but is -3');
  });
});
