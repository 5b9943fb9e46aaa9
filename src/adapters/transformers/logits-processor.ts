import type { Tensor } from '@huggingface/transformers';
import type { Processor } from '../../core/processor';
import type { Sequence } from '../../core/sequence';
import type { ModelLike } from './model-info';
import { LogitsProcessor, LogitsProcessorList } from '@huggingface/transformers';
import { RuleLMError } from '../../core/errors';
import { assertProcessor } from '../../core/processor';
import { startSequence } from '../../core/sequence';
import { assertBoolean, assertOptions, assertPositiveInteger, fail, toTokenId } from '../../core/validate';
import { rampsIn } from '../../processors/end-of-sequence-ramp';
import { modelInfo } from './model-info';

/** One change a processor made to one row at one step, reported by the trace. */
export interface TraceEvent {
  /** Generation number of this adapter (0 for the first `generate()` call it served). */
  readonly generation: number;
  /** Row of the batch. */
  readonly batchIndex: number;
  /** Response position: tokens generated before this step in this row. */
  readonly step: number;
  /** Index of the processor in the chain (0 when the processor is not a chain). */
  readonly processorIndex: number;
  /** The processor's kind. */
  readonly kind: string;
  /** Every token whose score changed, with the change (`after - before`, logit units; infinite when a score was unmasked). */
  readonly changes: readonly { readonly token: number; readonly delta: number }[];
}

/** Options of {@link RuleLMLogitsProcessor} and {@link logitsProcessorList}. */
export interface RuleLMLogitsProcessorOptions {
  /** The model: its vocabulary size, EOS ids and padding id are checked and used. */
  readonly model?: ModelLike;
  /** Vocabulary size, when there is no model (otherwise taken from the logits). */
  readonly vocabSize?: number;
  /**
   * The tokenizer that encoded the prompts. transformers.js pads batches with the tokenizer's
   * `pad_token_id` (its EOS when it has no pad token), which may differ from the model's; its
   * `bos_token_id` tells when padding and BOS share an id.
   */
  readonly tokenizer?: { readonly pad_token_id?: number | null | undefined; readonly bos_token_id?: number | null | undefined };
  /**
   * Padding id stripped from the left of each prompt row. Default: both the tokenizer's and the
   * model's padding ids, whichever are known.
   */
  readonly padTokenId?: number;
  /** Called for every processor's changes at every step (costs a pass over the row per processor). */
  readonly trace?: (event: TraceEvent) => void;
  /**
   * Accept an end-of-sequence ramp that raises only some of the ids the model stops on (default
   * `false`: that is an error, because generation can then end on an id the ramp never raised,
   * or never end by the ramp at all). The ids a ramp raises must always be ids the model stops on.
   */
  readonly partialEndOfSequence?: boolean;
}

interface Row {
  readonly sequence: Sequence;
  /** Number of left-padding tokens before the prompt in the `input_ids` row. */
  readonly offset: number;
}

interface Generation {
  readonly number: number;
  readonly rows: Row[];
  /** The `input_ids` array of the latest call (a hand-written loop may pass a new one each step). */
  ids: InputIds;
}

/** `input_ids` as transformers.js passes them (`bigint[]` rows), or as a hand-written loop may (`number[]` rows). */
type InputIds = readonly (readonly (bigint | number)[])[];

// How many recent generations a new input_ids array is compared with (to continue a hand-written
// loop that passes a new array each step).
const RECENT = 8;

// Reads input_ids[b][i] as a number, with an error naming it when it is not an id of the vocabulary.
function tokenAt(ids: readonly (bigint | number)[], i: number, b: number, width: number): number {
  const id = Number(ids[i]);
  if (!Number.isInteger(id) || id < 0 || id >= width) {
    throw new RuleLMError(`\`input_ids[${b}][${i}]\` must be a token id from 0 to ${width - 1}, but is ${String(ids[i])}`, { argument: `input_ids[${b}][${i}]` });
  }
  return id;
}

// Runs one row with the trace. A separate function, so that `_call`'s loop creates no closure
// (and allocates nothing) per row and step when there is no trace.
function traceRow(sequence: Sequence, scores: Float32Array, trace: (event: TraceEvent) => void, generation: number, batchIndex: number): void {
  const step = sequence.history.responseLength;
  sequence.trace(scores, (member) => trace({ generation, batchIndex, step, ...member }));
}

