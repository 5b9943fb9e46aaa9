// Reads an instruction set: JSONL rows with an `instruction` or `prompt` field (IFEval rows also
// carry `instruction_id_list` and `kwargs`).

import type { EvalItem } from '../eval/results';
import { readFileSync } from 'node:fs';
import { RuleLMError } from '../core/errors';
import { evaluateIfeval, isIfevalRow } from '../eval/ifeval';

/**
 * Parses the text of an instruction set.
 *
 * @param text JSONL: one JSON object per line (blank lines are skipped).
 * @param source The file name, for errors.
 * @param limit Take only the first `limit` rows.
 * @returns The items, with ids from the row's `key` or `id` field, else the line number.
 * @throws {RuleLMError} On a line that is not a JSON object, a row without an `instruction` or
 * `prompt` string, a duplicate id, or no rows at all.
 */
export function parseInstructionSet(text: string, source: string, limit?: number): EvalItem[] {
  const items: EvalItem[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && (limit === undefined || items.length < limit); i++) {
    const line = (lines[i] as string).trim();
    if (line.length === 0) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new RuleLMError(`\`--data\` ${source} line ${i + 1} is not valid JSON (${(error as Error).message})`, { argument: '--data', cause: error });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new RuleLMError(`\`--data\` ${source} line ${i + 1} must be a JSON object`, { argument: '--data' });
    const r = row as Record<string, unknown>;
    const instruction = typeof r.instruction === 'string' ? r.instruction : typeof r.prompt === 'string' ? r.prompt : undefined;
    if (instruction === undefined) throw new RuleLMError(`\`--data\` ${source} line ${i + 1} has no "instruction" or "prompt" string`, { argument: '--data' });
    const key = r.key ?? r.id;
    const id = typeof key === 'string' || typeof key === 'number' ? String(key) : String(i + 1);
    if (seen.has(id)) throw new RuleLMError(`\`--data\` ${source} line ${i + 1} repeats the id ${JSON.stringify(id)}`, { argument: '--data' });
    seen.add(id);
    if (isIfevalRow(row)) {
      // Check the instruction ids and arguments now, not after every response is generated.
      try {
        evaluateIfeval(row, '');
      } catch (error) {
        if (!RuleLMError.isInstance(error)) throw error;
        throw new RuleLMError(`\`--data\` ${source} line ${i + 1}: ${error.message.replace(/^\[rulelm\] /, '')}`, { argument: '--data', cause: error });
      }
    }
    items.push({ id, instruction, ifeval: isIfevalRow(row) ? row : undefined });
  }
  if (items.length === 0) throw new RuleLMError(`\`--data\` ${source} has no instructions`, { argument: '--data' });
  return items;
}

/**
 * Reads an instruction set from a JSONL file.
 *
 * @param file The file.
 * @param limit Take only the first `limit` rows.
 * @returns The items.
 * @throws {RuleLMError} When the file cannot be read, or as {@link parseInstructionSet}.
 */
export function readInstructionSet(file: string, limit?: number): EvalItem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RuleLMError(`\`--data\` ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { argument: '--data', cause: error });
  }
  return parseInstructionSet(text, file, limit);
}

/**
 * A short fingerprint of a text (FNV-1a, 32 bits, and the length), to tell whether an
 * instruction changed between runs.
 *
 * @param text The text.
 * @returns The fingerprint, e.g. `"1a2b3c4d-1234"`.
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${h.toString(16).padStart(8, '0')}-${text.length}`;
}
