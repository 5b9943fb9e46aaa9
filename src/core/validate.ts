import { RuleLMError } from './errors';

/** Formats a value for an error message: strings quoted, arrays and objects as short JSON. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Throws a `RuleLMError` naming `argument`, saying what it must be and what it is. */
export function fail(argument: string, expected: string, value: unknown): never {
  throw new RuleLMError(`\`${argument}\` must be ${expected}, but is ${describe(value)}`, { argument });
}

/** Checks that `value` is a plain object whose keys are all in `known`. */
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

/** Checks that `value` is a finite number. */
export function assertFinite(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(argument, 'a finite number', value);
}

/** Checks that `value` is a finite number greater than 0. */
export function assertPositive(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(argument, 'a finite number greater than 0', value);
}

/** Checks that `value` is an integer greater than 0. */
export function assertPositiveInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(argument, 'a positive integer', value);
}

/** Checks that `value` is an integer of at least 0. */
export function assertNonNegativeInteger(argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(argument, 'a non-negative integer', value);
}

/** Checks that `value` is one of `choices`. */
export function assertOneOf<T extends string>(argument: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(argument, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  }
}

/** Checks that `value` is a boolean. */
export function assertBoolean(argument: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') fail(argument, 'a boolean', value);
}

/**
 * Checks a list of token ids (non-negative integers), optionally non-empty, and returns it as a
 * fresh `Int32Array`.
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

/** Checks that every id in `ids` is below `vocabSize`. */
export function assertIdsInVocabulary(argument: string, ids: ArrayLike<number>, vocabSize: number): void {
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
