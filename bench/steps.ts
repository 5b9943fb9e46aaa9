/**
 * Per-step cost of each rulelm processor and of the paper's preset, at several vocabulary sizes
 * and history lengths, against transformers.js's own processors doing comparable work and
 * against the floor: one `log_softmax` pass over the row.
 *
 * A rulelm step is `sequence.push(token)` + `sequence.process(row)` on a sequence made by
 * `startSequence`, whose history was pre-filled to the given length. A transformers.js step is
 * `input_ids[0].push(BigInt(token))` + `processor(input_ids, logits)`, as `generate()` does it.
 */
import type { Tensor as TensorType } from '@huggingface/transformers';
import type { Processor, Sequence } from '../src/index';
import type { BenchTokenizer } from './lib/data';
import type { CaseTimes, HarnessOptions, StepCase } from './lib/harness';
import { NoBadWordsLogitsProcessor, RepetitionPenaltyLogitsProcessor, Tensor } from '@huggingface/transformers';
import { EndOfSequenceRamp, HEWITT2024, hewitt2024, PositionBias, ProductOfExperts, RepetitionPenalty, startSequence, TokenBias, toVocabulary } from '../src/index';
import { logitsProcessorList } from '../src/adapters/transformers/index';
import { distinct, loadBenchTokenizer, scoreRow, zipfSampler } from './lib/data';
import { medianTime, runRounds } from './lib/harness';
import { logSoftmax } from './lib/log-softmax';

/** Case names, also the row labels of the tables. */
export const CASES = {
  eos: 'EndOfSequenceRamp',
  presence: 'RepetitionPenalty presence',
  frequency: 'RepetitionPenalty frequency',
  multiplicative: 'RepetitionPenalty multiplicative',
  tokenBias: 'TokenBias by text',
  position: 'PositionBias (an entry at every step)',
  positionDense: 'PositionBias dense, t = 0 (process only)',
  poeLogits: 'ProductOfExperts logits (preset as expert)',
  poeLogProbs: 'ProductOfExperts log-probs (preset as expert)',
  preset: 'hewitt2024 preset',
  adapter: 'hewitt2024 preset via logitsProcessorList (adapter)',
  tjsRepetition: 'tjs RepetitionPenaltyLogitsProcessor',
  tjsBadWords: 'tjs NoBadWordsLogitsProcessor',
  tjsSparse: 'tjs Tensor bias, sparse (logits[0].data[id] +=)',
  tjsDense: 'tjs Tensor bias, dense (logits.map_)',
  logSoftmax: 'log_softmax (plain JS, floor)',
  copy: 'row copy (Float32Array.set)',
} as const;

/** Which cases are rulelm's, transformers.js's, or reference points. */
export const CASE_GROUPS: { readonly rulelm: readonly string[]; readonly transformers: readonly string[]; readonly floor: readonly string[] } = {
  rulelm: [CASES.eos, CASES.presence, CASES.frequency, CASES.multiplicative, CASES.tokenBias, CASES.position, CASES.positionDense, CASES.poeLogits, CASES.poeLogProbs, CASES.preset, CASES.adapter],
  transformers: [CASES.tjsRepetition, CASES.tjsBadWords, CASES.tjsSparse, CASES.tjsDense],
  floor: [CASES.logSoftmax, CASES.copy],
};

/**
 * Steps per sample for the cases that push tokens (the row drifts by at most this many
 * applications); the cases that pass over the whole row take one step per sample on rows of
 * 8192 scores or more.
 */
export const STEPS_PER_SAMPLE = 16;

/** The instruction of the pre-filled prompt. */
const INSTRUCTION = 'Give me three tips for sleeping well, and explain why each one works.';

