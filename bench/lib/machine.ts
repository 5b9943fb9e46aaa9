/**
 * A description of the machine and software a benchmark ran on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './data';

/** The machine, the runtime and the versions of what was measured. */
export interface Machine {
  /** CPU model. */
  readonly cpu: string;
  /** Logical cores. */
  readonly cores: number;
  /** Total memory in GiB. */
  readonly memoryGiB: number;
  /** OS type, release and architecture. */
  readonly os: string;
  /** Node version. */
  readonly node: string;
  /** V8 version. */
  readonly v8: string;
  /** Package versions: rulelm, transformers.js, onnxruntime-node, tinybench. */
  readonly packages: Readonly<Record<string, string>>;
  /** 1-minute load average when the run started. */
  readonly loadAtStart: number;
  /** ISO date and time the run started. */
  readonly date: string;
  /** The commit measured, and whether `src/` had uncommitted changes. */
  readonly commit: string;
}

function gitState(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter((l) => l !== '').length;
    return `${git('rev-parse', '--short', 'HEAD')}${changed > 0 ? ` + uncommitted changes to ${changed} path(s) under src/` : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function version(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return json.version ?? '?';
  } catch {
    return 'absent';
  }
}

/**
 * Describes this machine now.
 *
 * @returns The description.
 */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    packages: {
      rulelm: own.version,
      '@huggingface/transformers': version('@huggingface/transformers'),
      'onnxruntime-node': version('onnxruntime-node'),
      tinybench: version('tinybench'),
    },
    loadAtStart: os.loadavg()[0] ?? 0,
    date: new Date().toISOString(),
    commit: gitState(),
  };
}
