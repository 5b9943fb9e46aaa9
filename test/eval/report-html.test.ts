import { describe, expect, it } from 'vitest';
import { chartData, escapeHtml, renderHtmlReport } from '../../src/eval/report-html';
import { fixtureReport } from './fixtures';

const scripts = (html: string): string[] => [...html.matchAll(/<script(?: [^>]*)?>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);

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

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