/** Settings of {@link runSteps}. */
export interface StepsOptions {
  /** Nominal vocabulary sizes. */
  readonly vocabSizes: readonly number[];
  /** History lengths. */
  readonly histories: readonly number[];
  /** Harness budgets. */
  readonly harness: HarnessOptions;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/** The measurements at one vocabulary size and history length. */
export interface StepsResult {
  /** Vocabulary label, e.g. `"151669 (qwen3)"`. */
  readonly vocabLabel: string;
  /** Row width. */
  readonly vocabSize: number;
  /** History length the sequences are pre-filled to. */
  readonly history: number;
  /** Tokens a sequence may grow by before it is restarted (untimed). */
  readonly growth: number;
  /** Prompt length (markers and instruction) within the history. */
  readonly promptLength: number;
  /** Distinct token types in the pre-filled history. */
  readonly distinct: number;
  /** Ids the text biases resolved to (TokenBias and NoBadWords work on the same ones). */
  readonly biasedIds: number;
  /** Times per case. */
  readonly times: Map<string, CaseTimes>;
}

/** What every case of one (vocabulary, history) pair shares. */
interface Env {
  readonly vocabSize: number;
  readonly history: number;
  readonly growth: number;
  readonly prompt: readonly number[];
  /** History tokens after the prompt, then the tokens pushed by the steps. */
  readonly stream: Int32Array;
  readonly base: Float32Array;
  readonly row: Float32Array;
}

// A rulelm case: restarts the sequence (pre-filled to `history`) whenever it has grown by
// `growth` tokens; restores the row before every sample.
function sequenceCase(name: string, processor: Processor, env: Env, steps = STEPS_PER_SAMPLE): StepCase {
  const { vocabSize, history, growth, prompt, stream, base, row } = env;
  const filled = history - prompt.length;
  let sequence: Sequence | undefined;
  let next = 0;
  let grown = Infinity;
  return {
    name,
    steps,
    prepare(): void {
      if (sequence === undefined || grown + steps > growth) {
        sequence = startSequence(processor, { prompt, vocabSize, capacity: history + growth + 64 });
        sequence.append(stream.subarray(0, filled));
        next = filled;
        grown = 0;
      }
      row.set(base);
    },
    run(): void {
      const s = sequence as Sequence;
      for (let k = 0; k < steps; k++) {
        s.push(stream[next++] as number);
        s.process(row);
      }
      grown += steps;
    },
  };
}

// A case called as generate() calls a logits processor: `(input_ids, logits)`. Whenever
// input_ids has grown by `growth` it starts over as a new generation: a new array of `history`
// tokens and one untimed first call (the rulelm adapter reads the prompt there, and needs a new
// array per generation); the row is restored before every sample.
function transformersCase(name: string, step: (inputIds: bigint[][], logits: TensorType) => unknown, env: Env, historyIds: readonly number[], steps = STEPS_PER_SAMPLE): StepCase {
  const { vocabSize, history, growth, prompt, stream, base, row } = env;
  const start = historyIds.map((id) => BigInt(id));
  const logits = new Tensor('float32', row, [1, vocabSize]);
  let ids: bigint[] = [];
  let inputIds: bigint[][] = [ids];
  let next = 0;
  let grown = Infinity;
  return {
    name,
    steps,
    prepare(): void {
      if (grown + steps > growth) {
        ids = start.slice(0, history);
        inputIds = [ids];
        step(inputIds, logits);
        next = history - prompt.length;
        grown = 0;
      }
      row.set(base);
    },
    run(): void {
      for (let k = 0; k < steps; k++) {
        ids.push(BigInt(stream[next++] as number));
        step(inputIds, logits);
      }
      grown += steps;
    },
  };
}

// A case without history: `steps` calls per sample.
function plainCase(name: string, call: () => void, steps: number, prepare: () => void = () => {}): StepCase {
  return {
    name,
    steps,
    prepare,
    run(): void {
      for (let k = 0; k < steps; k++) call();
    },
  };
}

/**
 * Runs the per-step benchmarks.
 *
 * @param options Vocabularies, histories, budgets.
 * @returns One result per (vocabulary, history).
 */
export async function runSteps(options: StepsOptions): Promise<StepsResult[]> {
  const results: StepsResult[] = [];
  const maxHistory = Math.max(...options.histories);
  for (const size of options.vocabSizes) {
    const tok: BenchTokenizer = await loadBenchTokenizer(size);
    const tokenizer = tok.tokenizer;
    const vocabulary = toVocabulary(tokenizer);
    const vocabSize = vocabulary.size;
    const preset = hewitt2024(tokenizer);
    const markers = preset.markers ?? { user: [], assistant: [] };
    const prompt = [...markers.user, ...tokenizer.encode(INSTRUCTION, { add_special_tokens: false }), ...markers.assistant];
    const special = new Set(tokenizer.all_special_ids);
    const allowed: number[] = [];
    for (let id = 0; id < vocabSize; id++) if (!special.has(id)) allowed.push(id);
    const sample = zipfSampler(allowed, 1234 + size);
    const stream = new Int32Array(maxHistory + Math.max(STEPS_PER_SAMPLE, maxHistory / 16) + 2 * STEPS_PER_SAMPLE);
    for (let i = 0; i < stream.length; i++) stream[i] = sample();
    const base = scoreRow(vocabSize, 42 + size);
    const row = new Float32Array(vocabSize);
    const out = new Float32Array(vocabSize);
    const eosTokenIds = vocabulary.eosTokenIds.length > 0 ? [...vocabulary.eosTokenIds] : [0];

    // The paper's 15 uniform words as text biases; NoBadWords bans the same token sequences.
    const textBias = new TokenBias({ tokenizer, biases: HEWITT2024.uniform.map((u) => ({ text: u.text, boundary: u.boundary, bias: u.bias })), unresolved: 'skip' });
    const badWords = textBias.resolved.map((r) => [...r.tokens]);
    const single = textBias.resolved.filter((r) => r.tokens.length === 1);
    const sparseIds = Int32Array.from(single.map((r) => r.tokens[0] as number));
    const sparseValues = Float32Array.from(single.map((r) => r.bias));
    const dense = new Float32Array(vocabSize);
    for (let i = 0; i < sparseIds.length; i++) dense[sparseIds[i] as number]! += sparseValues[i] as number;
    const startDense = new Float32Array(vocabSize);
    for (let id = 0; id < vocabSize; id++) startDense[id] = (id % 7) - 3;
    const fewIds = [...sparseIds.slice(0, 3)];

    for (const history of options.histories) {
      if (history <= prompt.length) throw new Error(`bench: history ${history} is not longer than the prompt (${prompt.length} tokens)`);
      const growth = Math.max(STEPS_PER_SAMPLE, Math.floor(history / 16));
      // Cases that pass over the whole row take one step per sample, unless the row is small.
      const wholeRow = vocabSize < 8192 ? STEPS_PER_SAMPLE : 1;
      const env: Env = { vocabSize, history, growth, prompt, stream, base, row };
      const historyIds = [...prompt, ...stream.subarray(0, history - prompt.length)];
      const responseSpan = history - prompt.length + growth + STEPS_PER_SAMPLE;
      // Entries at every position the timed steps reach (the sequence restarts at the history
      // length), within the 4096 positions a PositionBias may hold.
      const firstStep = history - prompt.length;
      const everyStep = new PositionBias({
        positions: Array.from({ length: responseSpan - firstStep + 1 }, (_, i) => ({ at: firstStep + i, biases: fewIds.map((token, j) => ({ token, bias: j - 1 })) })),
      });
      const denseAtStart = startSequence(new PositionBias({ positions: [{ at: 0, biases: startDense }] }), { prompt: historyIds, vocabSize });
      const asExpert = [{ processor: preset, weight: 1 }];
      const tjsRepetition = new RepetitionPenaltyLogitsProcessor(1.3);
      const tjsBadWords = new NoBadWordsLogitsProcessor(badWords, eosTokenIds);
      const cases: StepCase[] = [
        sequenceCase(CASES.eos, new EndOfSequenceRamp({ eosTokenIds }), env),
        sequenceCase(CASES.presence, new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: 'sequence' }), env),
        sequenceCase(CASES.frequency, new RepetitionPenalty({ mode: 'frequency', penalty: 0.3, scope: 'sequence' }), env),
        sequenceCase(CASES.multiplicative, new RepetitionPenalty({ mode: 'multiplicative', penalty: 1.3, scope: 'sequence' }), env),
        sequenceCase(CASES.tokenBias, textBias, env),
        sequenceCase(CASES.position, everyStep, env),
        plainCase(CASES.positionDense, () => denseAtStart.process(row), wholeRow, () => row.set(base)),
        sequenceCase(CASES.poeLogits, new ProductOfExperts({ experts: asExpert }), env),
        sequenceCase(CASES.poeLogProbs, new ProductOfExperts({ experts: asExpert, output: 'log-probs' }), env, wholeRow),
        sequenceCase(CASES.preset, preset, env),
        transformersCase(CASES.adapter, logitsProcessorList(preset, { vocabSize }), env, historyIds),
        transformersCase(CASES.tjsRepetition, (ids, logits) => tjsRepetition(ids, logits), env, historyIds),
        transformersCase(CASES.tjsBadWords, (ids, logits) => tjsBadWords(ids, logits), env, historyIds),
        transformersCase(
          CASES.tjsSparse,
          (_ids, logits) => {
            const data = (logits as unknown as Record<number, TensorType>)[0]?.data as Float32Array;
            for (let i = 0; i < sparseIds.length; i++) data[sparseIds[i] as number]! += sparseValues[i] as number;
          },
          env,
          historyIds,
        ),
        transformersCase(CASES.tjsDense, (_ids, logits) => logits.map_((x: number, i: number) => x + (dense[i] as number)), env, historyIds, wholeRow),
        plainCase(CASES.logSoftmax, () => logSoftmax(row, out), wholeRow, () => row.set(base)),
        plainCase(CASES.copy, () => row.set(base), wholeRow),
      ];
      const started = performance.now();
      const times = runRounds(cases, options.harness);
      const result: StepsResult = {
        vocabLabel: tok.label,
        vocabSize,
        history,
        growth,
        promptLength: prompt.length,
        distinct: distinct(historyIds),
        biasedIds: textBias.resolved.length,
        times,
      };
      results.push(result);
      const ns = (name: string): number => {
        const t = times.get(name);
        return t === undefined ? NaN : medianTime(t);
      };
      options.log(
        `[steps] vocab ${tok.label}, history ${history}: preset ${(ns(CASES.preset) / 1e3).toFixed(2)} us, log_softmax ${(ns(CASES.logSoftmax) / 1e3).toFixed(1)} us, ` +
          `tjs repetition ${(ns(CASES.tjsRepetition) / 1e3).toFixed(1)} us (${((performance.now() - started) / 1e3).toFixed(1)} s)`,
      );
    }
  }
  return results;
}
