// The Node examples, run as a user runs them: through tools/run-example.ts (what `npm run example`
// calls), which passes --model (the shared stories260K when present, else a generated tiny model).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_SHARED_MODEL } from './helpers/models';

const root = resolve(__dirname, '..');

function runExample(name: string, ...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'tools/run-example.ts', name, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

// The cells of the table rows that start with one of the instructions.
function tableRows(text: string, instructions: readonly string[]): string[][] {
  return text
    .split('\n')
    .filter((line) => instructions.some((instruction) => line.startsWith(`| ${instruction}`)))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

const INSTRUCTIONS = ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];

// What README.md says the main example prints on stories260K (greedy, 256 new tokens).
const STORIES_TABLE = [
  ['Tell me a story about a dog.', 'base', '256', 'limit', '0.26', '0.47', '0.43'],
  ['Tell me a story about a dog.', 'base + rules', '156', 'EOS', '0.62', '0.93', '0.00'],
  ['What should I eat for breakfast?', 'base', '256', 'limit', '0.22', '0.40', '0.45'],
  ['What should I eat for breakfast?', 'base + rules', '101', 'EOS', '0.69', '0.95', '0.00'],
  ['Write a poem about the sea.', 'base', '256', 'limit', '0.21', '0.42', '0.38'],
  ['Write a poem about the sea.', 'base + rules', '92', 'EOS', '0.74', '0.96', '0.00'],
];

describe('examples', () => {
  it.skipIf(!HAS_SHARED_MODEL)('the main job (npm run example) prints the table README.md shows for stories260K', () => {
    const output = runExample('compare');
    expect(output).toMatch(/^Model: .*stories260K\n/);
    expect(output).toContain('--- base:');
    expect(output).toContain('--- base + rules:');
    // Every column but the last (tokens per second).
    expect(tableRows(output, INSTRUCTIONS).map((cells) => cells.slice(0, -1))).toEqual(STORIES_TABLE);
    expect(tableRows(readFileSync(resolve(root, 'README.md'), 'utf8'), INSTRUCTIONS)).toEqual(STORIES_TABLE);
  });

  it('the main job runs on whichever model run-example picks, with the options forwarded', () => {
    const output = runExample('compare', '--max-new-tokens', '24', '--instruction', 'Tell me a story.');
    expect(output).toMatch(/^Model: /);
    const rows = tableRows(output, ['Tell me a story.']);
    expect(rows.map((cells) => cells[1])).toEqual(['base', 'base + rules']);
    for (const cells of rows) {
      const tokens = Number(cells[2]);
      expect(tokens).toBeGreaterThan(0);
      expect(tokens).toBeLessThanOrEqual(24);
    }
  });

  it.each([
    ['custom-chain', ['"happy" and "big" resolved to:', '--- plain:', '--- custom chain:']],
    ['trace', ['steps traced', 't =   0  end-of-sequence-ramp: ']],
    ['manual-loop', [' tokens)']],
    ['pipeline', ['Model: ']],
    ['experts', ['--- base alone', '--- contrastive decoding (base - 0.5 x amateur, alpha 0.1)', '--- base x rules', '--- sampled with seed 1:']],
  ])('examples/node/%s.ts runs', (name, expected) => {
    const output = runExample(name);
    for (const text of expected) expect(output).toContain(text);
  });

  it('an example without a model says to pass --model', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/node/compare.ts', '--model', './no-such-model-folder'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`No model folder at ${resolve(root, 'no-such-model-folder')}: pass --model <local transformers.js model folder or hub id>.`);
  });

  it('examples import only public names: the package entry points, its peer dependencies, Node built-ins', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; peerDependencies: Record<string, string> };
    const entries = Object.keys(pkg.exports)
      .filter((entry) => !entry.endsWith('.json'))
      .map((entry) => (entry === '.' ? 'rulelm' : `rulelm/${entry.slice('./'.length)}`));
    expect(entries).toEqual(['rulelm', 'rulelm/transformers', 'rulelm/node-llama-cpp', 'rulelm/eval']);
    const allowed = new Set([...entries, ...Object.keys(pkg.peerDependencies)]);
    const files = readdirSync(resolve(root, 'examples/node')).filter((file) => file.endsWith('.ts'));
    expect(files).toContain('llama-cpp.ts');
    for (const file of files) {
      const sources = [...readFileSync(resolve(root, 'examples/node', file), 'utf8').matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect(allowed.has(source) || /^node:[a-z/]+$/.test(source), `${file} imports ${source}`).toBe(true);
    }
  });
});
