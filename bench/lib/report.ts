/**
 * Turns the measurements into `RESULTS.md`: the machine, the targets with PASS/MISS and their
 * margins, and one table per benchmark.
 */
import type { EndToEndResult } from '../e2e';
import type { AllocationCount, MemoryResult } from '../memory';
import type { StepsResult } from '../steps';
import type { HarnessOptions } from './harness';
import type { Machine } from './machine';
import { CASE_GROUPS, CASES, STEPS_PER_SAMPLE } from '../steps';
import { median, medianTime, ratio } from './harness';

/** Everything one run measured. */
export interface RunResults {
  /** The machine. */
  readonly machine: Machine;
  /** The command line flags. */
  readonly flags: string;
  /** Harness budgets of the step benchmarks. */
  readonly harness: HarnessOptions;
  /** 1-minute load average at the end of the run. */
  readonly loadAtEnd: number;
  /** Wall time of the whole run, in seconds. */
  readonly seconds: number;
  /** Per-step results (empty when not run). */
  readonly steps: readonly StepsResult[];
  /** End-to-end results (empty when not run). */
  readonly e2e: readonly EndToEndResult[];
  /** Memory results (undefined when not run). */
  readonly memory: MemoryResult | undefined;
}

/** One target's verdict. */
export interface Verdict {
  /** What the target says. */
  readonly target: string;
  /** What was measured. */
  readonly measured: string;
  /** The margin to the limit. */
  readonly margin: string;
  /** PASS, MISS or not run. */
  readonly verdict: 'PASS' | 'MISS' | 'not run';
  /** Why, for a MISS (or a caveat). */
  readonly note: string;
}

/**
 * Formats a duration, or a difference of two (with a minus sign when negative).
 *
 * @param ns Nanoseconds.
 * @returns E.g. `"4.07 µs"`, `"-812 ns"`.
 */
export function formatTime(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 0) return `-${formatTime(-ns)}`;
  if (ns < 1e3) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/**
 * Formats a ratio as a percentage with enough digits.
 *
 * @param r The ratio.
 * @returns E.g. `"0.28%"`.
 */
export function formatPercent(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  const p = r * 100;
  const abs = Math.abs(p);
  return `${p.toFixed(abs < 0.01 ? 4 : abs < 0.1 ? 3 : abs < 10 ? 2 : 1)}%`;
}

/**
 * Formats a speed-up factor.
 *
 * @param x The factor.
 * @returns E.g. `"41×"`.
 */
export function formatFactor(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `${x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)}×`;
}

function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '+';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${sign}${Math.round(abs)} B`;
  if (abs < 2 ** 20) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  return `${sign}${(abs / 2 ** 20).toFixed(2)} MiB`;
}

function halfIqr(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const i = q * (sorted.length - 1);
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (i - lo);
  };
  return sorted.length === 0 ? NaN : (at(0.75) - at(0.25)) / 2;
}

function signed(r: number): string {
  return `${r >= 0 ? '+' : ''}${formatPercent(r)}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function find(steps: readonly StepsResult[], vocabSize: number, history: number): StepsResult | undefined {
  return steps.find((s) => s.vocabSize === vocabSize && s.history === history);
}

function caseRatio(result: StepsResult, a: string, b: string): number {
  const x = result.times.get(a);
  const y = result.times.get(b);
  return x === undefined || y === undefined ? NaN : ratio(x, y);
}

function caseTime(result: StepsResult, name: string): number {
  const t = result.times.get(name);
  return t === undefined ? NaN : medianTime(t);
}

/** The vocabulary and history of the headline targets. */
const HEADLINE = { vocabSize: 151669, history: 4096 } as const;

/**
 * Computes the targets' verdicts.
 *
 * @param results The run.
 * @returns One verdict per target.
 */
