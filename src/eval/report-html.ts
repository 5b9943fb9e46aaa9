// The self-contained HTML report of an evaluation: tables, and charts drawn by Chart.js from data
// embedded in the page (Chart.js's UMD build is inlined by the caller, so the page works
// offline). Browser-safe: builds a string.

import type { ConfigSummary, EvalReport } from './results';
import { histogram } from './metrics';
import { drawReportCharts } from './report-page';

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/**
 * Escapes text for HTML content and attribute values.
 *
 * @param text Any text.
 * @returns The escaped text.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

// JSON that is safe inside a <script> element.
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const num = (x: number, digits = 2): string => x.toFixed(digits);

/** The data the page's charts are drawn from (embedded as JSON). */
export interface ChartData {
  /** Configuration names, in report order. */
  readonly configs: readonly string[];
  /** Colors, one per configuration. */
  readonly colors: readonly string[];
  /** Response length histogram: bin labels and counts per configuration. */
  readonly lengths: { readonly labels: readonly string[]; readonly counts: readonly (readonly number[])[] };
  /** Mean and median response length per configuration. */
  readonly meanLength: { readonly mean: readonly number[]; readonly median: readonly number[] };
  /** Share ended by EOS, by the limit and by the context window, per configuration. */
  readonly finish: { readonly eos: readonly number[]; readonly limit: readonly number[]; readonly context: readonly number[] };
  /** Ablation comparison: metric labels and values (0..1) per configuration. */
  readonly comparison: { readonly labels: readonly string[]; readonly values: readonly (readonly number[])[] };
  /** IFEval accuracy per instruction type, strict and loose, per configuration (empty without IFEval data). */
  readonly ifeval: { readonly types: readonly string[]; readonly strict: readonly (readonly number[])[]; readonly loose: readonly (readonly number[])[] };
}

/**
 * Computes the chart data of a report.
 *
 * @param report The evaluation report.
 * @param bins Number of length histogram bins.
 * @returns The chart data.
 * @example
 * ```ts
 * const { configs, finish } = chartData(JSON.parse(readFileSync('results.json', 'utf8')));
 * configs.forEach((name, i) => console.log(name, finish.eos[i]));
 * ```
 */
export function chartData(report: EvalReport, bins = 16): ChartData {
  const configs = report.configs.map((c) => c.config);
  const max = Math.max(1, report.settings.maxNewTokens);
  const lengthsOf = (config: string): number[] => report.records.filter((r) => r.config === config && r.skipped === undefined).map((r) => r.tokens.length);
  const hist = configs.map((c) => histogram(lengthsOf(c), max, bins));
  const edges = hist[0]?.edges ?? [];
  const labels = edges.map((e, i) => (i === edges.length - 1 ? `${e}+` : `${e}-${(edges[i + 1] as number) - 1}`));
  const hasIfeval = report.configs.some((c) => c.ifeval !== undefined);
  const comparisonLabels = ['ended by EOS', 'distinct-1', 'distinct-2', 'repeated 4-grams', 'continues the prompt', 'empty'];
  if (hasIfeval) comparisonLabels.push('IFEval prompt strict', 'IFEval prompt loose', 'IFEval instruction strict', 'IFEval instruction loose');
  const comparison = report.configs.map((c: ConfigSummary) => {
    const m = c.metrics;
    const values = [m.finish.eos, m.distinct1, m.distinct2, m.repeated4, m.continuation.rate, m.empty];
    if (hasIfeval) {
      const i = c.ifeval;
      values.push(i?.promptLevel.strict ?? 0, i?.promptLevel.loose ?? 0, i?.instructionLevel.strict ?? 0, i?.instructionLevel.loose ?? 0);
    }
    return values;
  });
  const types = [...new Set(report.configs.flatMap((c) => Object.keys(c.ifeval?.byType ?? {})))].sort();
  return {
    configs,
    colors: configs.map((_, i) => COLORS[i % COLORS.length] as string),
    lengths: { labels, counts: hist.map((h) => h.counts) },
    meanLength: { mean: report.configs.map((c) => c.metrics.length.mean), median: report.configs.map((c) => c.metrics.length.median) },
    finish: {
      eos: report.configs.map((c) => c.metrics.finish.eos),
      limit: report.configs.map((c) => c.metrics.finish.limit),
      context: report.configs.map((c) => c.metrics.finish.context),
    },
    comparison: { labels: comparisonLabels, values: comparison },
    ifeval: {
      types,
      strict: report.configs.map((c) => types.map((t) => c.ifeval?.byType[t]?.strict ?? 0)),
      loose: report.configs.map((c) => types.map((t) => c.ifeval?.byType[t]?.loose ?? 0)),
    },
  };
}