// Every ramp must raise only ids the model stops on, and (unless `partial`) every one of them.
function checkRamps(processor: Processor, modelEos: readonly number[], partial: boolean): void {
  for (const ramp of rampsIn(processor)) {
    const ids = ramp.eosTokenIds;
    for (const eos of ids) {
      if (!modelEos.includes(eos)) {
        throw new RuleLMError(`\`processor\` ramps end-of-sequence id ${eos}, but the model stops only on ${JSON.stringify(modelEos)}; pass one of those as \`eosTokenIds\``, {
          argument: 'eosTokenIds',
        });
      }
    }
    const missed = modelEos.filter((eos) => !ids.includes(eos));
    if (missed.length > 0 && !partial) {
      throw new RuleLMError(
        `\`processor\` ramps end-of-sequence ${JSON.stringify(ids)}, but the model also stops on ${JSON.stringify(missed)}, which the ramp never raises; build the preset with \`hewitt2024ForModel(model, tokenizer)\` or pass \`eosTokenIds: ${JSON.stringify(modelEos)}\`, or pass \`partialEndOfSequence: true\` to accept it`,
        { argument: 'eosTokenIds' },
      );
    }
  }
}

// The number of leading pad ids of a row.
function padRun(ids: readonly (bigint | number)[], pads: readonly number[]): number {
  let run = 0;
  while (run < ids.length && pads.includes(Number(ids[run]))) run++;
  return run;
}

function describeDtype(logits: Tensor): string {
  const type = (logits as { type?: unknown }).type;
  if (typeof type === 'string') return type;
  const data = logits.data as unknown;
  return typeof data === 'object' && data !== null ? data.constructor.name : typeof data;
}

/**
 * A transformers.js `LogitsProcessor` that runs a rulelm processor (a chain, the paper's preset,
 * your own): push it into a `LogitsProcessorList` next to transformers.js's own processors, in
 * any order, and pass the list as `logits_processor` to `generate()` or a `text-generation`
 * pipeline. For the common case, {@link logitsProcessorList} makes the list in one line.
 *
 * transformers.js calls it synchronously each step with `input_ids` (prompt and response, one
 * `bigint[]` per batch row, left-padded) and the `[batch, vocab]` float32 logits, and never says
 * where the prompt ends. The adapter recognises a generation by its `input_ids` array (the same
 * array object throughout one `generate()` call, a new one for the next), takes each row's length
 * at the first call as its prompt (after stripping left padding; when the padding id is also a
 * BOS id, each row keeps the BOS tokens the batch's unpadded row starts with, so a batched row is
 * scored as the same prompt alone), and then feeds only the new token of each step to each row's
 * state (through `startSequence`, the core's one driver). So one adapter serves sequential and
 * concurrent generations without sharing state. A hand-written loop that passes a new array each
 * step (rows = a recent generation's rows plus one token, that generation's own array unchanged)
 * continues its generation; rows that grow by more than one token between steps are an error.
 * In `generate()`, custom processors run after transformers.js's own, including the temperature
 * warper when sampling.
 *
 * @example
 * ```ts
 * import { AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList, RepetitionPenaltyLogitsProcessor } from '@huggingface/transformers';
 * import { hewitt2024 } from 'rulelm';
 * import { RuleLMLogitsProcessor } from 'rulelm/transformers';
 *
 * const tokenizer = await AutoTokenizer.from_pretrained('Xenova/llama2.c-stories15M');
 * const model = await AutoModelForCausalLM.from_pretrained('Xenova/llama2.c-stories15M');
 * const list = new LogitsProcessorList();
 * list.push(new RepetitionPenaltyLogitsProcessor(1.1));
 * list.push(new RuleLMLogitsProcessor(hewitt2024(tokenizer), { model, tokenizer }));
 * const output = await model.generate({ ...tokenizer('Once upon a time'), max_new_tokens: 50, logits_processor: list });
 * ```
 */
export class RuleLMLogitsProcessor extends LogitsProcessor {
  /** The rulelm processor it runs. */
  readonly processor: Processor;
  readonly #vocabSize: number | undefined;
  readonly #pads: readonly number[];
  readonly #padIsBos: boolean;
  readonly #trace: ((event: TraceEvent) => void) | undefined;
  readonly #generations = new WeakMap<InputIds, Generation>();
  readonly #recent: Generation[] = [];
  #started = 0;

