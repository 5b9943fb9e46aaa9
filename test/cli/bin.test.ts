import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

  // mkdirSync({ recursive: true }) loops forever under /proc/self (ENOENT at every level). The
  // command runs in a child process with a timeout, so a hang fails the test instead of hanging it.
  it('`--out /proc/self/x` is an error naming --out, not a hang at 100% CPU', () => {
    const data = join(mkdtempSync(join(tmpdir(), 'rulelm-bin-')), 'set.jsonl');
    writeFileSync(data, '{"prompt":"Hi"}\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/cli.ts', 'eval', '--model', 'org/model', '--data', data, '--out', '/proc/self/x'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.status).toBe(2);
    expect(child.stderr).toMatch(/^\[rulelm\] `--out` \/proc\/self\/x cannot be used as the output folder \(E[A-Z]+\)\n$/);
  }, 90_000);
});