// The page script: drawReportCharts's source, run with the page's window. Its source refers to
// nothing outside itself however it was compiled or bundled (see the note in report-page.ts).
const PAGE_SCRIPT = `(${drawReportCharts.toString()})(window);`;

function summaryTable(report: EvalReport): string {
  const hasIfeval = report.configs.some((c) => c.ifeval !== undefined);
  const head = ['configuration', 'rules', 'responses', 'mean length', 'median', 'p90', 'EOS', 'limit', 'context', 'empty', 'distinct-1', 'distinct-2', 'repeated 4-grams', 'continues', 'tokens/s'];
  if (hasIfeval) head.push('IFEval prompt strict', 'prompt loose', 'instruction strict', 'instruction loose');
  const rows = report.configs.map((c) => {
    const m = c.metrics;
    const cells = [
      c.config,
      c.rules ?? '(none)',
      `${m.responses}${c.skipped > 0 ? ` (+${c.skipped} skipped)` : ''}`,
      num(m.length.mean, 1),
      String(m.length.median),
      String(m.length.p90),
      pct(m.finish.eos),
      pct(m.finish.limit),
      pct(m.finish.context),
      pct(m.empty),
      num(m.distinct1),
      num(m.distinct2),
      num(m.repeated4),
      pct(m.continuation.rate),
      num(c.tokensPerSecond, 0),
    ];
    if (hasIfeval) {
      const i = c.ifeval;
      cells.push(...(i === undefined ? ['', '', '', ''] : [pct(i.promptLevel.strict), pct(i.promptLevel.loose), pct(i.instructionLevel.strict), pct(i.instructionLevel.loose)]));
    }
    return cells;
  });
  return table(head, rows);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="wide"><table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

function ifevalTable(report: EvalReport, types: readonly string[]): string {
  const head = ['instruction type', 'count', ...report.configs.flatMap((c) => [`${c.config} strict`, `${c.config} loose`])];
  const rows = types.map((t) => {
    const count = report.configs.map((c) => c.ifeval?.byType[t]?.count).find((n) => n !== undefined) ?? 0;
    return [t, String(count), ...report.configs.flatMap((c) => {
      const v = c.ifeval?.byType[t];
      return v === undefined ? ['', ''] : [pct(v.strict), pct(v.loose)];
    })];
  });
  return table(head, rows);
}

function samples(report: EvalReport, count: number): string {
  const ids = [...new Set(report.records.map((r) => r.id))].slice(0, count);
  return ids
    .map((id) => {
      const instruction = report.instructions[id] ?? '';
      const answers = report.configs
        .map((c) => {
          const r = report.records.find((x) => x.id === id && x.config === c.config);
          if (r === undefined) return '';
          const note = r.skipped ?? `${r.tokens.length} tokens, ended by ${r.finish}${r.continues ? ', continues the prompt' : ''}`;
          return `<h4>${escapeHtml(c.config)} <small>(${escapeHtml(note)})</small></h4><pre>${escapeHtml(r.raw ?? r.text)}</pre>`;
        })
        .join('\n');
      return `<details><summary>${escapeHtml(id)}: ${escapeHtml(instruction.length > 120 ? `${instruction.slice(0, 117)}...` : instruction)}</summary>\n<pre class="instruction">${escapeHtml(instruction)}</pre>\n${answers}</details>`;
    })
    .join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.wide { overflow-x: auto; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
.chart { position: relative; min-height: 320px; }
.chart.tall { grid-column: 1 / -1; height: 720px; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; max-height: 20rem; overflow: auto; }
.note { background: #fff4d6; padding: .5rem 1rem; }
`;

/**
 * Renders the evaluation report as one HTML page: settings, a summary table, charts (length
 * histograms, how responses ended, the configurations compared, IFEval accuracy per instruction
 * type), an IFEval table, definitions and sample responses.
 *
 * @param report The evaluation report.
 * @param chartSource Chart.js's UMD build (inlined, so the page works offline); without it the
 * page has the tables and a note instead of charts.
 * @returns The HTML page.
 * @example
 * ```ts
 * // Re-render the report of `rulelm eval` from its results, with Chart.js's UMD build inlined.
 * const report = JSON.parse(readFileSync('results.json', 'utf8'));
 * const chartJs = readFileSync('node_modules/chart.js/dist/chart.umd.js', 'utf8');
 * writeFileSync('report.html', renderHtmlReport(report, chartJs));
 * ```
 */
export function renderHtmlReport(report: EvalReport, chartSource: string | undefined): string {
  const data = chartData(report);
  const s = report.settings;
  const title = `rulelm eval: ${s.model} on ${s.data}`;
  const settings = table(['setting', 'value'], Object.entries(s).map(([k, v]) => [k, typeof v === 'string' ? v : v === undefined ? '(all)' : JSON.stringify(v)]));
  const incomplete = report.complete ? '' : `<p class="note">Incomplete run: ${report.records.length} of ${report.expected} responses so far; run the same command again to resume.</p>`;
  const noCharts = chartSource === undefined ? '<p class="note">Chart.js was not found when this report was written, so it has tables only.</p>' : '';
  const ifevalCharts =
    data.ifeval.types.length > 0
      ? `<div class="chart tall"><canvas id="chart-ifeval-strict"></canvas></div>\n<div class="chart tall"><canvas id="chart-ifeval-loose"></canvas></div>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Written ${escapeHtml(report.createdAt)} by <code>rulelm eval</code>: ${report.items} instructions, configurations ${escapeHtml(data.configs.join(', '))}.</p>
${incomplete}
<h2>Summary</h2>
${summaryTable(report)}
<h2>Charts</h2>
${noCharts}
<div class="charts">
<div class="chart"><canvas id="chart-lengths"></canvas></div>
<div class="chart"><canvas id="chart-mean-length"></canvas></div>
<div class="chart"><canvas id="chart-finish"></canvas></div>
<div class="chart"><canvas id="chart-comparison"></canvas></div>
${ifevalCharts}
</div>
${data.ifeval.types.length > 0 ? `<h2>IFEval accuracy per instruction type</h2>\n${ifevalTable(report, data.ifeval.types)}` : ''}
<h2>Definitions</h2>
<ul>
<li><b>length</b>: generated tokens, without the end-of-sequence token. <b>EOS / limit / context</b>: the response ended with an end-of-sequence token, reached <code>--max-new-tokens</code>, or reached the model's context window.</li>
<li><b>distinct-n</b>: distinct n-grams / n-grams of a response, averaged over responses with at least n tokens. <b>repeated 4-grams</b>: share of a response's 4-grams already seen earlier in it, averaged over responses with at least 4 tokens.</li>
<li><b>continues</b>: the response contains a turn marker (<code>&lt;|user|&gt;</code>, <code>&lt;|assistant|&gt;</code>, <code>&lt;|system|&gt;</code> or the chat template's) or a line opening a new turn (<code>User:</code>, <code>Human:</code>, <code>Instruction:</code>, <code>Question:</code>, <code>Prompt:</code>, <code>Q:</code>, ...).</li>
<li><b>IFEval</b>: prompt level = every instruction of the prompt followed; instruction level = instructions followed; strict = the response as is; loose = also without its first and/or last line and without asterisks (the official checker's semantics, see docs/eval.md).</li>
</ul>
<h2>Settings</h2>
${settings}
<h2>Sample responses</h2>
${samples(report, 5)}
<script type="application/json" id="rulelm-data">${scriptJson(data)}</script>
${chartSource === undefined ? '' : `<script>${chartSource.replace(/<\/(script)/gi, '<\\/$1')}</script>\n<script>${PAGE_SCRIPT}</script>`}
</body>
</html>
`;
}
