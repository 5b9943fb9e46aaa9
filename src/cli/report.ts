// Writes the results file and the HTML report, and finds Chart.js to inline in the report.

import type { EvalReport } from '../eval/results';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { renderHtmlReport } from '../eval/report-html';
import { writeAtomic } from './progress';

/**
 * Finds Chart.js's UMD build (`chart.js/dist/chart.umd.js`) next to this module or the current
 * folder, to inline in the HTML report.
 *
 * @param from Where to resolve `chart.js` from (default: this module, then the current folder).
 * @returns The script's source, or `undefined` when Chart.js is not installed.
 */
export function findChartSource(from?: string): string | undefined {
  const bases = from === undefined ? [import.meta.url, join(process.cwd(), 'package.json')] : [from];
  for (const base of bases) {
    try {
      const main = createRequire(base).resolve('chart.js');
      const umd = join(dirname(main), 'chart.umd.js');
      if (existsSync(umd)) return readFileSync(umd, 'utf8');
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

/**
 * Writes `results.json` (settings, summaries, every response) and `report.html` (tables and
 * charts, self-contained) into a folder.
 *
 * @param folder The output folder.
 * @param report The evaluation report.
 * @param chartSource Chart.js's UMD build to inline (see {@link findChartSource}).
 * @returns The paths written.
 */
export function writeReport(folder: string, report: EvalReport, chartSource: string | undefined): { readonly results: string; readonly html: string } {
  const results = join(folder, 'results.json');
  const html = join(folder, 'report.html');
  writeAtomic(results, `${JSON.stringify(report, null, 1)}\n`);
  writeAtomic(html, renderHtmlReport(report, chartSource));
  return { results, html };
}