export function verdicts(results: RunResults): Verdict[] {
  const out: Verdict[] = [];
  const headline = find(results.steps, HEADLINE.vocabSize, HEADLINE.history);

  // 1. The preset per step vs one log_softmax pass.
  const t1 = 'hewitt2024 preset per step ≤ 5% of one log_softmax pass (vocab 151669, history 4096)';
  if (headline === undefined) out.push({ target: t1, measured: '', margin: '', verdict: 'not run', note: 'needs the steps group at vocab 151669 and history 4096' });
  else {
    const r = caseRatio(headline, CASES.preset, CASES.logSoftmax);
    const pass = r <= 0.05;
    out.push({
      target: t1,
      measured: `${formatPercent(r)} (${formatTime(caseTime(headline, CASES.preset))} vs ${formatTime(caseTime(headline, CASES.logSoftmax))})`,
      margin: pass ? `${formatFactor(0.05 / r)} below the limit` : `${formatFactor(r / 0.05)} over the limit`,
      verdict: pass ? 'PASS' : 'MISS',
      note: pass
        ? ''
        : `The preset's step is dominated by the diversity rule, which subtracts the penalty from every distinct type since the user tag (${headline.distinct} types in this history): one scattered write per type, against ${HEADLINE.vocabSize} exponentials for log_softmax.`,
    });
  }

  // 2. At least 10x faster than transformers.js's RepetitionPenaltyLogitsProcessor at history 4096.
  const t2 = '≥ 10× faster than transformers.js RepetitionPenaltyLogitsProcessor alone, history 4096';
  const at4096 = results.steps.filter((s) => s.history === 4096);
  if (at4096.length === 0) out.push({ target: t2, measured: '', margin: '', verdict: 'not run', note: 'needs the steps group at history 4096' });
  else {
    const presetX = at4096.map((s) => ({ s, x: caseRatio(s, CASES.tjsRepetition, CASES.preset) }));
    const multX = at4096.map((s) => ({ s, x: caseRatio(s, CASES.tjsRepetition, CASES.multiplicative) }));
    const worst = presetX.reduce((a, b) => (b.x < a.x ? b : a));
    const worstMult = multX.reduce((a, b) => (b.x < a.x ? b : a));
    const head = presetX.find((p) => p.s.vocabSize === HEADLINE.vocabSize);
    const pass = worst.x >= 10;
    out.push({
      target: t2,
      measured:
        `full preset: ${head === undefined ? '' : `${formatFactor(head.x)} at vocab 151669, `}lowest ${formatFactor(worst.x)} (vocab ${worst.s.vocabLabel}); ` +
        `same-semantics multiplicative penalty: lowest ${formatFactor(worstMult.x)} (vocab ${worstMult.s.vocabLabel})`,
      margin: pass ? `${formatFactor(worst.x / 10)} above the 10× bar (lowest vocabulary)` : `${formatFactor(10 / worst.x)} short of the 10× bar`,
      verdict: pass ? 'PASS' : 'MISS',
      note: pass
        ? ''
        : `transformers.js builds a Set of the ${HEADLINE.history}+ BigInt ids every step; rulelm touches each distinct type once (${worst.s.distinct} types at vocab ${worst.s.vocabLabel}), so the factor shrinks when nearly every token is distinct.`,
    });
  }

  // 3. End-to-end overhead on the real-dimension model. The wall-clock figure decides unless the
  // machine was too noisy to resolve 1% (interquartile half-width of the pairs above 1%); then the
  // direct measurement of the adapter's calls decides, and the note says so.
  const t3 = 'end-to-end generate() overhead of the preset ≤ 1% (real-dimension model)';
  const real = results.e2e.find((e) => e.label.startsWith('generated') && e.skipped === undefined);
  if (real === undefined) out.push({ target: t3, measured: '', margin: '', verdict: 'not run', note: 'needs the e2e group' });
  else {
    const overhead = median(real.stepOverheads);
    const fast = median(real.fastStepOverheads);
    const wall = median(real.overheads);
    const share = median(real.shares);
    const noise = halfIqr(real.stepOverheads);
    const resolved = noise <= 0.01;
    const decisive = resolved ? overhead : share;
    const pass = decisive <= 0.01;
    out.push({
      target: t3,
      measured:
        `per token ${signed(overhead)} (median over ${real.stepOverheads.length} pairs of the median decoding step; noise ±${formatPercent(noise)}), ` +
        `fastest-decile step ${signed(fast)}, whole runs ${signed(wall)}; adapter timed inside generate(): ${formatPercent(share)} of the run`,
      margin: pass ? `${formatPercent(0.01 - decisive)} below the limit` : `${formatPercent(decisive - 0.01)} over the limit`,
      verdict: pass ? 'PASS' : 'MISS',
      note: resolved
        ? pass
          ? `The direct measurement agrees: the adapter's calls take ${formatPercent(share)} of the generation.`
          : share <= 0.01
            ? `The adapter's own calls take only ${formatPercent(share)} of the run, so the rest is either noise or an indirect cost (e.g. the rules' state evicting cache lines the next forward pass needs).`
            : `The adapter's own calls take ${formatPercent(share)} of the run.`
        : `The wall clock could not resolve 1% on this run: the pairs' interquartile half-width is ±${formatPercent(noise)} (load average ${results.loadAtEnd.toFixed(1)} on ${results.machine.cores} cores at the end of the run; other processes share the machine). ` +
          `The verdict is taken from the direct measurement instead: the adapter's calls, timed at every step inside generate(), are ${formatPercent(share)} of the generation time. ` +
          'That does not see indirect costs (cache lines the next forward pass must refetch); rerun `npm run bench -- --only e2e` on a quiet machine to confirm by wall clock.',
    });
  }

  // 4. Heap growth over 10,000 steps.
  const t4 = 'heap growth < 1 MB over 10,000 steps of the preset (vocab 151669, growing history)';
  const m = results.memory;
  if (m === undefined) out.push({ target: t4, measured: '', margin: '', verdict: 'not run', note: 'needs the memory group' });
  else {
    const growth = Math.max(0, m.heapUsed) + Math.max(0, m.external);
    const limit = 1e6;
    const pass = growth < limit;
    out.push({
      target: t4,
      measured: `heapUsed ${formatBytes(m.heapUsed)}, external ${formatBytes(m.external)} (history ${m.historyFrom} → ${m.historyTo} tokens)`,
      margin: pass ? `${formatBytes(limit - growth).slice(1)} under the limit` : `${formatBytes(growth - limit).slice(1)} over the limit`,
      verdict: pass ? 'PASS' : 'MISS',
      note: pass ? '' : 'See the allocation sites below.',
    });
  }
  return out;
}

