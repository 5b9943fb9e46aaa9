// Writes THIRD_PARTY_NOTICES.md: the licences of the third-party code bundled into dist/ (the
// packages esbuild names in its "// node_modules/<package>/..." comments, plus Chart.js, which
// the command inlines as text). Run after `npm run build` (the prepack script does).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const dist = join(root, 'dist');
const found = new Set<string>(['chart.js', '@kurkle/color', 'valibot']);
for (const file of readdirSync(dist).filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))) {
  for (const match of readFileSync(join(dist, file), 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) found.add(match[1] as string);
}
const sections = [...found].sort().map((name) => {
  const dir = join(root, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; license?: string; author?: string | { name?: string } };
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  const text = file !== undefined && existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim() : `${pkg.license ?? 'see the package'} licence${author === undefined ? '' : `, copyright ${author}`} (the package ships no licence file).`;
  return `## ${name} ${pkg.version}\n\nLicence: ${pkg.license ?? 'unknown'}\n\n\`\`\`\n${text}\n\`\`\`\n`;
});
writeFileSync(join(root, 'THIRD_PARTY_NOTICES.md'), `# Third-party notices\n\nThe published package bundles code from these packages into \`dist/\`.\n\n${sections.join('\n')}`);
console.log(`THIRD_PARTY_NOTICES.md: ${found.size} packages`);
