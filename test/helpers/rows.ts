import type { Processor, Sequence } from '../../src/index';
import { startSequence } from '../../src/index';

/**
 * A `Float32Array` row from numbers (each rounded to float32).
 *
 * @param values The scores.
 * @returns The row.
 */
export function row(values: readonly number[]): Float32Array {
  return Float32Array.from(values);
}

/**
 * Runs a processor once on a copy of `base` for the sequence as it stands.
 *
 * @param sequence The sequence.
 * @param base The scores before processing (not changed).
 * @returns The processed copy.
 */
export function step(sequence: Sequence, base: Float32Array): Float32Array {
  return sequence.process(base.slice());
}

/**
 * Starts a sequence of a processor with a prompt and runs it on `base` after each of `tokens`
 * is pushed: the rows at t = 0 (before any push) to t = tokens.length.
 *
 * @param processor The processor.
 * @param prompt The prompt ids.
 * @param tokens The generated ids, pushed one by one.
 * @param base The scores before processing.
 * @returns One processed row per step.
 */
export function run(processor: Processor, prompt: readonly number[], tokens: readonly number[], base: Float32Array): Float32Array[] {
  const sequence = startSequence(processor, { prompt, vocabSize: base.length });
  const rows = [step(sequence, base)];
  for (const token of tokens) {
    sequence.push(token);
    rows.push(step(sequence, base));
  }
  return rows;
}
