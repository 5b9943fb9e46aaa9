/**
 * `npm run bench`: runs every benchmark of `bench/` and writes `bench/RESULTS.md`.
 *
 * Flags:
 * - `--quick`: fewer rounds, shorter budgets, fewer end-to-end runs (a smoke run).
 * - `--only <group>[,<group>]`: `steps`, `e2e`, `memory`, `experts`, `samplers`, `llama-cpp`, `batch`, `decoding` (repeatable).
 * - `--vocab <sizes>` / `--history <lengths>`: restrict the step benchmarks (comma-separated).
 * - `--rounds <n>`: rounds of the step benchmarks.
 * - `--out <file>`: where to write the markdown. A full run writes `bench/RESULTS.md`; a run
 *   with any other flag writes `bench/RESULTS.partial.md` unless `--out` is given.
 *
 * Run with `node --expose-gc --import tsx bench/run.ts` (what the npm script does).
 */
import type { EndToEndResult } from './e2e';
import type { HarnessOptions } from './lib/harness';
import type { MemoryResult } from './memory';
import type { StepsResult } from './steps';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { runEndToEnd } from './e2e';
import type { ExpertsBenchResult } from './experts';
import { renderExperts, runExperts } from './experts';
import { REPO_ROOT, VOCAB_SIZES } from './lib/data';
import { describeMachine } from './lib/machine';
import { renderMarkdown, verdicts } from './lib/report';
import { runMemory } from './memory';
import { runSteps } from './steps';
import { renderSamplers, runSamplers } from './samplers';
import { renderLlamaCpp, runLlamaCpp } from './llama-cpp';
import { renderBatch, runBatch } from './batch';
import { renderDecoding, runDecoding } from './decoding';

const GROUPS = ['steps', 'e2e', 'memory', 'experts', 'samplers', 'llama-cpp', 'batch', 'decoding'] as const;
type Group = (typeof GROUPS)[number];

const HELP = `Usage: npm run bench [-- flags]
  --quick                 fewer rounds and runs (smoke run, ~2 min)
  --only <group>          steps, e2e, memory, experts, samplers, llama-cpp, batch or decoding; comma-separated or repeated
  --vocab <sizes>         step benchmarks only at these vocabulary sizes (${VOCAB_SIZES.join(',')})
  --history <lengths>     step benchmarks only at these history lengths (128,1024,4096)
  --rounds <n>            rounds of the step benchmarks (default 5, quick 2)
  --out <file>            markdown output (default bench/RESULTS.md for a full run, else bench/RESULTS.partial.md)
  --help`;

function numbers(flag: string, value: string | undefined, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`bench: --${flag} takes positive integers separated by commas, not ${JSON.stringify(value)}`);
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      vocab: { type: 'string' },
      history: { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const only = (values.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim());
  for (const o of only) if (!(GROUPS as readonly string[]).includes(o)) throw new Error(`bench: unknown group ${JSON.stringify(o)}; groups are ${GROUPS.join(', ')}`);
  const groups = new Set<Group>(only.length === 0 ? GROUPS : (only as Group[]));
  if ((globalThis as { gc?: unknown }).gc === undefined) console.warn('[bench] NOTICE: run with node --expose-gc (npm run bench does): without it the memory figures include garbage.');

  const quick = values.quick ?? false;
  const rounds = numbers('rounds', values.rounds, [quick ? 2 : 5])[0] as number;
  const harness: HarnessOptions = quick ? { rounds, timeMs: 15, warmupMs: 5, minSamples: 4 } : { rounds, timeMs: 50, warmupMs: 15, minSamples: 8 };
  const vocabSizes = numbers('vocab', values.vocab, VOCAB_SIZES);
  const histories = numbers('history', values.history, [128, 1024, 4096]);
  const flags = process.argv.slice(2).join(' ');
  const partial = flags !== '';
  const out = values.out ?? join(REPO_ROOT, 'bench', partial ? 'RESULTS.partial.md' : 'RESULTS.md');

  const machine = describeMachine();
  const log = (line: string): void => console.log(line);
  log(`[bench] ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; groups: ${[...groups].join(', ')}${quick ? ' (quick)' : ''}`);
  const started = performance.now();
  let steps: StepsResult[] = [];
  let e2e: EndToEndResult[] = [];
  let memory: MemoryResult | undefined;
  // Memory first, while the heap holds nothing but its own tokenizer: its readings are quieter.
  if (groups.has('memory')) memory = await runMemory({ steps: 10_000, log });
  if (groups.has('steps')) steps = await runSteps({ vocabSizes, histories, harness, log });
  if (groups.has('e2e')) e2e = await runEndToEnd({ quick, log });
  let experts: ExpertsBenchResult[] = [];
  if (groups.has('experts')) experts = await runExperts({ quick, log });
  const samplers = groups.has('samplers') ? renderSamplers(runSamplers({ histories: [128, 1024, 4096, 16384], vocabSizes: [32000, 151669], harness, log })) : '';
  const llamaCpp = groups.has('llama-cpp') ? renderLlamaCpp(await runLlamaCpp({ quick, log })) : '';
  const batch = groups.has('batch') ? renderBatch(await runBatch({ quick, log })) : '';
  const decoding = groups.has('decoding') ? renderDecoding(await runDecoding({ vocabSizes: VOCAB_SIZES, harness, quick, log })) : '';
  const results = { machine, flags, harness, loadAtEnd: os.loadavg()[0] ?? 0, seconds: (performance.now() - started) / 1e3, steps, e2e, memory };
  writeFileSync(out, renderMarkdown(results) + (experts.length > 0 ? renderExperts(experts) : '') + samplers + llamaCpp + batch + decoding);
  log('');
  for (const v of verdicts(results)) log(`[bench] ${v.verdict.padEnd(7)} ${v.target}: ${v.measured}${v.margin === '' ? '' : ` (${v.margin})`}`);
  log(`[bench] wrote ${relative(process.cwd(), out)} in ${Math.round(results.seconds)} s`);
}

await main();
