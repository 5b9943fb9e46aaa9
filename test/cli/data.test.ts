import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, parseInstructionSet, readInstructionSet } from '../../src/cli/data';
import { expectRuleLMError } from '../helpers/errors';

describe('instruction sets', () => {
  it('reads instruction or prompt fields, with ids from key, id or the line number', () => {
    const text = ['{"instruction": "First"}', '', '{"prompt": "Second", "id": "x"}', '{"key": 7, "prompt": "Third", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}'].join('\n');
    expect(parseInstructionSet(text, 'set.jsonl')).toEqual([
      { id: '1', instruction: 'First', ifeval: undefined },
      { id: 'x', instruction: 'Second', ifeval: undefined },
      { id: '7', instruction: 'Third', ifeval: { key: 7, prompt: 'Third', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] } },
    ]);
    expect(parseInstructionSet(text, 'set.jsonl', 2).map((i) => i.id)).toEqual(['1', 'x']);
  });

  it('explains bad rows, naming --data', () => {
    expect(() => parseInstructionSet('{"instruction": "a"}\n{oops', 's.jsonl')).toThrow(/^\[rulelm\] `--data` s\.jsonl line 2 is not valid JSON \(.+\)$/);
    expectRuleLMError(() => parseInstructionSet('[1]', 's.jsonl'), '`--data` s.jsonl line 1 must be a JSON object', '--data');
    expectRuleLMError(() => parseInstructionSet('{"text": "a"}', 's.jsonl'), '`--data` s.jsonl line 1 has no "instruction" or "prompt" string', '--data');
    expectRuleLMError(() => parseInstructionSet('{"id": 1, "prompt": "a"}\n{"id": "1", "prompt": "b"}', 's.jsonl'), '`--data` s.jsonl line 2 repeats the id "1"', '--data');
    expectRuleLMError(() => parseInstructionSet('\n\n', 's.jsonl'), '`--data` s.jsonl has no instructions', '--data');
  });

  it('checks IFEval instruction ids and arguments when reading, before any generation', () => {
    const row = (ids: string[], kwargs: object[]): string => JSON.stringify({ key: 1, prompt: 'p', instruction_id_list: ids, kwargs });
    expect(() => parseInstructionSet(row(['no_such:type'], [{}]), 'i.jsonl')).toThrow(/^\[rulelm\] `--data` i\.jsonl line 1: /);
    expect(() => parseInstructionSet(row(['keywords:letter_frequency'], [{ letter: 'ab', let_frequency: 2, let_relation: 'at least' }]), 'i.jsonl')).toThrow(/^\[rulelm\] `--data` i\.jsonl line 1: .*letter/);
    expect(parseInstructionSet(row(['punctuation:no_comma'], [{}]), 'i.jsonl')).toHaveLength(1);
  });

  it('reads a file, and names --data when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulelm-data-'));
    writeFileSync(join(dir, 'set.jsonl'), '{"instruction": "Hi"}\n');
    expect(readInstructionSet(join(dir, 'set.jsonl'))).toEqual([{ id: '1', instruction: 'Hi', ifeval: undefined }]);
    expectRuleLMError(() => readInstructionSet(join(dir, 'missing.jsonl')), `\`--data\` ${join(dir, 'missing.jsonl')} cannot be read (ENOENT)`, '--data');
  });

  it('fingerprints text', () => {
    expect(fingerprint('')).toBe('811c9dc5-0');
    expect(fingerprint('a')).toBe('e40c292c-1');
    expect(fingerprint('ab')).not.toBe(fingerprint('ba'));
  });
});
