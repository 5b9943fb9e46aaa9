import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

describe('examples', () => {
  it('the main job (examples/node/compare.ts) runs and prints its comparison table', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'examples/node/compare.ts', '--max-new-tokens', '24', '--instruction', 'Tell me a story.'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(output).toMatch(/^Model: /);
    expect(output).toContain('--- base:');
    expect(output).toContain('--- base + rules:');
    const rows = output.split('\n').filter((line) => line.startsWith('| Tell me a story.'));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const tokens = Number(row.split('|')[3]);
      expect(tokens).toBeGreaterThan(0);
      expect(tokens).toBeLessThanOrEqual(24);
    }
  });
});
