import type { AnyProcessor } from '../../core/processor';
import type { ModelLike } from './model-info';
import { LogitsProcessorList } from '@huggingface/transformers';
import { RuleLMError } from '../../core/errors';
import { TokenHistory } from '../../core/history';
import { assertOptions, fail, toTokenIds } from '../../core/validate';
import { modelInfo } from './model-info';

/** One change a processor made to one row at one step, reported by the trace. */
export interface TraceEvent {
  /** Generation number of this adapter (0 for the first `generate()` call it served). */
  readonly generation: number;
  /** Row of the batch. */
  readonly batchIndex: number;
  /** Response position: tokens generated before this step in this row. */
  readonly step: number;
  /** Index of the processor in the chain. */
  readonly processorIndex: number;
  /** The processor's kind. */
  readonly kind: string;
  /** Every token whose score changed, with the change (`after - before`; infinite when a score was unmasked). */
  readonly changes: readonly { readonly token: number; readonly delta: number }[];
}

/** Options of {@link logitsProcessor}. */
export interface LogitsProcessorOptions {
  /** The model: its vocabulary size, EOS ids and padding id are checked and used. */
  readonly model?: ModelLike;
  /** Vocabulary size, when there is no model (otherwise taken from the logits). */
  readonly vocabSize?: number;
  /**
   * The tokenizer that encoded the prompts. transformers.js pads batches with the tokenizer's
   * `pad_token_id` (its EOS when it has no pad token), which may differ from the model's.
   */
  readonly tokenizer?: { readonly pad_token_id?: number | null | undefined };
  /**
   * Padding id stripped from the left of each prompt row. Default: both the tokenizer's and the
   * model's padding ids, whichever are known.
   */
  readonly padTokenId?: number;
  /** Called for every processor's changes at every step (costs a pass over the row per processor). */
  readonly trace?: (event: TraceEvent) => void;
}

/** A transformers.js `LogitsProcessorList` that runs a rulelm processor, plus what it knows. */
export type RuleLMLogitsProcessor = LogitsProcessorList & {
  /** The rulelm processor it runs. */
  readonly processor: AnyProcessor;
  /** Number of generations it has started. */
  readonly generations: number;
};

interface Row {
  readonly history: TokenHistory;
  readonly state: unknown;
  /** Number of left-padding tokens before the prompt in the `input_ids` row. */
  readonly offset: number;
}

// Reads input_ids[b][i] as a number, with an error naming it when it is not an id of the vocabulary.
function tokenAt(ids: readonly bigint[], i: number, b: number, width: number): number {
  const id = Number(ids[i]);
  if (!Number.isInteger(id) || id < 0 || id >= width) {
    throw new RuleLMError(`\`input_ids[${b}][${i}]\` must be a token id from 0 to ${width - 1}, but is ${String(ids[i])}`, { argument: `input_ids[${b}][${i}]` });
  }
  return id;
}

interface Generation {
  readonly number: number;
  readonly rows: Row[];
}

// The end-of-sequence ids every ramp in a processor raises, to check them against the model.
function rampIds(processor: AnyProcessor): number[] {
  if (processor.kind === 'chain') return (processor as unknown as { processors: AnyProcessor[] }).processors.flatMap(rampIds);
  if (processor.kind === 'product-of-experts') return (processor as unknown as { experts: { processor: AnyProcessor }[] }).experts.flatMap((e) => rampIds(e.processor));
  if (processor.kind === 'end-of-sequence-ramp') return [...(processor as unknown as { eosTokenIds: number[] }).eosTokenIds];
  return [];
}

/**
 * Turns a rulelm processor (or chain, or preset) into what transformers.js `generate()` and
 * `text-generation` pipelines accept as `logits_processor`.
 *
 * transformers.js calls it synchronously each step with `input_ids` (prompt and response, one
 * `bigint[]` per batch row, left-padded) and the `[batch, vocab]` logits, and never says where
 * the prompt ends. The adapter recognises a generation by its `input_ids` array (the same array
 * object throughout one `generate()` call, a new one for the next), takes each row's length at
 * the first call as its prompt (after stripping left padding), and then feeds only the new
 * tokens to each row's state. So one adapter serves sequential and concurrent generations
 * without sharing state. Custom processors run after transformers.js's own, including the
 * temperature warper when sampling.
 *
 * @param processor The rulelm processor.
 * @param options The model (recommended), padding id, vocabulary size and trace.
 * @returns A `LogitsProcessorList` to pass as `logits_processor`.
 * @throws {RuleLMError} Before generation: processor ids outside the model's vocabulary, or an
 * end-of-sequence ramp on an id the model does not stop on. During generation: logits whose
 * width differs from the vocabulary, or `input_ids` rows that shrink or change.
 * @example
 * ```ts
 * const output = await model.generate({ ...inputs, max_new_tokens: 200, logits_processor: logitsProcessor(hewitt2024(tokenizer), { model, tokenizer }) });
 * ```
 */
