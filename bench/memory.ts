/**
 * Memory: heap growth over 10,000 steps of the paper's preset with a growing history (vocabulary
 * 151669, qwen3), measured with `gc()` before and after; and the bytes allocated during those
 * steps, counted by V8's sampling heap profiler (including objects already collected) and
 * attributed to the source file that allocated them.
 */
import type { Tensor as TensorType } from '@huggingface/transformers';
import { Tensor } from '@huggingface/transformers';
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hewitt2024, startSequence, toVocabulary } from '../src/index';
import { logitsProcessorList } from '../src/adapters/transformers/index';
import { REPO_ROOT, loadBenchTokenizer, scoreRow, zipfSampler } from './lib/data';
import { collectGarbage, median } from './lib/harness';

/** Settings of {@link runMemory}. */
export interface MemoryOptions {
  /** Number of steps. */
  readonly steps: number;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** Allocation by one site. */
export interface AllocationSite {
  /** Function name. */
  readonly fn: string;
  /** File (relative to the repository) and line. */
  readonly where: string;
  /** Estimated bytes. */
  readonly bytes: number;
}

/** Allocations during the steps of one path. */
export interface AllocationCount {
  /** Estimated bytes allocated in total. */
  readonly total: number;
  /** Estimated bytes allocated by code under `src/`. */
  readonly src: number;
  /** The largest `src/` sites. */
  readonly srcSites: readonly AllocationSite[];
  /** The largest sites elsewhere (the benchmark loop, transformers.js, Node). */
  readonly otherSites: readonly AllocationSite[];
}

/** What {@link runMemory} measured. */
export interface MemoryResult {
  /** Vocabulary label. */
  readonly vocabLabel: string;
  /** Steps run. */
  readonly steps: number;
  /** History length at the start and the end. */
  readonly historyFrom: number;
  /** History length at the end. */
  readonly historyTo: number;
  /** `heapUsed` growth in bytes (gc before and after), median of three repeats. */
  readonly heapUsed: number;
  /** `external` growth in bytes (typed array buffers live here). */
  readonly external: number;
  /** `heapUsed` growth of each of the three repeats. */
  readonly heapUsedRuns: readonly number[];
  /** `heapUsed` change of each of the three 0-step controls (the noise of the readings). */
  readonly controlRuns: readonly number[];
  /** `external` growth of each of the three repeats. */
  readonly externalRuns: readonly number[];
  /** Allocations of `sequence.push` + `sequence.process`. */
  readonly sequence: AllocationCount;
  /** Allocations of the same steps through the transformers.js adapter. */
  readonly adapter: AllocationCount;
}

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const SRC_DIR = `${REPO_ROOT}/src/`;

// Collects garbage until the heap is quiet: array buffers of dead typed arrays are freed by a
// background sweeper after gc(), so wait for it before reading `external`.
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

// Runs `body` under the sampling heap profiler (every ~32 bytes, collected objects included).
async function countAllocations(session: Session, body: () => void): Promise<AllocationCount> {
  collectGarbage();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  body();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  const sites = new Map<string, AllocationSite>();
  const srcKeys = new Set<string>();
  const walk = (node: ProfileNode): void => {
    if (node.selfSize > 0) {
      const { functionName, url, lineNumber } = node.callFrame;
      const path = url.startsWith('file://') ? fileURLToPath(url) : url;
      const where = path === '' ? '(native)' : `${path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path}:${lineNumber + 1}`;
      const key = `${functionName}@${where}`;
      const site = sites.get(key);
      sites.set(key, { fn: functionName || '(anonymous)', where, bytes: (site?.bytes ?? 0) + node.selfSize });
      if (path.startsWith(SRC_DIR)) srcKeys.add(key);
    }
    node.children.forEach(walk);
  };
  walk(profile.head);
  const all = [...sites.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
  const src = all.filter(([k]) => srcKeys.has(k)).map(([, s]) => s);
  const other = all.filter(([k]) => !srcKeys.has(k)).map(([, s]) => s);
  return {
    total: all.reduce((sum, [, s]) => sum + s.bytes, 0),
    src: src.reduce((sum, s) => sum + s.bytes, 0),
    srcSites: src.slice(0, 5),
    otherSites: other.slice(0, 5),
  };
}

/**
 * Runs the memory benchmark.
 *
 * @param options Steps and progress output.
 * @returns The measurements.
 */
export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const { steps, log } = options;
  const tok = await loadBenchTokenizer(151669);
  const tokenizer = tok.tokenizer;
  const vocabSize = toVocabulary(tokenizer).size;
  const preset = hewitt2024(tokenizer);
  const markers = preset.markers ?? { user: [], assistant: [] };
  const prompt = [...markers.user, ...tokenizer.encode('Give me three tips for sleeping well.', { add_special_tokens: false }), ...markers.assistant];
  const special = new Set(tokenizer.all_special_ids);
  const allowed: number[] = [];
  for (let id = 0; id < vocabSize; id++) if (!special.has(id)) allowed.push(id);
  const sample = zipfSampler(allowed, 99);
  const stream = Int32Array.from({ length: steps }, () => sample());
  const bigStream = Array.from(stream, (t) => BigInt(t));
  const row = scoreRow(vocabSize, 7);

  // Each returns the steps to run: the sequence (or the adapter's generation) is started outside them.
  const sequenceSteps = (): (() => void) => {
    const sequence = startSequence(preset, { prompt, vocabSize });
    return () => {
      for (let i = 0; i < steps; i++) {
        sequence.push(stream[i] as number);
        sequence.process(row);
      }
    };
  };
  const adapter = logitsProcessorList(preset, { vocabSize });
  const logits: TensorType = new Tensor('float32', row, [1, vocabSize]);
  const adapterSteps = (): (() => void) => {
    const ids = prompt.map((t) => BigInt(t));
    const inputIds = [ids];
    adapter(inputIds, logits);
    return () => {
      for (let i = 0; i < steps; i++) {
        ids.push(bigStream[i] as bigint);
        adapter(inputIds, logits);
      }
    };
  };

  // Warm up (JIT compilation allocates code objects on the heap).
  sequenceSteps()();
  adapterSteps()();
  sequenceSteps()();

  // Heap growth, three times (the median is reported): the sequence is created before the first
  // reading (its vocabulary-sized state is not growth) and stays alive until after the last, so
  // what it retains (its grown history) counts.
  // A control with 0 steps shows the noise of the readings themselves.
  const growth = async (count: number): Promise<{ heapUsed: number; external: number; history: number }> => {
    const sequence = startSequence(preset, { prompt, vocabSize });
    await settle();
    const before = process.memoryUsage();
    for (let i = 0; i < count; i++) {
      sequence.push(stream[i] as number);
      sequence.process(row);
    }
    await settle();
    const after = process.memoryUsage();
    return { heapUsed: after.heapUsed - before.heapUsed, external: after.external - before.external, history: sequence.history.length };
  };
  const runs: { heapUsed: number; external: number; history: number }[] = [];
  const control: number[] = [];
  for (let repeat = 0; repeat < 3; repeat++) {
    runs.push(await growth(steps));
    control.push((await growth(0)).heapUsed);
  }
  const heapUsed = runs.map((r) => r.heapUsed);
  const external = runs.map((r) => r.external);
  const historyTo = runs[0]?.history ?? 0;
  log(`[memory] heapUsed ${heapUsed.join(', ')} B, external ${external.join(', ')} B over ${steps} steps; control (0 steps) heapUsed ${control.join(', ')} B`);

  const session = new Session();
  session.connect();
  try {
    const sequenceCount = await countAllocations(session, sequenceSteps());
    const adapterCount = await countAllocations(session, adapterSteps());
    log(`[memory] allocated: sequence ~${Math.round(sequenceCount.total)} B (src ~${Math.round(sequenceCount.src)} B), adapter ~${Math.round(adapterCount.total)} B (src ~${Math.round(adapterCount.src)} B)`);
    return {
      vocabLabel: tok.label,
      steps,
      historyFrom: prompt.length,
      historyTo,
      heapUsed: median(heapUsed),
      external: median(external),
      heapUsedRuns: heapUsed,
      controlRuns: control,
      externalRuns: external,
      sequence: sequenceCount,
      adapter: adapterCount,
    };
  } finally {
    session.disconnect();
  }
}