  /**
   * Wraps a rulelm processor for transformers.js generation.
   *
   * @param processor The rulelm processor.
   * @param options The model (recommended) and tokenizer, padding id, vocabulary size and trace.
   * @throws {RuleLMError} Processor ids outside the model's vocabulary; an end-of-sequence ramp
   * on an id the model does not stop on, or (without `partialEndOfSequence`) one that misses
   * some of them; a tokenizer passed as the model.
   */
  constructor(processor: Processor, options: RuleLMLogitsProcessorOptions = {}) {
    super();
    assertProcessor('processor', processor);
    assertOptions('options', options, ['model', 'tokenizer', 'vocabSize', 'padTokenId', 'trace', 'partialEndOfSequence']);
    const partial = options.partialEndOfSequence ?? false;
    assertBoolean('partialEndOfSequence', partial);
    const info = options.model === undefined ? undefined : modelInfo(options.model);
    if (options.vocabSize !== undefined) {
      assertPositiveInteger('vocabSize', options.vocabSize);
      if (info?.vocabSize !== undefined && info.vocabSize !== options.vocabSize) {
        throw new RuleLMError(`\`vocabSize\` is ${options.vocabSize}, but the model's config says ${info.vocabSize}; leave \`vocabSize\` out when you pass the model`, { argument: 'vocabSize' });
      }
    }
    if (options.tokenizer !== undefined && ((typeof options.tokenizer !== 'object' && typeof options.tokenizer !== 'function') || options.tokenizer === null)) fail('tokenizer', 'a transformers.js tokenizer', options.tokenizer);
    const vocabSize = options.vocabSize ?? info?.vocabSize;
    const tokenizerPad = options.tokenizer?.pad_token_id;
    const padIds =
      options.padTokenId !== undefined
        ? [toTokenId('padTokenId', options.padTokenId)]
        : [...new Set([tokenizerPad, info?.padTokenId].filter((id): id is number => typeof id === 'number'))];
    if (vocabSize !== undefined) {
      const outside = padIds.find((id) => id >= vocabSize);
      if (outside !== undefined) throw new RuleLMError(`\`padTokenId\` is ${outside}, outside a vocabulary of ${vocabSize} ids (0 to ${vocabSize - 1})`, { argument: 'padTokenId' });
    }
    if (options.trace !== undefined && typeof options.trace !== 'function') fail('trace', 'a function', options.trace);
    if (vocabSize !== undefined) processor.checkVocabulary(vocabSize);
    if (info !== undefined && info.eosTokenIds.length > 0) checkRamps(processor, info.eosTokenIds, partial);
    const tokenizerBos = options.tokenizer?.bos_token_id;
    const bosIds = [tokenizerBos, info?.bosTokenId].filter((id): id is number => typeof id === 'number');
    this.processor = processor;
    this.#vocabSize = vocabSize;
    this.#pads = padIds;
    this.#padIsBos = padIds.some((id) => bosIds.includes(id));
    this.#trace = options.trace;
  }

  /**
   * Number of generations it has started.
   *
   * @returns The count.
   */
  get generations(): number {
    return this.#started;
  }

  /**
   * Applies the processor to every row of the logits, in place (transformers.js calls this).
   *
   * @param input_ids Prompt and response ids so far, one `bigint[]` (or `number[]`) per batch row, left-padded.
   * @param logits The `[batch, vocab]` float32 next-token logits.
   * @returns The same `logits`, changed.
   * @throws {RuleLMError} On logits that are not float32 (the message names the dtype) or whose
   * width differs from the vocabulary, or `input_ids` rows that shrink, change, or grow by more
   * than one token between steps.
   */
  override _call(input_ids: bigint[][], logits: Tensor): Tensor {
    const inputIds: InputIds = input_ids;
    if (logits.dims.length !== 2) fail('logits', 'a [batch, vocab] tensor', logits.dims);
    const [batch, width] = logits.dims as [number, number];
    const data = logits.data;
    if (!(data instanceof Float32Array)) {
      throw new RuleLMError(`\`logits\` must hold float32 scores, but its dtype is ${describeDtype(logits)} (dims [${batch}, ${width}] are fine); convert it to float32 before this processor, or load the model with a float32 output`, { argument: 'logits' });
    }
    if (!Array.isArray(inputIds)) fail('input_ids', `an array of ${batch} row(s) of token ids (the logits' batch size)`, inputIds);
    if (inputIds.length !== batch) throw new RuleLMError(`\`input_ids\` has ${inputIds.length} row(s), but the logits have ${batch} (their batch size)`, { argument: 'input_ids' });
    const vocabSize = this.#vocabSize;
    if (vocabSize !== undefined && width !== vocabSize) {
      throw new RuleLMError(`\`logits\` has ${width} scores per row, but the model's vocabulary has ${vocabSize}`, { argument: 'logits' });
    }
    let generation = this.#generations.get(inputIds);
    if (generation === undefined) {
      generation = this.#continued(inputIds) ?? this.#start(inputIds, width);
      this.#generations.set(inputIds, generation);
      generation.ids = inputIds;
    }
    const trace = this.#trace;
    for (let b = 0; b < batch; b++) {
      const ids = inputIds[b] as readonly (bigint | number)[];
      const row = generation.rows[b] as Row;
      const { sequence } = row;
      const history = sequence.history;
      const known = row.offset + history.length;
      if (ids.length < known || (history.length > 0 && Number(ids[known - 1]) !== history.tokens[history.length - 1])) {
        throw new RuleLMError(
          `\`input_ids\` row ${b} no longer extends the tokens seen at the previous step; a generation's input_ids must only grow (do not reuse or edit the array between generate() calls)`,
          { argument: 'input_ids' },
        );
      }
      if (ids.length === known + 1) sequence.push(tokenAt(ids, known, b, width));
      else if (ids.length > known) {
        throw new RuleLMError(
          `\`input_ids\` row ${b} grew by ${ids.length - known} tokens since the previous step, but a generation adds one per step; to add a turn (or any text) after a response, start a new generation with a new input_ids array (a new generate() call), whose prompt is everything so far`,
          { argument: 'input_ids' },
        );
      }
      // One row needs no view; a batch row does (a small object per row and step).
      const scores = batch === 1 ? data : data.subarray(b * width, (b + 1) * width);
      if (trace === undefined) sequence.process(scores);
      else traceRow(sequence, scores, trace, generation.number, b);
    }
    return logits;
  }

