import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartData, escapeHtml, renderHtmlReport } from '../../src/eval/report-html';
import { fixtureReport } from './fixtures';

const scripts = (html: string): string[] => [...html.matchAll(/<script(?: [^>]*)?>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);

// A stand-in for Chart.js's UMD build: records every chart the page creates.
const FAKE_CHART = 'window.drawn = []; window.Chart = function FakeChart(canvas, config) { window.drawn.push({ canvas: canvas, config: config }); }; window.Chart.defaults = {};';

interface Drawn {
  readonly canvas: { readonly id: string } | null;
  readonly config: { readonly type: string; readonly data: { readonly labels: unknown[]; readonly datasets: { label: string; data: number[] }[] }; readonly options: { scales: Record<string, { ticks?: { callback(v: number): string } }> } };
}
interface PageWindow {
  readonly drawn: Drawn[];
  readonly Chart: { readonly defaults: Record<string, unknown> };
  readonly rulelmCharts: Record<string, unknown>;
}

// Runs a report's scripts as a browser would (the inlined library, then the page script) on a
// minimal window whose document has the page's canvases and embedded data.
function openPage(html: string): PageWindow {
  const [data, library, page] = scripts(html);
  const elements = new Map<string, unknown>([['rulelm-data', { textContent: data }]]);
  for (const m of html.matchAll(/<canvas id="([^"]+)">/g)) elements.set(m[1] as string, { id: m[1] });
  const window = { document: { getElementById: (id: string): unknown => elements.get(id) ?? null } };
  for (const script of [library, page]) new Function('window', script as string)(window);
  return window as unknown as PageWindow;
}

function expectChartsDrawn(html: string): void {
  const page = openPage(html);
  const data = chartData(fixtureReport());
  expect(page.drawn.map((d) => d.canvas?.id)).toEqual(['chart-lengths', 'chart-mean-length', 'chart-finish', 'chart-comparison', 'chart-ifeval-strict', 'chart-ifeval-loose']);
  expect(Object.keys(page.rulelmCharts)).toEqual(['lengths', 'meanLength', 'finish', 'comparison', 'ifeval-strict', 'ifeval-loose']);
  expect(page.Chart.defaults.animation).toBe(false);
  const [lengths, meanLength, finish, comparison, ifevalStrict] = page.drawn as [Drawn, Drawn, Drawn, Drawn, Drawn];
  expect(lengths.config.data).toMatchObject({ labels: data.lengths.labels, datasets: [{ label: 'base', data: data.lengths.counts[0] }, { label: 'preset', data: data.lengths.counts[1] }] });
  expect(meanLength.config.data.datasets.map((d) => d.data)).toEqual([data.meanLength.mean, data.meanLength.median]);
  expect(finish.config.data.datasets.map((d) => d.label)).toEqual(['EOS', 'token limit', 'context window']);
  expect(comparison.config.data.labels).toEqual(data.comparison.labels);
  expect(ifevalStrict.config.data).toMatchObject({ labels: data.ifeval.types, datasets: [{ data: data.ifeval.strict[0] }, { data: data.ifeval.strict[1] }] });
  expect(finish.config.options.scales.y?.ticks?.callback(0.25)).toBe('25%');
}

describe('HTML report', () => {
  it('computes the chart data', () => {
    const data = chartData(fixtureReport(), 4);
    expect(data.configs).toEqual(['base', 'preset']);
    expect(data.lengths).toEqual({ labels: ['0-1', '2-3', '4-5', '6-7', '8+'], counts: [[0, 0, 1, 0, 1], [0, 2, 0, 0, 0]] });
    expect(data.meanLength).toEqual({ mean: [6.5, 2.5], median: [5, 2] });
    expect(data.finish).toEqual({ eos: [0, 1], limit: [1, 0], context: [0, 0] });
    expect(data.comparison.labels).toEqual(['ended by EOS', 'distinct-1', 'distinct-2', 'repeated 4-grams', 'continues the prompt', 'empty', 'IFEval prompt strict', 'IFEval prompt loose', 'IFEval instruction strict', 'IFEval instruction loose']);
    expect(data.comparison.values[1]).toEqual([1, 1, 1, 0, 0, 0, 1, 1, 1, 1]);
    expect(data.ifeval).toEqual({ types: ['punctuation:no_comma', 'startend:quotation'], strict: [[0.5, 0], [1, 1]], loose: [[0.5, 0], [1, 1]] });
  });

  it('is one self-contained page: chart library inlined, data embedded, text escaped', () => {
    const report = fixtureReport();
    const html = renderHtmlReport(report, 'window.Chart = function FakeChart() {}; // </script> inside');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing loaded from elsewhere
    expect(html).not.toMatch(/<link /);
    for (const id of ['chart-lengths', 'chart-mean-length', 'chart-finish', 'chart-comparison', 'chart-ifeval-strict', 'chart-ifeval-loose']) expect(html).toContain(`<canvas id="${id}">`);
    const [data, library, page] = scripts(html);
    expect(JSON.parse(data as string)).toEqual(JSON.parse(JSON.stringify(chartData(report))));
    expect(library).toContain('FakeChart');
    expect(library).toContain('<\\/script> inside'); // cannot close the element early
    expect(() => new Function(page as string)).not.toThrow(); // the page script parses
    expect(html).toContain('Say &lt;hi&gt; &amp; wrap in quotes.');
    expect(html).toContain('one, two &lt;|user|&gt; again');
    expect(html).not.toContain('Incomplete run');
  });

  it('has tables and a note without the chart library, and says when a run is incomplete', () => {
    const html = renderHtmlReport({ ...fixtureReport(), complete: false }, undefined);
    expect(html).toContain('Chart.js was not found when this report was written');
    expect(html).toContain('Incomplete run: 4 of 4 responses so far');
    expect(scripts(html)).toHaveLength(1); // only the data
    expect(html).toContain('<td>eos-uniform-diversity</td>');
  });

  it('runs its page script: every chart is drawn from the embedded data', () => {
    expectChartsDrawn(renderHtmlReport(fixtureReport(), FAKE_CHART));
  });

  it('runs its page script when the report is written by code run with tsx (as `npm run eval`)', () => {
    const root = resolve(__dirname, '../..');
    const program = `import { renderHtmlReport } from './src/eval/report-html.ts'; import { fixtureReport } from './test/eval/fixtures.ts'; process.stdout.write(renderHtmlReport(fixtureReport(), ${JSON.stringify(FAKE_CHART)}));`;
    const html = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', program], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expectChartsDrawn(html);
  });

  it('runs its page script when the published rulelm/eval is bundled and minified by a user\'s bundler', async () => {
    // keepNames in rulelm's build wraps named function values in a module-level helper that a
    // later bundler renames; the page script must not refer to it (or to anything outside itself).
    const root = resolve(__dirname, '../..');
    const dir = mkdtempSync(join(tmpdir(), 'rulelm-report-bundle-'));
    try {
      const entry = `import { renderHtmlReport } from ${JSON.stringify(join(root, 'dist/eval.js'))}; import { fixtureReport } from ${JSON.stringify(join(root, 'test/eval/fixtures.ts'))}; process.stdout.write(renderHtmlReport(fixtureReport(), ${JSON.stringify(FAKE_CHART)}));`;
      const out = join(dir, 'bundle.mjs');
      await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, minify: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'silent' });
      const html = execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000 });
      expectChartsDrawn(html);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
