import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProgressSettings } from '../../src/cli/progress';
import { openProgress, progressKey, writeAtomic } from '../../src/cli/progress';
import { expectRuleLMError } from '../helpers/errors';

const SETTINGS: ProgressSettings = { model: '/m', data: '/d.jsonl', maxNewTokens: 8, sample: false, temperature: null, seed: null, template: 'auto', fidelity: 'reference', dtype: 'fp32' };
const RECORD = { config: 'base', id: '1', hash: 'h', tokens: [1, 2], finish: 'limit' as const, text: 'ab', promptTokens: 3, ms: 1 };
const file = (): string => join(mkdtempSync(join(tmpdir(), 'rulelm-progress-')), 'out', 'progress.jsonl');

describe('progress file', () => {
  it('writes a header, appends records and reads them back', () => {
    const path = file();
    const first = openProgress(path, SETTINGS);
    expect(first.done.size).toBe(0);
    first.append(RECORD);
    first.append({ ...RECORD, config: 'preset' });
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toEqual({ rulelm: 'eval-progress', version: 1, settings: SETTINGS });
    expect(lines).toHaveLength(3);
    const second = openProgress(path, SETTINGS);
    expect([...second.done.keys()]).toEqual([progressKey('base', '1'), progressKey('preset', '1')]);
    expect(second.done.get(progressKey('base', '1'))).toEqual(RECORD);
    expect(second.ignoredLines).toBe(0);
  });

  it('ignores a line cut by a crash and keeps the next record whole', () => {
    const path = file();
    openProgress(path, SETTINGS).append(RECORD);
    appendFileSync(path, '{"config":"preset","id":"1","tok');
    const resumed = openProgress(path, SETTINGS);
    expect(resumed.ignoredLines).toBe(1);
    resumed.append({ ...RECORD, id: '2' });
    const again = openProgress(path, SETTINGS);
    expect(again.ignoredLines).toBe(0); // the cut line was dropped when it was first seen
    expect([...again.done.keys()]).toEqual([progressKey('base', '1'), progressKey('base', '2')]);
  });

  it('names --out when the output folder cannot be made (a file is in the way)', () => {
    const path = file();
    openProgress(path, SETTINGS).append(RECORD);
    expect(() => openProgress(`${path}/inner/progress.jsonl`, SETTINGS)).toThrow(/^\[rulelm\] `--out` .*inner cannot be used as the output folder \((ENOTDIR|EEXIST)\)$/);
  });

  it('refuses to resume with other settings, naming the option', () => {
    const path = file();
    openProgress(path, SETTINGS);
    // Without records (e.g. the model failed to load), other settings simply take over.
    openProgress(path, { ...SETTINGS, model: '/other' });
    openProgress(path, SETTINGS).append(RECORD);
    expectRuleLMError(
      () => openProgress(path, { ...SETTINGS, maxNewTokens: 16 }),
      `\`--max-new-tokens\` is 16, but ${path} was made with 8; pass the same value to resume, another \`--out\`, or \`--fresh\` to start over`,
      '--max-new-tokens',
    );
    expectRuleLMError(() => openProgress(path, { ...SETTINGS, sample: true, seed: 1, temperature: 1 }), `\`--sample\` is true, but ${path} was made with false; pass the same value to resume, another \`--out\`, or \`--fresh\` to start over`, '--sample');
    expect(openProgress(path, { ...SETTINGS, maxNewTokens: 16 }, true).done.size).toBe(0); // --fresh
  });

  it('refuses a file that is not a progress file', () => {
    const path = file();
    openProgress(path, SETTINGS);
    writeFileSync(path, 'hello\n');
    expectRuleLMError(() => openProgress(path, SETTINGS), `\`--out\`: ${path} is not a rulelm progress file; choose another \`--out\` or pass \`--fresh\` to replace it`, '--out');
  });

  it('skips a readable record with a field of the wrong type, moves it aside and keeps the others (it crashed every later run)', () => {
    const path = file();
    const first = openProgress(path, SETTINGS);
    first.append(RECORD);
    first.append({ ...RECORD, id: '2' });
    const bad = [
      { ...RECORD, id: '3', tokens: ['1'] },
      { ...RECORD, id: '4', text: 5 },
      { ...RECORD, id: '5', finish: 'done' },
      { ...RECORD, id: '6', ms: 'fast' },
      { ...RECORD, id: '7', promptTokens: -1 },
      [1, 2],
    ].map((r) => JSON.stringify(r));
    appendFileSync(path, `${bad.join('\n')}\n`);
    const resumed = openProgress(path, SETTINGS);
    expect(resumed.rejected).toEqual({ malformed: 6, otherRun: 0 });
    expect([...resumed.done.keys()]).toEqual([progressKey('base', '1'), progressKey('base', '2')]);
    expect(readFileSync(resumed.rejectedFile, 'utf8')).toBe(`${bad.join('\n')}\n`); // not lost
    const again = openProgress(path, SETTINGS);
    expect(again.rejected).toEqual({ malformed: 0, otherRun: 0 }); // reported once
    expect(again.done.size).toBe(2);
  });

  it('skips a record copied from a run with other settings (e.g. another model), which was used silently', () => {
    const ours = file();
    const theirs = file();
    openProgress(ours, SETTINGS).append(RECORD);
    openProgress(theirs, { ...SETTINGS, model: '/other-model' }).append({ ...RECORD, id: '2', text: 'from the other model' });
    const copied = readFileSync(theirs, 'utf8').trim().split('\n')[1] as string;
    appendFileSync(ours, `${copied}\n`);
    const resumed = openProgress(ours, SETTINGS);
    expect(resumed.rejected).toEqual({ malformed: 0, otherRun: 1 });
    expect([...resumed.done.keys()]).toEqual([progressKey('base', '1')]);
    expect(readFileSync(resumed.rejectedFile, 'utf8')).toBe(`${copied}\n`);
  });

  it('names --out, without a stack trace, when progress.jsonl is a folder', () => {
    const path = file();
    mkdirSync(path, { recursive: true });
    expectRuleLMError(() => openProgress(path, SETTINGS), `\`--out\`: ${path} is not a file (a folder is in its place); move it away or choose another \`--out\``, '--out');
    expect(existsSync(dirname(path))).toBe(true);
  });
});

describe('writeAtomic', () => {
  it('makes the missing folders, replaces the file, and leaves no temporary file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rulelm-atomic-')), 'a', 'b', 'results.json');
    writeAtomic(path, 'first\n');
    expect(readFileSync(path, 'utf8')).toBe('first\n');
    writeAtomic(path, 'second\n');
    expect(readFileSync(path, 'utf8')).toBe('second\n');
    expect(readdirSync(dirname(path))).toEqual(['results.json']);
  });
});