function stepsSection(steps: readonly StepsResult[], harness: HarnessOptions): string {
  const parts: string[] = ['## 1. Per-step cost, as a share of one log_softmax pass over the row', ''];
  parts.push(
    [
      `- A rulelm **step** is \`sequence.push(token)\` + \`sequence.process(row)\` on a \`startSequence\` sequence; a transformers.js step is \`input_ids[0].push(BigInt(token))\` + \`processor(input_ids, logits)\`, as \`generate()\` calls it. The adapter row is the preset through \`logitsProcessorList\` (a transformers.js \`LogitsProcessorList\` holding one \`RuleLMLogitsProcessor\`), called the same way.`,
      `- **History**: the prompt (the preset's user marker, a one-sentence instruction, the assistant marker) followed by token ids drawn from a **Zipf distribution** (exponent 1, ranks mapped to the vocabulary's non-special ids by a seeded random permutation), pre-filled to the given length. Steps push more tokens from the same stream; after growing by max(16, history/16) tokens the sequence is restarted untimed, so histories stay within 6% of the nominal length.`,
      `- **Row**: normal scores (σ = 4), restored from a saved copy before every sample, untimed; a sample is ${STEPS_PER_SAMPLE} steps (1 for the cases that pass over the whole row — log_softmax, the row copy, the dense biases, the log-probs product of experts — on rows of 8192 scores or more), so the scores drift by at most ${STEPS_PER_SAMPLE} applications. The restore is not in the timings; its cost is the "row copy" row, for reference.`,
      `- Repetition penalties count the whole sequence (\`scope: "sequence"\`, like transformers.js); the preset and the product of experts use the paper's reference fidelity (diversity since the user tag, i.e. the whole history here). \`TokenBias by text\` and transformers.js's \`NoBadWordsLogitsProcessor\` and Tensor biases use the token sequences the paper's 15 uniform words resolve to on each vocabulary.`,
      `- Each cell: median time per step as a share of the plain-JS log_softmax measured in the same rounds (median over ${harness.rounds} rounds of the per-round ratio), then the median absolute time for context. tinybench, ${harness.timeMs} ms + ${harness.warmupMs} ms warm-up per case and round, at least ${harness.minSamples} samples; rounds rotate the case order.`,
    ].join('\n'),
    '',
  );
  const labels = [...new Set(steps.map((s) => s.vocabLabel))];
  for (const label of labels) {
    const rows = steps.filter((s) => s.vocabLabel === label).sort((a, b) => a.history - b.history);
    const first = rows[0] as StepsResult;
    parts.push(`### Vocabulary ${label}`, '');
    parts.push(
      `Distinct types in the history: ${rows.map((r) => `${r.history} → ${r.distinct}`).join(', ')}. The text biases resolve to ${first.biasedIds} token sequences. Row width ${first.vocabSize}.`,
      '',
    );
    const header = ['case', ...rows.map((r) => `history ${r.history}`)];
    const body: string[][] = [];
    for (const name of [...CASE_GROUPS.rulelm, ...CASE_GROUPS.transformers, ...CASE_GROUPS.floor]) {
      body.push([
        name,
        ...rows.map((r) => {
          const t = caseTime(r, name);
          if (name === CASES.logSoftmax) return `100% · ${formatTime(t)}`;
          return `${formatPercent(caseRatio(r, name, CASES.logSoftmax))} · ${formatTime(t)}`;
        }),
      ]);
    }
    parts.push(table(header, body), '');
  }
  return parts.join('\n');
}

