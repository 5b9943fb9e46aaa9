// Agreement of the TypeScript IFEval checks with the official (Python) checker, on the GPT-4
// responses whose official decisions are published in ../shared/data (the dev half).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IfevalRow } from '../../src/eval/ifeval';
import { evaluateIfeval } from '../../src/eval/ifeval';

const DIR = path.resolve(__dirname, '../../../shared/data/ifeval');
const FILES = ['input_data.jsonl', 'official_results_strict.dev.jsonl', 'official_results_loose.dev.jsonl'];
const PRESENT = FILES.every((f) => existsSync(path.join(DIR, f)));
if (!PRESENT) {
  console.warn(`[rulelm tests] NOTICE: ${DIR} (${FILES.join(', ')}) is missing; the IFEval agreement test is SKIPPED.`);
}

interface Official {
  readonly prompt: string;
  readonly response: string;
  readonly instruction_id_list: readonly string[];
  readonly follow_instruction_list: readonly boolean[];
}

const read = <T>(file: string): T[] =>
  readFileSync(path.join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as T);

describe.skipIf(!PRESENT)('IFEval agreement with the official checker (dev half of the GPT-4 responses)', () => {
  it('agrees on at least 99% of instruction-level decisions, strict and loose', () => {
    const inputs = new Map(read<IfevalRow>('input_data.jsonl').map((r) => [r.prompt, r]));
    const strict = read<Official>('official_results_strict.dev.jsonl');
    const loose = new Map(read<Official>('official_results_loose.dev.jsonl').map((r) => [r.prompt, r]));
    const byType = new Map<string, { n: number; strict: number; loose: number }>();
    const disagreements: string[] = [];
    let n = 0;
    let agreeStrict = 0;
    let agreeLoose = 0;
    let promptsStrict = 0;
    let promptsLoose = 0;
    for (const official of strict) {
      const row = inputs.get(official.prompt);
      const officialLoose = loose.get(official.prompt);
      expect(row, 'every official row has its prompt in input_data.jsonl').toBeDefined();
      expect(officialLoose, 'strict and loose files cover the same prompts').toBeDefined();
      const ours = evaluateIfeval(row as IfevalRow, official.response);
      expect(ours.ids).toEqual(official.instruction_id_list);
      if (ours.strict.every(Boolean) === official.follow_instruction_list.every(Boolean)) promptsStrict++;
      if (ours.loose.every(Boolean) === (officialLoose as Official).follow_instruction_list.every(Boolean)) promptsLoose++;
      ours.ids.forEach((id, i) => {
        const t = byType.get(id) ?? { n: 0, strict: 0, loose: 0 };
        const s = ours.strict[i] === official.follow_instruction_list[i];
        const l = ours.loose[i] === (officialLoose as Official).follow_instruction_list[i];
        t.n++;
        n++;
        if (s) {
          t.strict++;
          agreeStrict++;
        }
        if (l) {
          t.loose++;
          agreeLoose++;
        }
        byType.set(id, t);
        if (!s || !l) {
          disagreements.push(`${id} (key ${String((row as IfevalRow).key)}): ours strict ${ours.strict[i]} loose ${ours.loose[i]}, official strict ${official.follow_instruction_list[i]} loose ${(officialLoose as Official).follow_instruction_list[i]}`);
        }
      });
    }
    const lines = [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([id, t]) => `${id.padEnd(46)} ${String(t.n).padStart(3)}  strict ${((100 * t.strict) / t.n).toFixed(1).padStart(5)}%  loose ${((100 * t.loose) / t.n).toFixed(1).padStart(5)}%`);
    console.log(
      [
        `IFEval agreement on ${strict.length} prompts, ${n} instructions:`,
        `  instruction level: strict ${((100 * agreeStrict) / n).toFixed(2)}%, loose ${((100 * agreeLoose) / n).toFixed(2)}%`,
        `  prompt level:      strict ${((100 * promptsStrict) / strict.length).toFixed(2)}%, loose ${((100 * promptsLoose) / strict.length).toFixed(2)}%`,
        ...lines,
        'disagreements:',
        ...disagreements.map((d) => `  ${d}`),
      ].join('\n'),
    );
    expect(strict.length).toBe(270);
    expect(agreeStrict / n).toBeGreaterThanOrEqual(0.99);
    expect(agreeLoose / n).toBeGreaterThanOrEqual(0.99);
  });
});
