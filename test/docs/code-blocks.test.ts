// Every `ts` code block in README.md and docs/*.md is type-checked against the BUILT package
// (dist/, resolved through package.json "exports" as a user's project resolves it), under strict
// TypeScript with `moduleResolution: "bundler"`, so the documentation cannot drift from the API.
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typecheck } from '../helpers/typecheck';

const ROOT = resolve(__dirname, '../..');
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Block {
  readonly document: string;
  /** Line of the block's first code line in the document (1-based). */
  readonly line: number;
  readonly code: string;
}

function blocks(document: string): Block[] {
  const text = readFileSync(join(ROOT, document), 'utf8');
  const found: Block[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(text); match !== null; match = fence.exec(text)) {
    found.push({ document, line: text.slice(0, match.index).split('\n').length + 1, code: match[1] as string });
  }
  return found;
}

const all = DOCUMENTS.flatMap(blocks);

describe('documentation code blocks', () => {
  it('there are blocks to check in README.md and the guide', () => {
    expect(all.filter((b) => b.document === 'README.md').length).toBeGreaterThanOrEqual(2);
    expect(all.filter((b) => b.document === 'docs/guide.md').length).toBeGreaterThanOrEqual(3);
  });

  it('every ts block type-checks against the built package (strict, bundler resolution)', () => {
    const dir = join(ROOT, '.cache/docs-typecheck');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    // The package as a dependency: its package.json "exports" point at dist/.
    symlinkSync(ROOT, join(dir, 'node_modules/rulelm'), 'dir');
    const files = all.map((block, i) => {
      const file = join(dir, `block-${i}.ts`);
      writeFileSync(file, `${block.code}\nexport {};\n`);
      return file;
    });
    const problems = typecheck(files, { types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }).map(({ file, line, message }) => {
      const block = file === undefined ? undefined : all[files.indexOf(resolve(file))];
      if (block === undefined || line === undefined) return `${file ?? ''}:${line === undefined ? '' : line + 1}: ${message}`;
      return `${block.document}:${block.line + line}: ${message}`;
    });
    expect(problems).toEqual([]);
  });
});
