import type { Processor } from '../core/processor';
import type { ProcessorSpec } from './types';
import { RuleLMError } from '../core/errors';

/**
 * Returns a processor's JSON spec.
 *
 * @param processor The processor.
 * @param argument Its name, for the error message.
 * @returns The spec.
 * @throws {RuleLMError} When the processor has no `toJSON` (a custom processor).
 */
export function specOf(processor: Processor, argument: string): ProcessorSpec {
  if (typeof processor.toJSON !== 'function') {
    throw new RuleLMError(`\`${argument}\` (kind ${JSON.stringify(processor.kind)}) cannot be serialized: it has no toJSON()`, { argument });
  }
  return processor.toJSON();
}
