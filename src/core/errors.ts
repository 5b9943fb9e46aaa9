const RULELM_ERROR = Symbol.for('rulelm.error');

/**
 * The one error class of rulelm. Every error the library throws on purpose is a
 * `RuleLMError`, with the offending argument named in `argument` and in the message.
 *
 * @example
 * ```ts
 * try {
 *   new EndOfSequenceRamp({ eosTokenIds: 2, rampLength: -3 });
 * } catch (error) {
 *   if (RuleLMError.isInstance(error)) console.log(error.argument); // "rampLength"
 * }
 * ```
 */
export class RuleLMError extends Error {
  /** The name of the offending argument or option, when there is one. */
  readonly argument: string | undefined;

  /**
   * Creates a rulelm error. The message is prefixed with `[rulelm]`.
   *
   * @param message What was wrong and what was expected.
   * @param options The offending `argument` and an optional `cause`.
   */
  constructor(message: string, options: { readonly argument?: string; readonly cause?: unknown } = {}) {
    super(`[rulelm] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuleLMError';
    this.argument = options.argument;
    Object.defineProperty(this, RULELM_ERROR, { value: true });
  }

  /**
   * Tells whether a value is a rulelm error, also across copies of the library loaded twice (it
   * checks a `Symbol.for` marker, not the class or the name).
   *
   * @param error Any value.
   * @returns `true` when `error` is a `RuleLMError`.
   */
  static isInstance(error: unknown): error is RuleLMError {
    return typeof error === 'object' && error !== null && (error as { [RULELM_ERROR]?: unknown })[RULELM_ERROR] === true;
  }
}
