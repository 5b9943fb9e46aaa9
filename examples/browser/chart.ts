// A small live chart of each rule's contribution per step, drawn as inline SVG stacked bars
// (no charting library, nothing fetched).
import type { StepContribution } from './playground';
import type { RuleName } from './settings';
import { RULE_NAMES } from './settings';

/** Colors of the rules (readable on white, distinguishable without hue: the legend also labels them). */
export const RULE_COLORS: Readonly<Record<RuleName, string>> = {
  eos: '#b8480b',
  uniform: '#1f6fb2',
  diversity: '#2e7d32',
  start: '#7b3fa0',
};

/** Labels of the rules, shared by the controls and the chart. */
export const RULE_LABELS: Readonly<Record<RuleName, string>> = {
  eos: 'EOS ramp',
  uniform: 'Uniform token changes',
  diversity: 'Diversity',
  start: 'Start rule',
};

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 24 };

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

// A "nice" axis maximum: 1, 2 or 5 times a power of ten.
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** A live stacked-bar chart of the rules' contributions. */
export interface ContributionChart {
  /** Starts a new run: forgets the data and sets the x-axis length. */
  reset(maxSteps: number): void;
  /** Adds one step and redraws at the next animation frame. */
  push(step: StepContribution): void;
  /** Redraws now (e.g. after the run, should no frame have come). */
  flush(): void;
}

/**
 * Creates the chart inside an `<svg>` element, with a text summary written to `summary`.
 *
 * @param svg The SVG element to draw into.
 * @param summary An element for the text alternative (mean contribution per rule).
 * @returns The chart.
 */
export function createChart(svg: SVGSVGElement, summary: HTMLElement): ContributionChart {
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  let data: StepContribution[] = [];
  let steps = 1;
  let pending = false;

  const draw = (): void => {
    pending = false;
    svg.replaceChildren();
    const plotWidth = WIDTH - PAD.left - PAD.right;
    const plotHeight = HEIGHT - PAD.top - PAD.bottom;
    const top = niceMax(Math.max(0, ...data.map((d) => RULE_NAMES.reduce((s, r) => s + d.byRule[r], 0))));
    const x = (step: number): number => PAD.left + (step / steps) * plotWidth;
    const y = (value: number): number => PAD.top + plotHeight - (value / top) * plotHeight;
    // Axes and labels.
    svg.append(element('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: PAD.top + plotHeight, stroke: '#555' }));
    svg.append(element('line', { x1: PAD.left, y1: PAD.top + plotHeight, x2: WIDTH - PAD.right, y2: PAD.top + plotHeight, stroke: '#555' }));
    for (const [value, anchor] of [[0, 'end'], [top, 'end']] as const) {
      const label = element('text', { x: PAD.left - 4, y: y(value) + 4, 'text-anchor': anchor, 'font-size': 11, fill: '#333' });
      label.textContent = String(Number(value.toPrecision(3)));
      svg.append(label);
    }
    const xLabel = element('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end', 'font-size': 11, fill: '#333' });
    xLabel.textContent = `step (0 to ${steps})`;
    svg.append(xLabel);
    const yLabel = element('text', { x: PAD.left + 4, y: PAD.top + 10, 'font-size': 11, fill: '#333' });
    yLabel.textContent = 'sum of |score change|';
    svg.append(yLabel);
    // Bars: one per step, stacked in rule order.
    const barWidth = Math.max(1, plotWidth / steps - 0.5);
    for (const d of data) {
      let stacked = 0;
      for (const rule of RULE_NAMES) {
        const value = d.byRule[rule];
        if (value <= 0) continue;
        const y0 = y(stacked);
        const y1 = y(stacked + value);
        svg.append(element('rect', { x: x(d.step), y: y1, width: barWidth, height: Math.max(0.5, y0 - y1), fill: RULE_COLORS[rule] }));
        stacked += value;
      }
    }
    const n = data.length;
    const means = RULE_NAMES.map((r) => ({ r, mean: n === 0 ? 0 : data.reduce((s, d) => s + d.byRule[r], 0) / n })).filter((m) => m.mean > 0);
    summary.textContent =
      n === 0 ? 'No rule contributions yet.' : `${n} steps. Mean contribution per step: ${means.map((m) => `${RULE_LABELS[m.r]} ${m.mean.toFixed(2)}`).join(', ') || 'none'}.`;
  };

  const schedule = (): void => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  };

  draw();
  return {
    reset(maxSteps: number): void {
      data = [];
      steps = Math.max(1, maxSteps);
      schedule();
    },
    push(step: StepContribution): void {
      data.push(step);
      schedule();
    },
    flush: draw,
  };
}
