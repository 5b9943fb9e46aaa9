import { RuleLMError } from './errors';

/**
 * Formats a value for an error message: strings quoted, typed arrays by type and length,
 * arrays and objects as short JSON.
 *
 * @param value Any value.
 * @returns A short description.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as ArrayLike<unknown>).length;
    return length === undefined ? value.constructor.name : `a ${value.constructor.name} of length ${length}`;
  }
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Throws a `RuleLMError` naming `argument`, saying what it must be and what it is.
 *
 * @param argument The argument's name.
 * @param expected What it must be ("a positive integer").
 * @param value What it is.
 * @returns Never.
 * @throws {RuleLMError} Always.
 */
export function fail(argument: string, expected: string, value: unknown): never {
  throw new RuleLMError(`\`${argument}\` must be ${expected}, but is ${describe(value)}`, { argument });
}

/**
 * Checks that `value` is a plain object whose keys are all in `known`.
 *
 * @param argument The argument's name.
 * @param value The options object.
 * @param known The option names it may have.
 * @throws {RuleLMError} On a non-object or an unknown key.
 */
export function assertOptions(argument: string, value: unknown, known: readonly string[]): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(argument, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new RuleLMError(
        `\`${argument}\` has an unknown option ${JSON.stringify(key)}; known options are ${known.map((k) => `\`${k}\``).join(', ')}`,
        { argument: `${argument}.${key}` },
      );
    }
  }
}

/**
 * Checks that `value` is a finite number.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @throws {RuleLMError} Otherwise.
 */
export function assertFinite(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(argument, 'a finite number', value);
}

/**
 * Checks that `value` is a finite number greater than 0.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @throws {RuleLMError} Otherwise.
 */
export function assertPositive(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(argument, 'a finite number greater than 0', value);
}

/**
 * Checks that `value` is an integer greater than 0.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @throws {RuleLMError} Otherwise.
 */
export function assertPositiveInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(argument, 'a positive integer', value);
}

/**
 * Checks that `value` is an integer of at least 0.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @throws {RuleLMError} Otherwise.
 */
export function assertNonNegativeInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(argument, 'a non-negative integer', value);
}

/**
 * Checks that `value` is one of `choices`.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @param choices The allowed strings.
 * @throws {RuleLMError} Otherwise.
 */
export function assertOneOf<T extends string>(argument: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(argument, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  }
}

/**
 * Checks that `value` is a boolean.
 *
 * @param argument The argument's name.
 * @param value The value.
 * @throws {RuleLMError} Otherwise.
 */
export function assertBoolean(argument: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') fail(argument, 'a boolean', value);
}

/**
 * Checks a list of token ids (non-negative integers), non-empty unless allowed, and returns it
 * as a fresh `Int32Array`.
 *
 * @param argument The argument's name.
 * @param value The list.
 * @param options `allowEmpty` to accept an empty list.
 * @returns The ids.
 * @throws {RuleLMError} On a non-list, an empty list or a bad id (named by index).
 */
export function toTokenIds(argument: string, value: unknown, options: { readonly allowEmpty?: boolean } = {}): Int32Array {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) fail(argument, 'an array of token ids', value);
  const list = value as ArrayLike<unknown>;
  if (list.length === 0 && options.allowEmpty !== true) fail(argument, 'a non-empty array of token ids', value);
  const ids = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      fail(`${argument}[${i}]`, 'a token id (an integer of at least 0)', id);
    }
    ids[i] = id;
  }
  return ids;
}

/**
 * Checks one token id (an integer from 0 to 2^31 - 1).
 *
 * @param argument The argument's name.
 * @param value The id.
 * @returns The id.
 * @throws {RuleLMError} Otherwise.
 */
export function toTokenId(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) fail(argument, 'a token id (an integer of at least 0)', value);
  return value;
}

/**
 * Checks an option that is one token id or a list of them, and returns the ids as a fresh
 * `Int32Array`; errors name the option itself for a single id and `option[i]` in a list.
 *
 * @param argument The argument's name.
 * @param value One id or a list.
 * @param options `allowEmpty` to accept an empty list.
 * @returns The ids.
 * @throws {RuleLMError} On anything else.
 */
export function toTokenIdList(argument: string, value: unknown, options: { readonly allowEmpty?: boolean } = {}): Int32Array {
  if (typeof value === 'number') return Int32Array.of(toTokenId(argument, value));
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) fail(argument, 'a token id or an array of token ids', value);
  return toTokenIds(argument, value, options);
}

/**
 * Checks that every id in `ids` is below `vocabSize`.
 *
 * @param argument The argument's name.
 * @param ids The ids.
 * @param vocabSize The vocabulary size.
 * @throws {RuleLMError} On a `vocabSize` that is not a positive integer, or the first id outside the vocabulary.
 */
export function assertIdsInVocabulary(argument: string, ids: ArrayLike<number>, vocabSize: number): void {
  assertPositiveInteger('vocabSize', vocabSize);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id >= vocabSize) {
      throw new RuleLMError(
        `\`${argument}\` holds token id ${id}, outside a vocabulary of ${vocabSize} ids (0 to ${vocabSize - 1})`,
        { argument },
      );
    }
  }
}

/**
 * Clamps a number to the finite float64 range (±`Number.MAX_VALUE`), leaving `NaN` as it is.
 * Processors add `saturate(weight * bias)` to a score: the product of two accepted finite numbers
 * can overflow, and an infinite addend would turn an infinite score into `NaN`
 * (`-Infinity + Infinity`). A finite addend never does: a masked score stays `-Infinity`, a
 * `+Infinity` stays `+Infinity`, and a finite one saturates to `±Infinity` in the `Float32Array`
 * row at worst.
 *
 * @param x A number.
 * @returns `x`, or ±`Number.MAX_VALUE` when `x` is infinite.
 */
export function saturate(x: number): number {
  return x > Number.MAX_VALUE ? Number.MAX_VALUE : x < -Number.MAX_VALUE ? -Number.MAX_VALUE : x;
}

/**
 * Checks that a list is no longer than a spec holds, so every processor that can be built also
 * loads back from its spec.
 *
 * @param argument The argument's name.
 * @param count The list's length.
 * @param max The most a spec holds.
 * @param what What the list holds ("experts").
 * @throws {RuleLMError} When `count` is above `max`.
 */
export function assertSpecLength(argument: string, count: number, max: number, what: string): void {
  if (count > max) throw new RuleLMError(`\`${argument}\` has ${count} ${what}; at most ${max} are supported (what a spec holds)`, { argument });
}
