import { expect } from 'vitest';
import { RuleLMError } from '../../src/index';

/**
 * Calls `fn` and returns what it threw; fails when it throws nothing.
 *
 * @param fn The call.
 * @returns The thrown value.
 */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('test helper: expected the call to throw, but it returned');
}

/**
 * Asserts that `fn` throws a `RuleLMError` with exactly this message (without the `[rulelm] `
 * prefix) and this `argument`.
 *
 * @param fn The call.
 * @param message The expected message after the prefix.
 * @param argument The expected `argument` field.
 */
export function expectRuleLMError(fn: () => unknown, message: string, argument: string | undefined): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(RuleLMError);
  expect(RuleLMError.isInstance(error)).toBe(true);
  const e = error as RuleLMError;
  expect({ name: e.name, message: e.message, argument: e.argument }).toEqual({ name: 'RuleLMError', message: `[rulelm] ${message}`, argument });
}