function versusSection(steps: readonly StepsResult[]): string {
  const parts: string[] = ['## 2. rulelm against transformers.js, same rounds', ''];
  parts.push('Speed-up = transformers.js time per step / rulelm time per step (median of per-round ratios). Pairs doing comparable work:', '');
  const pairs: { head: string; tjs: string; ours: string }[] = [
    { head: 'tjs RepetitionPenalty ÷ rulelm multiplicative (same semantics)', tjs: CASES.tjsRepetition, ours: CASES.multiplicative },
    { head: 'tjs RepetitionPenalty ÷ full preset', tjs: CASES.tjsRepetition, ours: CASES.preset },
    { head: 'tjs RepetitionPenalty ÷ preset via adapter', tjs: CASES.tjsRepetition, ours: CASES.adapter },
    { head: 'tjs NoBadWords ÷ TokenBias by text', tjs: CASES.tjsBadWords, ours: CASES.tokenBias },
    { head: 'tjs Tensor sparse bias ÷ TokenBias by text', tjs: CASES.tjsSparse, ours: CASES.tokenBias },
    { head: 'tjs Tensor dense bias ÷ TokenBias by text', tjs: CASES.tjsDense, ours: CASES.tokenBias },
  ];
  const rows = [...steps].sort((a, b) => a.vocabSize - b.vocabSize || a.history - b.history);
  parts.push(
    table(
      ['vocab', 'history', ...pairs.map((p) => p.head)],
      rows.map((r) => [r.vocabLabel, String(r.history), ...pairs.map((p) => formatFactor(caseRatio(r, p.tjs, p.ours)))]),
    ),
    '',
  );
  return parts.join('\n');
}

function e2eSection(e2e: readonly EndToEndResult[]): string {
  const parts: string[] = ['## 3. End-to-end `model.generate()`, with and without the preset', ''];
  parts.push(
    [
      '- Greedy, the paper\'s prompt template via `formatPrompt`, `logitsProcessorList(hewitt2024ForModel(model, tokenizer), { model })`. Both arms generate exactly the same number of tokens (`min_new_tokens = max_new_tokens`, so the EOS ramp cannot end the preset\'s runs early; it still runs every step).',
      '- Both arms pass a logits processor that reads the clock at every step; in the base arm it does nothing else. The time between two calls is one decoding step (forward pass, slicing, processors, greedy pick). Per-token overhead of a pair = median step with the preset / median step without − 1; the reported figure is the median over pairs. Whole-run wall-clock ratios are reported too; they carry every pause of the shared machine.',
      '- Runs alternate in pairs (base first, then preset first in the next pair) after one full warm-up run of each. "Fastest-decile step": the same ratio on the 10th percentile of each run\'s steps, which contention from other processes inflates least.',
      '- "Adapter share": the preset arm also times the adapter\'s call at every step, the direct measure of what rulelm adds.',
    ].join('\n'),
    '',
  );
  const range = (xs: readonly number[]): string => `${signed(Math.min(...xs))} … ${signed(Math.max(...xs))}`;
  parts.push(
    table(
      ['model', 'prompt + new tokens', 'pairs', 'base tok/s (median)', 'preset tok/s (median)', 'median step, base / preset', 'per-token overhead (median, range)', 'fastest-decile step overhead (median)', 'whole-run overhead (median, range)', 'adapter per token', 'adapter share'],
      e2e.map((e) =>
        e.skipped !== undefined
          ? [e.label, '', '', `skipped: ${e.skipped}`, '', '', '', '', '', '', '']
          : [
              e.label,
              `${e.promptTokens} + ${e.tokens}`,
              String(e.overheads.length),
              median(e.baseTps).toFixed(1),
              median(e.presetTps).toFixed(1),
              `${formatTime(median(e.baseStepMs) * 1e6)} / ${formatTime(median(e.presetStepMs) * 1e6)}`,
              `${signed(median(e.stepOverheads))} (${range(e.stepOverheads)})`,
              signed(median(e.fastStepOverheads)),
              `${signed(median(e.overheads))} (${range(e.overheads)})`,
              formatTime(median(e.adapterUs) * 1e3),
              formatPercent(median(e.shares)),
            ],
      ),
    ),
    '',
  );
  return parts.join('\n');
}

