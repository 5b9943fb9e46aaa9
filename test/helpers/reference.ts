import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One uniform-rule row of the reference JSON. */
export interface ReferenceTokenBias {
  readonly id: number;
  readonly piece: string;
  readonly bias: number;
}

/** The parts of `/work/shared/reference/hewitt2024-rules.json` the tests read. */
export interface Hewitt2024Reference {
  readonly prompt_template: string;
  readonly rules: {
    readonly uniform: { readonly token_biases: readonly ReferenceTokenBias[] };
    readonly diversity: { readonly penalty: number };
    readonly eos: { readonly bias: string };
    readonly start: { readonly t1: string; readonly t2: string };
  };
}

/** Where the reference file lives: `../shared/reference/` next to the repository. */
export const REFERENCE_PATH: string = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/reference/hewitt2024-rules.json');

/**
 * Reads the paper's reference constants, or returns `undefined` (with a visible notice) when the
 * shared directory is absent.
 *
 * @returns The parsed JSON, or `undefined`.
 */
export function loadReference(): Hewitt2024Reference | undefined {
  if (!existsSync(REFERENCE_PATH)) {
    console.warn(`[rulelm tests] ${REFERENCE_PATH} is absent: the tests that compare with the paper's reference JSON are SKIPPED.`);
    return undefined;
  }
  return JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Hewitt2024Reference;
}
