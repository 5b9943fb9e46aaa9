import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

describe('the rulelm command (src/cli/cli.ts)', () => {
  it('prints its usage', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/cli.ts', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/^Usage: rulelm <command> \[options\]/);
    expect(out).toContain('eval');
  });

  it('exits with 2 and names the option on a usage error', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/cli.ts', 'eval', '--max-new-tokens', '-3'], { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('--max-new-tokens');
  });
});