function sites(count: AllocationCount): string {
  const list = (s: AllocationCount['srcSites']): string => (s.length === 0 ? 'none' : s.map((x) => `\`${x.fn}\` (${x.where.replace(/:\d+$/, '')}) ${formatBytes(x.bytes).slice(1)}`).join('; '));
  return `src/: ${list(count.srcSites)}. Elsewhere: ${list(count.otherSites)}`;
}

function memorySection(m: MemoryResult): string {
  const parts: string[] = ['## 4. Memory over 10,000 steps (vocab ' + m.vocabLabel + ')', ''];
  parts.push(
    [
      `- Heap growth (three repeats, median): a fresh preset sequence (prompt of ${m.historyFrom} tokens, default capacity, so the history buffer doubles as it grows; created before the first reading, kept alive past the last), ${m.steps} steps of push + process; before and after, \`gc()\` three times 30 ms apart (node --expose-gc; dead array buffers are freed by a background sweeper), after warm-up runs so JIT code is not counted.`,
      '- Allocations: V8\'s sampling heap profiler (every ~32 bytes, objects already collected included) over another run of the same steps, and over the same steps through the transformers.js adapter (input_ids of pre-made BigInts). Byte counts are the profiler\'s estimates; the sequence or generation is started outside the window.',
    ].join('\n'),
    '',
  );
  parts.push(
    table(
      ['measure', 'value'],
      [
        ['heapUsed growth (median of 3; each)', `${formatBytes(m.heapUsed)} (${m.heapUsedRuns.map(formatBytes).join(', ')})`],
        ['control: heapUsed change with 0 steps, median of 3; each', `${formatBytes(median(m.controlRuns))} (${m.controlRuns.map(formatBytes).join(', ')})`],
        ['external growth (typed-array buffers: the history), median of 3; each', `${formatBytes(m.external)} (${m.externalRuns.map(formatBytes).join(', ')})`],
        ['allocated, sequence.push + process (all code)', `${formatBytes(m.sequence.total).slice(1)} (${(m.sequence.total / m.steps).toFixed(1)} B/step)`],
        ['… of which by src/', `${formatBytes(m.sequence.src).slice(1)} (${(m.sequence.src / m.steps).toFixed(1)} B/step)`],
        ['allocated, through the adapter (all code)', `${formatBytes(m.adapter.total).slice(1)} (${(m.adapter.total / m.steps).toFixed(1)} B/step)`],
        ['… of which by src/', `${formatBytes(m.adapter.src).slice(1)} (${(m.adapter.src / m.steps).toFixed(1)} B/step)`],
      ],
    ),
    '',
    `Largest sites, sequence: ${sites(m.sequence)}`,
    '',
    `Largest sites, adapter: ${sites(m.adapter)}`,
    '',
  );
  return parts.join('\n');
}

/**
 * Renders `RESULTS.md`.
 *
 * @param results The run.
 * @returns The markdown.
 */
export function renderMarkdown(results: RunResults): string {
  const { machine } = results;
  const parts: string[] = ['# rulelm benchmarks', ''];
  parts.push(
    `Written by \`npm run bench${results.flags === '' ? '' : ` -- ${results.flags}`}\` on ${machine.date} in ${Math.round(results.seconds)} s. Benchmarks are not tests and CI does not run them. Compare ratios (measured in the same rounds); absolute times are context for this machine only.`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cpu}, ${machine.cores} logical cores (shared)`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Node / V8', `${machine.node} / ${machine.v8}`],
        ['packages', Object.entries(machine.packages).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['load average (1 min) at start / end', `${machine.loadAtStart.toFixed(2)} / ${results.loadAtEnd.toFixed(2)} (other processes share the cores)`],
        ['code measured', machine.commit],
      ],
    ),
    '',
    '## Targets',
    '',
  );
  const v = verdicts(results);
  parts.push(table(['target', 'measured', 'margin', 'verdict'], v.map((x) => [x.target, x.measured, x.margin, `**${x.verdict}**`])), '');
  for (const x of v) if (x.note !== '') parts.push(`- ${x.verdict} — ${x.target}: ${x.note}`);
  parts.push('');
  if (results.steps.length > 0) parts.push(stepsSection(results.steps, results.harness), versusSection(results.steps));
  if (results.e2e.length > 0) parts.push(e2eSection(results.e2e));
  if (results.memory !== undefined) parts.push(memorySection(results.memory));
  return `${parts.join('\n').trimEnd()}\n`;
}