  // A hand-written loop that passes a new input_ids array each step (say `tensor.tolist()`):
  // the new array's rows are a recent generation's rows plus one token each, while that
  // generation's own array has not grown (transformers.js grows its array in place, also after
  // its last step, so a new generate() call whose prompt is the previous output starts afresh).
  // Compares whole rows, once per new array.
  #continued(inputIds: InputIds): Generation | undefined {
    for (let r = this.#recent.length - 1; r >= 0; r--) {
      const generation = this.#recent[r] as Generation;
      if (generation.rows.length !== inputIds.length) continue;
      const extends1 = generation.rows.every((row, b) => {
        const old = generation.ids[b] as readonly (bigint | number)[];
        const ids = inputIds[b];
        const known = row.offset + row.sequence.history.length;
        if (!Array.isArray(ids) || old.length !== known || ids.length !== known + 1) return false;
        for (let i = 0; i < known; i++) if (Number(ids[i]) !== Number(old[i])) return false;
        return true;
      });
      if (extends1) return generation;
    }
    return undefined;
  }

  #start(inputIds: InputIds, width: number): Generation {
    const batch = inputIds.length;
    const pads = this.#pads;
    const runs: number[] = [];
    for (let b = 0; b < batch; b++) {
      const ids = inputIds[b];
      if (!Array.isArray(ids)) fail(`input_ids[${b}]`, 'an array of token ids (bigint or number)', ids);
      runs.push(padRun(ids as readonly (bigint | number)[], pads));
    }
    // When padding shares the BOS id, the rows' own BOS tokens look like padding. A left-padded
    // batch always has an unpadded row (its longest prompt): the pad-id tokens that row starts
    // with are the prompts' own (what the tokenizer or template wrote), so every row keeps that
    // many. A row alone is not padded. Otherwise every leading pad id is padding.
    const own = this.#padIsBos ? Math.min(...runs) : 0;
    const rows: Row[] = [];
    for (let b = 0; b < batch; b++) {
      const ids = inputIds[b] as readonly (bigint | number)[];
      const offset = (runs[b] as number) - own;
      const prompt = new Int32Array(ids.length - offset);
      for (let i = offset; i < ids.length; i++) prompt[i - offset] = tokenAt(ids, i, b, width);
      rows.push({ sequence: startSequence(this.processor, { prompt, vocabSize: width, capacity: prompt.length + 256 }), offset });
    }
    const generation: Generation = { number: this.#started++, rows, ids: inputIds };
    this.#recent.push(generation);
    if (this.#recent.length > RECENT) this.#recent.shift();
    return generation;
  }
}

/**
 * The one-line way to run a rulelm processor in transformers.js: a `LogitsProcessorList` holding
 * one {@link RuleLMLogitsProcessor}, to pass as `logits_processor` to `generate()` or a
 * `text-generation` pipeline.
 *
 * @param processor The rulelm processor (a chain, the paper's preset, ...).
 * @param options The model (recommended) and tokenizer, padding id, vocabulary size and trace.
 * @returns The list.
 * @throws {RuleLMError} As {@link RuleLMLogitsProcessor}.
 * @example
 * ```ts
 * import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
 * import { hewitt2024 } from 'rulelm';
 * import { logitsProcessorList } from 'rulelm/transformers';
 *
 * const tokenizer = await AutoTokenizer.from_pretrained('Xenova/llama2.c-stories15M');
 * const model = await AutoModelForCausalLM.from_pretrained('Xenova/llama2.c-stories15M');
 * const output = await model.generate({ ...tokenizer('Once upon a time'), max_new_tokens: 50, logits_processor: logitsProcessorList(hewitt2024(tokenizer), { model, tokenizer }) });
 * ```
 */
export function logitsProcessorList(processor: Processor, options: RuleLMLogitsProcessorOptions = {}): LogitsProcessorList {
  const list = new LogitsProcessorList();
  list.push(new RuleLMLogitsProcessor(processor, options));
  return list;
}