export function logitsProcessor(processor: AnyProcessor, options: LogitsProcessorOptions = {}): RuleLMLogitsProcessor {
  if (typeof processor !== 'object' || processor === null || typeof processor.process !== 'function') fail('processor', 'a rulelm processor', processor);
  assertOptions('options', options, ['model', 'tokenizer', 'vocabSize', 'padTokenId', 'trace']);
  const info = options.model === undefined ? undefined : modelInfo(options.model);
  const vocabSize = options.vocabSize ?? info?.vocabSize;
  const tokenizerPad = options.tokenizer?.pad_token_id;
  const padIds =
    options.padTokenId !== undefined
      ? [...toTokenIds('padTokenId', [options.padTokenId])]
      : [...new Set([tokenizerPad, info?.padTokenId].filter((id): id is number => typeof id === 'number'))];
  const pads = padIds.map(BigInt);
  const bosTokenId = info?.bosTokenId;
  const trace = options.trace;
  if (trace !== undefined && typeof trace !== 'function') fail('trace', 'a function', trace);
  if (vocabSize !== undefined) {
    // Validates every id of the processor against the vocabulary before generation starts.
    processor.createState(new TokenHistory([], vocabSize));
  }
  if (info !== undefined && info.eosTokenIds.length > 0) {
    for (const eos of rampIds(processor)) {
      if (!info.eosTokenIds.includes(eos)) {
        throw new RuleLMError(
          `\`processor\` ramps end-of-sequence id ${eos}, but the model stops only on ${JSON.stringify(info.eosTokenIds)}; pass one of those as \`eosTokenIds\``,
          { argument: 'eosTokenIds' },
        );
      }
    }
  }

  const generations = new WeakMap<readonly (readonly bigint[])[], Generation>();
  let started = 0;
  let before: Float32Array | undefined;

  const startRow = (ids: readonly bigint[], batchIndex: number, width: number): Row => {
    let offset = 0;
    while (offset < ids.length && pads.includes(ids[offset] as bigint)) offset++;
    if (offset > 0 && Number(ids[offset - 1]) === bosTokenId) offset--; // the last one is the BOS itself
    const prompt = new Int32Array(ids.length - offset);
    for (let i = offset; i < ids.length; i++) prompt[i - offset] = tokenAt(ids, i, batchIndex, width);
    const history = new TokenHistory(prompt, width, prompt.length + 256);
    const state: unknown = processor.createState(history);
    processor.update(state, history, 0);
    return { history, state, offset };
  };

  // Runs each member of the processor on its own and reports what it changed (debug path).
  const traceRow = (scores: Float32Array, row: Row, generation: number, batchIndex: number): void => {
    const report = trace as (event: TraceEvent) => void;
    const members: readonly AnyProcessor[] = processor.kind === 'chain' ? (processor as unknown as { processors: AnyProcessor[] }).processors : [processor];
    const states: readonly unknown[] = processor.kind === 'chain' ? (row.state as unknown[]) : [row.state];
    if (before === undefined || before.length !== scores.length) before = new Float32Array(scores.length);
    const copy = before;
    for (let index = 0; index < members.length; index++) {
      const member = members[index] as AnyProcessor;
      copy.set(scores);
      member.process(scores, states[index], row.history, 1);
      const changes: { token: number; delta: number }[] = [];
      for (let j = 0; j < scores.length; j++) {
        const a = copy[j] as number;
        const z = scores[j] as number;
        if (a !== z && !(Number.isNaN(a) && Number.isNaN(z))) changes.push({ token: j, delta: z - a });
      }
      report({ generation, batchIndex, step: row.history.responseLength, processorIndex: index, kind: member.kind, changes });
    }
  };

  const run = (inputIds: readonly (readonly bigint[])[], logits: { readonly dims: readonly number[]; readonly data: unknown }): unknown => {
    const [batch, width] = logits.dims as [number, number];
    const data = logits.data;
    if (!(data instanceof Float32Array) || logits.dims.length !== 2) fail('logits', 'a [batch, vocab] float32 tensor', logits.dims);
    if (!Array.isArray(inputIds) || inputIds.length !== batch) fail('input_ids', `an array of ${batch} rows (the logits' batch size)`, Array.isArray(inputIds) ? `${inputIds.length} rows` : inputIds);
    if (vocabSize !== undefined && width !== vocabSize) {
      throw new RuleLMError(`\`logits\` has ${width} scores per row, but the model's vocabulary has ${vocabSize}`, { argument: 'logits' });
    }
    let generation = generations.get(inputIds);
    if (generation === undefined) {
      const rows: Row[] = [];
      for (let b = 0; b < batch; b++) rows.push(startRow(inputIds[b] as readonly bigint[], b, width));
      generation = { number: started++, rows };
      generations.set(inputIds, generation);
    }
    for (let b = 0; b < batch; b++) {
      const ids = inputIds[b] as readonly bigint[];
      const row = generation.rows[b] as Row;
      const { history } = row;
      const known = row.offset + history.length;
      if (ids.length < known || (history.length > 0 && Number(ids[known - 1]) !== history.tokens[history.length - 1])) {
        throw new RuleLMError(
          `\`input_ids\` row ${b} no longer extends the tokens seen at the previous step; a generation's input_ids must only grow (do not reuse or edit the array between generate() calls)`,
          { argument: 'input_ids' },
        );
      }
      if (ids.length > known) {
        for (let i = known; i < ids.length; i++) history.push(tokenAt(ids, i, b, width));
        processor.update(row.state, history, known - row.offset);
      }
      // One row needs no view; a batch row does (a small object per row and step).
      const scores = batch === 1 ? data : data.subarray(b * width, (b + 1) * width);
      if (trace === undefined) processor.process(scores, row.state, history, 1);
      else traceRow(scores, row, generation.number, b);
    }
    return logits;
  };

  const list = new LogitsProcessorList();
  list.push(run as never);
  return Object.defineProperties(list, {
    processor: { value: processor, enumerable: true },
    generations: { get: () => started, enumerable: true },
  }) as RuleLMLogitsProcessor;
}
