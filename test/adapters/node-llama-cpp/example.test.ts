// examples/node/llama-cpp.ts, run as a user runs it (tools/run-example.ts writes the GGUF of the
// model it picks and passes it as --model), from source: tsx maps rulelm/node-llama-cpp to src
// through the root tsconfig's paths, so no dist/ (which another run may be rebuilding) is read.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureTinyModel } from '../../../tools/model-generator/index';
import { HAS_SHARED_MODEL } from '../../helpers/models';
import { HAS_LLAMA_CPP } from './helpers';

const root = resolve(__dirname, '../../..');
const INSTRUCTIONS = ['Tell me a story about a dog.', 'What should I eat for breakfast?', 'Write a poem about the sea.'];

function rows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => INSTRUCTIONS.some((instruction) => line.startsWith(`| ${instruction}`)))
    .map((line) => line.split('|').slice(1, -2).map((cell) => cell.trim()));
}

describe.skipIf(!HAS_LLAMA_CPP)('examples/node/llama-cpp.ts', () => {
  it.skipIf(!HAS_SHARED_MODEL)('prints the same lengths and end tokens on stories260K as the main example through transformers.js', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'tools/run-example.ts', 'llama-cpp'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(output).toContain('--- base + rules:');
    expect(rows(output)).toEqual([
      ['Tell me a story about a dog.', 'base', '256', 'limit'],
      ['Tell me a story about a dog.', 'base + rules', '156', 'EOS (id 1)'],
      ['What should I eat for breakfast?', 'base', '256', 'limit'],
      ['What should I eat for breakfast?', 'base + rules', '101', 'EOS (id 1)'],
      ['Write a poem about the sea.', 'base', '256', 'limit'],
      ['Write a poem about the sea.', 'base + rules', '92', 'EOS (id 1)'],
    ]);
  });

  // The instruction comes last: the GGUF path must not take its place.
  for (const form of ['--model <folder>', '--model=<folder>']) {
    it(`runs on a generated model folder too (converted to GGUF), given as ${form}, with the options forwarded`, async () => {
      const dir = await ensureTinyModel();
      const model = form === '--model <folder>' ? ['--model', dir] : [`--model=${dir}`];
      const output = execFileSync(process.execPath, ['--import', 'tsx', 'tools/run-example.ts', 'llama-cpp', ...model, '--max-new-tokens', '12', '--instruction', 'Tell me a story about a dog.'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(output).toContain('.cache/gguf/tiny-llama-');
      const cells = rows(output);
      expect(cells.map((c) => c.slice(0, 2))).toEqual([
        ['Tell me a story about a dog.', 'base'],
        ['Tell me a story about a dog.', 'base + rules'],
      ]);
      for (const c of cells) expect(Number(c[2])).toBeLessThanOrEqual(12);
    });
  }
});
