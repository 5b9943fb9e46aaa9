// End to end: `rulelm eval` on the tiny generated model, resumed and interrupted.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/eval/results';
import { parseEvalArgs } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { runEval } from '../../src/cli/run';
import { ensureTinyModel } from '../../tools/model-generator/index';

const ROWS = [
  { key: 1, prompt: 'Write a haiku about rain without commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
  { key: 2, prompt: 'Wrap your answer in double quotes.', instruction_id_list: ['startend:quotation'], kwargs: [{}] },
  { key: 3, prompt: 'Not used: beyond --limit 2.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
];

let model: string;
let data: string;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'rulelm-cli-'));

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n');
const results = (out: string): EvalReport => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as EvalReport;

beforeAll(async () => {
  model = await ensureTinyModel();
  data = join(tmp(), 'set.jsonl');
  writeFileSync(data, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
});

describe('rulelm eval (tiny generated model)', () => {
  it('runs, writes results, report and progress, and resumes without generating anything new', async () => {
    const out = join(tmp(), 'eval');
    const args = ['eval', '--model', model, '--data', data, '--limit', '2', '--max-new-tokens', '8', '--out', out, '--quiet'];
    const first = await run(...args);
    expect(first.stderr).toContain('10 responses (5 configurations), 0 already done');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('generated 10 response(s)');
    expect(first.stdout).toMatch(/\| preset +\| 2 +\|/);
    const progress = readFileSync(join(out, 'progress.jsonl'), 'utf8');
    expect(lines(join(out, 'progress.jsonl'))).toHaveLength(11); // header + 2 prompts x 5 configurations
    const report = results(out);
    expect(report.complete).toBe(true);
    expect(report.records).toHaveLength(10);
    expect(report.configs.map((c) => [c.config, c.metrics.responses, c.ifeval?.prompts])).toEqual([
      ['base', 2, 2],
      ['preset', 2, 2],
      ['no-eos', 2, 2],
      ['no-uniform', 2, 2],
      ['no-diversity', 2, 2],
    ]);
    for (const r of report.records) expect(r.tokens.length + (r.finish === 'eos' ? 1 : 0)).toBeLessThanOrEqual(8);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Chart.js v4'); // inlined from node_modules
    expect(html).toContain('<canvas id="chart-ifeval-strict">');

    const second = await run(...args);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('10 already done');
    expect(second.stdout).toContain('generated 0 response(s)');
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8')).toBe(progress);
    expect(results(out).records).toEqual(report.records);
  });

  it('keeps finished responses when interrupted, and a resumed run equals an uninterrupted one', async () => {
    const parsed = parseEvalArgs(['--model', model, '--data', data, '--limit', '2', '--max-new-tokens', '8', '--configs', 'base,preset', '--out', join(tmp(), 'a'), '--quiet']);
    if (parsed.help) throw new Error('unexpected help');
    const options = parsed.options;
    const controller = new AbortController();
    let seen = 0;
    const interrupted = await runEval(options, {
      signal: controller.signal,
      onRecord: () => {
        if (++seen === 3) controller.abort();
      },
    });
    expect(interrupted.generated).toBe(3);
    expect(interrupted.report.complete).toBe(false);
    expect(lines(interrupted.files.progress)).toHaveLength(4);
    expect(readFileSync(interrupted.files.html, 'utf8')).toContain('Incomplete run: 3 of 4 responses so far');

    const resumed = await runEval(options);
    expect(resumed.generated).toBe(1);
    expect(resumed.report.complete).toBe(true);
    const uninterrupted = await runEval({ ...options, out: join(tmp(), 'b') });
    const strip = (r: EvalReport): unknown => r.records.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(resumed.report)).toEqual(strip(uninterrupted.report));
  });

  it('samples reproducibly with a seed', async () => {
    const parsed = parseEvalArgs(['--model', model, '--data', data, '--limit', '1', '--max-new-tokens', '8', '--configs', 'base,preset', '--sample', '--seed', '7', '--out', join(tmp(), 's1'), '--quiet']);
    if (parsed.help) throw new Error('unexpected help');
    const a = await runEval(parsed.options);
    const b = await runEval({ ...parsed.options, out: join(tmp(), 's2') });
    const c = await runEval({ ...parsed.options, seed: 8, out: join(tmp(), 's3') });
    const tokens = (r: typeof a): unknown => r.report.records.map((x) => x.tokens);
    expect(tokens(a)).toEqual(tokens(b));
    expect(tokens(a)).not.toEqual(tokens(c));
  });

  it('exits with 2 and one line naming the option on a usage error', async () => {
    const bad = await run('eval', '--model', model, '--data', data, '--max-new-tokens=-3');
    expect(bad).toEqual({ code: 2, stdout: '', stderr: '[rulelm] `--max-new-tokens` must be a positive integer, but is -3\n' });
    const out = join(tmp(), 'c');
    expect((await run('eval', '--model', model, '--data', data, '--limit', '1', '--max-new-tokens', '4', '--configs', 'base', '--out', out, '--quiet')).code).toBe(0);
    const changed = await run('eval', '--model', model, '--data', data, '--limit', '1', '--max-new-tokens', '5', '--configs', 'base', '--out', out, '--quiet');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toBe(`[rulelm] \`--max-new-tokens\` is 5, but ${join(out, 'progress.jsonl')} was made with 4; pass the same value to resume, another \`--out\`, or \`--fresh\` to start over\n`);
    const missing = await run('eval', '--model', join(tmp(), 'no-model'), '--data', data, '--out', join(tmp(), 'd'), '--quiet');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^\[rulelm\] `--model` ".*no-model" is not a folder \(and not a hub id like "org\/name"\)\n$/);
    const empty = tmp();
    const notAModel = await run('eval', '--model', empty, '--data', data, '--out', join(tmp(), 'e'), '--quiet');
    expect(notAModel.code).toBe(2);
    expect(notAModel.stderr).toMatch(/^\[rulelm\] `--model` ".*" could not be loaded as a transformers\.js model folder \(config\.json, tokenizer\.json, onnx\/model\.onnx\): /);
  });

  it('counts skipped instructions apart: "generated 1 response(s), skipped 1" (it said "generated 2")', async () => {
    const set = join(tmp(), 'long.jsonl');
    // The tiny model's context is 512 tokens: the second prompt cannot fit.
    writeFileSync(set, `${JSON.stringify({ prompt: 'Say hi.' })}\n${JSON.stringify({ prompt: 'word '.repeat(700) })}\n`);
    const result = await run('eval', '--model', model, '--data', set, '--max-new-tokens', '4', '--configs', 'base', '--out', join(tmp(), 'long'), '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('generated 1 response(s), skipped 1 (the prompt does not fit the context window)\n');
  });

  it('a record with a field of the wrong type, or copied from another run, is skipped, reported and generated again; nothing else is lost', async () => {
    const out = join(tmp(), 'bad');
    const other = join(tmp(), 'other');
    const args = (folder: string, tokens: string): string[] => ['eval', '--model', model, '--data', data, '--limit', '2', '--max-new-tokens', tokens, '--configs', 'base', '--out', folder, '--quiet'];
    expect((await run(...args(out, '4'))).code).toBe(0);
    expect((await run(...args(other, '5'))).code).toBe(0);
    const file = join(out, 'progress.jsonl');
    const [header, first, second] = lines(file) as [string, string, string];
    const broken = JSON.stringify({ ...(JSON.parse(first) as object), tokens: 'oops' });
    const copied = lines(join(other, 'progress.jsonl'))[2] as string; // the same instruction, made with --max-new-tokens 5
    writeFileSync(file, `${header}\n${broken}\n${copied}\n`);
    const resumed = await run(...args(out, '4'));
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(
      'ignored 1 record(s) with a field of the wrong type, 1 record(s) written by a run with other settings (e.g. another model) of the progress file (moved to ',
    );
    expect(resumed.stdout).toContain('generated 2 response(s)');
    expect(readFileSync(join(out, 'progress.rejected.jsonl'), 'utf8')).toBe(`${broken}\n${copied}\n`);
    const strip = (line: string): unknown => ({ ...(JSON.parse(line) as object), ms: 0 });
    expect(lines(file).slice(1).map(strip)).toEqual([first, second].map(strip));
  });

  it('prints help and rejects unknown commands', async () => {
    expect((await run('--help')).code).toBe(0);
    expect((await run('eval', '--help')).stdout).toContain('Usage: rulelm eval --model <folder or hub id> --data <file.jsonl> [options]');
    const unknown = await run('evaluate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('rulelm: unknown command "evaluate"');
  });
});
