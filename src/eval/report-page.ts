// The script of the HTML report's page: draws the charts with Chart.js from the data embedded in
// the page. It runs in the browser, not here: renderHtmlReport writes its source
// (Function.prototype.toString) into the page. So drawReportCharts must be self-contained: it
// uses only its parameter and the globals of any browser, nothing from this module's scope, and
// only types from its imports. Browser-safe.

import type { Chart, ChartConfiguration } from 'chart.js';
import type { ChartData } from './report-html';

/** What the page script uses of the page's `window`. */
export interface ReportWindow {
  /** The page, to find the embedded data (`#rulelm-data`) and the charts' canvases. */
  readonly document: Pick<Document, 'getElementById'>;
  /** Chart.js (its UMD build, inlined in the page before this script); no charts without it. */
  readonly Chart?: typeof Chart;
  /** The charts drawn, by name, for inspection from the browser's console. */
  rulelmCharts?: Record<string, Chart>;
}

/**
 * Draws the report's charts from the data embedded in the page: response length histograms, mean
 * and median length, how responses ended, the configurations compared, and IFEval accuracy per
 * instruction type (strict and loose) when the run had IFEval prompts.
 *
 * @param page The page's `window` (with Chart.js loaded).
 */
export function drawReportCharts(page: ReportWindow): void {
  const Chart = page.Chart;
  const embedded = page.document.getElementById('rulelm-data');
  if (Chart === undefined || embedded === null) return;
  const data = JSON.parse(embedded.textContent ?? '') as ChartData;
  Chart.defaults.animation = false;
  type Dataset = ChartConfiguration<'bar'>['data']['datasets'][number];
  const charts: Record<string, Chart> = {};
  // Methods of an object literal, not named arrow functions: the page runs this function's
  // source text, and a bundler's keepNames wraps named function values (never methods) in a
  // module-level helper the page does not have.
  const helpers = {
    percent(value: number | string): string {
      return `${Math.round(Number(value) * 100)}%`;
    },
    title(text: string): { display: boolean; text: string } {
      return { display: true, text };
    },
    series(label: string, values: readonly number[] | undefined, color: string | undefined): Dataset {
      return { label, data: [...(values ?? [])], backgroundColor: color, borderColor: color };
    },
    perConfig(rows: readonly (readonly number[])[]): Dataset[] {
      return data.configs.map((label, i) => helpers.series(label, rows[i], data.colors[i]));
    },
    draw(name: string, canvas: string, config: ChartConfiguration<'bar'>): void {
      charts[name] = new Chart(page.document.getElementById(canvas) as HTMLCanvasElement, config);
    },
  };
  const { percent, title, series, perConfig, draw } = helpers;
  draw('lengths', 'chart-lengths', {
    type: 'bar',
    data: { labels: [...data.lengths.labels], datasets: perConfig(data.lengths.counts) },
    options: {
      plugins: { title: title('Response length (tokens), responses per bin') },
      scales: { x: { title: title('tokens') }, y: { beginAtZero: true, title: title('responses') } },
    },
  });
  draw('meanLength', 'chart-mean-length', {
    type: 'bar',
    data: {
      labels: [...data.configs],
      datasets: [series('mean', data.meanLength.mean, '#4e79a7'), series('median', data.meanLength.median, '#a0cbe8')],
    },
    options: { plugins: { title: title('Response length per configuration (tokens)') }, scales: { y: { beginAtZero: true } } },
  });
  draw('finish', 'chart-finish', {
    type: 'bar',
    data: {
      labels: [...data.configs],
      datasets: [series('EOS', data.finish.eos, '#59a14f'), series('token limit', data.finish.limit, '#e15759'), series('context window', data.finish.context, '#bab0ac')],
    },
    options: { plugins: { title: title('How responses ended') }, scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 1, ticks: { callback: percent } } } },
  });
  draw('comparison', 'chart-comparison', {
    type: 'bar',
    data: { labels: [...data.comparison.labels], datasets: perConfig(data.comparison.values) },
    options: { plugins: { title: title('Configurations compared (rates, 0 to 1)') }, scales: { y: { min: 0, max: 1, ticks: { callback: percent } } } },
  });
  if (data.ifeval.types.length > 0) {
    for (const mode of ['strict', 'loose'] as const) {
      draw(`ifeval-${mode}`, `chart-ifeval-${mode}`, {
        type: 'bar',
        data: { labels: [...data.ifeval.types], datasets: perConfig(data.ifeval[mode]) },
        options: {
          indexAxis: 'y',
          maintainAspectRatio: false,
          plugins: { title: title(`IFEval instruction-level accuracy per instruction type (${mode})`) },
          scales: { x: { min: 0, max: 1, ticks: { callback: percent } } },
        },
      });
    }
  }
  page.rulelmCharts = charts;
}
