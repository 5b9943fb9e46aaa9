import { describe, expect, it } from 'vitest';
import {
  assertBoolean,
  assertFinite,
  assertIdsInVocabulary,
  assertNonNegativeInteger,
  assertOneOf,
  assertOptions,
  assertPositive,
  assertPositiveInteger,
  describe as describeValue,
  fail,
  toTokenIds,
} from '../../src/core/validate';
import { expectRuleLMError } from '../helpers/errors';

describe('describe (values in error messages)', () => {
  it('formats primitives', () => {
    expect(describeValue('a"b')).toBe('"a\\"b"');
    expect(describeValue(3)).toBe('3');
    expect(describeValue(-0.5)).toBe('-0.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue(true)).toBe('true');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(12n)).toBe('12n');
    expect(describeValue(() => 1)).toBe('a function');
  });

  it('formats objects and arrays as short JSON', () => {
    expect(describeValue([1, 2])).toBe('[1,2]');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    const long = describeValue(Array.from({ length: 40 }, (_, i) => i));
    expect(long).toHaveLength(60);
    expect(long).toBe(`${JSON.stringify(Array.from({ length: 40 }, (_, i) => i)).slice(0, 57)}...`);
  });

  it('formats typed arrays by type and length', () => {
    expect(describeValue(new Float32Array(4))).toBe('a Float32Array of length 4');
    expect(describeValue(new Float64Array(0))).toBe('a Float64Array of length 0');
    expect(describeValue(new DataView(new ArrayBuffer(2)))).toBe('DataView');
  });

  it('falls back to the object tag when JSON fails', () => {
    const circular: { self?: unknown } = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe('[object Object]');
  });
});

describe('fail and the assertions', () => {
  it('fail names the argument, the expectation and the value', () => {
    expectRuleLMError(() => fail('rampLength', 'a positive integer', -3), '`rampLength` must be a positive integer, but is -3', 'rampLength');
  });

  it('assertOptions rejects non-objects and unknown keys', () => {
    expectRuleLMError(() => assertOptions('options', null, ['a']), '`options` must be an object, but is null', 'options');
    expectRuleLMError(() => assertOptions('options', [1], ['a']), '`options` must be an object, but is [1]', 'options');
    expectRuleLMError(() => assertOptions('options', 'a', ['a']), '`options` must be an object, but is "a"', 'options');
    expectRuleLMError(
      () => assertOptions('options', { a: 1, rampLenght: 2 }, ['a', 'rampLength']),
      '`options` has an unknown option "rampLenght"; known options are `a`, `rampLength`',
      'options.rampLenght',
    );
    expect(() => assertOptions('options', { a: undefined }, ['a'])).not.toThrow();
    expect(() => assertOptions('options', {}, [])).not.toThrow();
  });

  it('assertFinite', () => {
    expect(() => assertFinite('x', -2.5)).not.toThrow();
    for (const [value, shown] of [[Number.NaN, 'NaN'], [Infinity, 'Infinity'], ['1', '"1"'], [undefined, 'undefined']] as const) {
      expectRuleLMError(() => assertFinite('x', value), `\`x\` must be a finite number, but is ${shown}`, 'x');
    }
  });

  it('assertPositive', () => {
    expect(() => assertPositive('x', 0.001)).not.toThrow();
    for (const [value, shown] of [[0, '0'], [-1, '-1'], [Number.NaN, 'NaN'], [Infinity, 'Infinity']] as const) {
      expectRuleLMError(() => assertPositive('x', value), `\`x\` must be a finite number greater than 0, but is ${shown}`, 'x');
    }
  });

  it('assertPositiveInteger', () => {
    expect(() => assertPositiveInteger('x', 1)).not.toThrow();
    for (const [value, shown] of [[0, '0'], [-3, '-3'], [2.5, '2.5'], [Number.NaN, 'NaN'], [Infinity, 'Infinity'], [2 ** 60, String(2 ** 60)]] as const) {
      expectRuleLMError(() => assertPositiveInteger('x', value), `\`x\` must be a positive integer, but is ${shown}`, 'x');
    }
  });

  it('assertNonNegativeInteger', () => {
    expect(() => assertNonNegativeInteger('x', 0)).not.toThrow();
    for (const [value, shown] of [[-1, '-1'], [0.5, '0.5'], [Number.NaN, 'NaN']] as const) {
      expectRuleLMError(() => assertNonNegativeInteger('x', value), `\`x\` must be a non-negative integer, but is ${shown}`, 'x');
    }
  });

  it('assertOneOf and assertBoolean', () => {
    expect(() => assertOneOf('shape', 'linear', ['linear', 'exponential'])).not.toThrow();
    expectRuleLMError(() => assertOneOf('shape', 'cubic', ['linear', 'exponential']), '`shape` must be one of "linear", "exponential", but is "cubic"', 'shape');
    expectRuleLMError(() => assertOneOf('shape', 1, ['linear']), '`shape` must be one of "linear", but is 1', 'shape');
    expect(() => assertBoolean('b', false)).not.toThrow();
    expectRuleLMError(() => assertBoolean('b', 0), '`b` must be a boolean, but is 0', 'b');
  });
});

describe('toTokenIds', () => {
  it('returns a fresh Int32Array from an array or a typed array', () => {
    expect(toTokenIds('ids', [3, 0, 7])).toEqual(Int32Array.from([3, 0, 7]));
    const source = Uint16Array.from([5, 6]);
    const ids = toTokenIds('ids', source);
    expect(ids).toEqual(Int32Array.from([5, 6]));
    source[0] = 9;
    expect(ids[0]).toBe(5);
    expect(toTokenIds('ids', [0x7fffffff])).toEqual(Int32Array.from([0x7fffffff]));
  });

  it('rejects empty lists unless allowed', () => {
    expectRuleLMError(() => toTokenIds('ids', []), '`ids` must be a non-empty array of token ids, but is []', 'ids');
    expect(toTokenIds('ids', [], { allowEmpty: true })).toEqual(new Int32Array(0));
  });

  it('rejects non-arrays and bad entries, naming the index', () => {
    expectRuleLMError(() => toTokenIds('ids', 3), '`ids` must be an array of token ids, but is 3', 'ids');
    expectRuleLMError(() => toTokenIds('ids', '12'), '`ids` must be an array of token ids, but is "12"', 'ids');
    expectRuleLMError(() => toTokenIds('ids', [1, 1.5]), '`ids[1]` must be a token id (an integer of at least 0), but is 1.5', 'ids[1]');
    expectRuleLMError(() => toTokenIds('ids', [-1]), '`ids[0]` must be a token id (an integer of at least 0), but is -1', 'ids[0]');
    expectRuleLMError(() => toTokenIds('ids', [Number.NaN]), '`ids[0]` must be a token id (an integer of at least 0), but is NaN', 'ids[0]');
    expectRuleLMError(() => toTokenIds('ids', [2 ** 31]), '`ids[0]` must be a token id (an integer of at least 0), but is 2147483648', 'ids[0]');
    expectRuleLMError(() => toTokenIds('ids', ['1']), '`ids[0]` must be a token id (an integer of at least 0), but is "1"', 'ids[0]');
  });

  it('assertIdsInVocabulary', () => {
    expect(() => assertIdsInVocabulary('ids', [0, 9], 10)).not.toThrow();
    expectRuleLMError(() => assertIdsInVocabulary('ids', [0, 10], 10), '`ids` holds token id 10, outside a vocabulary of 10 ids (0 to 9)', 'ids');
  });
});
