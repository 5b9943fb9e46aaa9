// A small hand-made evaluation for the summary and report tests.
import type { EvalItem, EvalRecord, EvalReport } from '../../src/eval/results';
import { summarize } from '../../src/eval/results';

export const ITEMS: EvalItem[] = [
  { id: 'a', instruction: 'Write without commas.', ifeval: { key: 1, prompt: 'Write without commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] } },
  { id: 'b', instruction: 'Say <hi> & wrap in quotes.', ifeval: { key: 2, prompt: 'Say <hi> & wrap in quotes.', instruction_id_list: ['startend:quotation', 'punctuation:no_comma'], kwargs: [{}, {}] } },
];

const record = (config: string, id: string, tokens: number[], finish: EvalRecord['finish'], text: string, ms = 100): EvalRecord => ({ config, id, tokens, finish, text, promptTokens: 5, ms });

export const RECORDS: EvalRecord[] = [
  record('base', 'a', [1, 2, 1, 2, 1, 2, 1, 2], 'limit', 'one, two <|user|> again'),
  record('preset', 'a', [3, 4, 5], 'eos', 'One two three.'),
  record('base', 'b', [6, 6, 6, 6, 6], 'limit', 'hi hi hi'),
  record('preset', 'b', [7, 8], 'eos', '"<hi>"'),
  record('unknown-config', 'a', [1], 'eos', 'ignored: not a requested configuration'),
  record('base', 'zzz', [1], 'eos', 'ignored: not an item'),
];

export const CONFIGS: { name: string; rules: string | undefined }[] = [
  { name: 'base', rules: undefined },
  { name: 'preset', rules: 'eos-uniform-diversity' },
];

/**
 * The report of the fixture.
 *
 * @returns The report.
 */
export function fixtureReport(): EvalReport {
  const { records, summaries } = summarize(ITEMS, RECORDS, CONFIGS);
  return {
    tool: 'rulelm eval',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    settings: { model: 'models/tiny', data: 'data/set.jsonl', configs: ['base', 'preset'], limit: undefined, maxNewTokens: 8, sample: false, temperature: 1, seed: 0, template: 'auto', fidelity: 'reference', dtype: 'fp32' },
    model: { source: 'local folder models/tiny' },
    items: 2,
    expected: 4,
    complete: true,
    configs: summaries,
    instructions: Object.fromEntries(ITEMS.map((i) => [i.id, i.instruction])),
    records: records.filter((r) => r.config === 'base' || r.config === 'preset'),
  };
}
