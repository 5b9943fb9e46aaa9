import type { LlamaContextSequence, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import type { DecodingOptions } from '../../decoding/sampling';
import type { Processor } from '../../core/processor';
import type { Sequence } from '../../core/sequence';
import { TokenBias as LlamaTokenBias } from 'node-llama-cpp';
import { RuleLMError } from '../../core/errors';
import { assertProcessor } from '../../core/processor';
import { startSequence } from '../../core/sequence';
import { assertIdsInVocabulary, assertOptions, assertPositiveInteger, fail, toTokenIds } from '../../core/validate';
import { decodingOptions, pickToken, seededRandom } from '../../decoding/sampling';
import { rampsIn } from '../../processors/end-of-sequence-ramp';
import { biasMap } from './internals';
import { llamaTokenizer } from './tokenizer';

/**
 * How rulelm runs inside node-llama-cpp generation:
 * - `'bias'`: the processor's scores go into llama.cpp's per-step token bias, and llama.cpp samples
 *   (its temperature, top-k, top-p, min-p, repeat penalty, grammar all stay). Only for additive
 *   processors, whose change to a row does not depend on the row.
 * - `'logits'`: rulelm reads the full next-token logits each step, runs the processor on them and
 *   picks the token with its own decoding (`decoding`). Any processor.
 * - `'auto'` (default): `'bias'` for an additive processor, `'logits'` otherwise.
 */
export type LlamaRulesPath = 'auto' | 'bias' | 'logits';

/** llama.cpp's sampling options, for the `'bias'` path (node-llama-cpp's `evaluate` options). */
export type LlamaSampling = Omit<SequenceEvaluateOptions, 'tokenBias' | 'yieldEogToken'>;

/** Options of {@link generateWithRules} and {@link streamWithRules}. */
export interface LlamaRulesOptions {
  /** Most tokens to generate (the end token counts). Default 256. */
  readonly maxTokens?: number;
  /** Ids that end the response besides the model's end-of-generation tokens (kept as the last token). */
  readonly stopTokens?: readonly number[];
  /** Stops generation at the next step when aborted (the result says `'abort'`). */
  readonly signal?: AbortSignal;
  /** Which path runs the processor; see {@link LlamaRulesPath}. Default `'auto'`. */
  readonly path?: LlamaRulesPath;
  /** `'bias'` path: llama.cpp's sampling (default greedy: temperature 0). */
  readonly sampling?: LlamaSampling;
  /** `'logits'` path: rulelm's decoding (default greedy), and the seed of its sampling. */
  readonly decoding?: DecodingOptions & { readonly seed?: number };
}

/** Why generation stopped. */
export type LlamaStopReason = 'eos' | 'maxTokens' | 'abort';

/** What {@link generateWithRules} returns. */
export interface LlamaRulesResult {
  /** The generated token ids, the end token included when there is one (node-llama-cpp's `Token`: plain numbers, typed for `model.detokenize`). */
  readonly tokens: Token[];
  /** Why it stopped: an end token, `maxTokens`, or the signal. */
  readonly stopReason: LlamaStopReason;
  /** The path that ran the processor. */
  readonly path: 'bias' | 'logits';
}

const KNOWN = ['maxTokens', 'stopTokens', 'signal', 'path', 'sampling', 'decoding'];

interface Prepared {
  readonly sequence: Sequence;
  readonly input: Token[];
  readonly path: 'bias' | 'logits';
  readonly maxTokens: number;
  readonly stops: ReadonlySet<number>;
  readonly vocabSize: number;
}

function prepare(context: LlamaContextSequence, processor: Processor, input: readonly number[], options: LlamaRulesOptions): Prepared {
  assertProcessor('processor', processor);
  if (typeof context !== 'object' || context === null || typeof (context as { evaluate?: unknown }).evaluate !== 'function') fail('sequence', 'a node-llama-cpp LlamaContextSequence', context);
  assertOptions('options', options, KNOWN);
  const tokens = toTokenIds('input', input);
  const maxTokens = options.maxTokens ?? 256;
  assertPositiveInteger('maxTokens', maxTokens);
  const stopTokens = toTokenIds('stopTokens', options.stopTokens ?? [], { allowEmpty: true });
  const path = options.path ?? 'auto';
  if (path !== 'auto' && path !== 'bias' && path !== 'logits') fail('path', '"auto", "bias" or "logits"', path);
  if (path === 'bias' && !processor.additive) {
    throw new RuleLMError(`\`path\` "bias" needs an additive processor, but ${processor.kind} is not (its change depends on the scores); use "logits" or "auto"`, { argument: 'path' });
  }
  const resolved = path === 'auto' ? (processor.additive ? 'bias' : 'logits') : path;
  if (options.decoding !== undefined && (typeof options.decoding !== 'object' || options.decoding === null)) fail('decoding', 'an object of decoding options ({ sample, temperature, topK, topP, seed })', options.decoding);
  if (resolved === 'bias' && options.decoding !== undefined) throw new RuleLMError('`decoding` is for the "logits" path; the "bias" path samples with llama.cpp: pass `sampling`', { argument: 'decoding' });
  if (resolved === 'logits' && options.sampling !== undefined) throw new RuleLMError('`sampling` is for the "bias" path; the "logits" path decodes with rulelm: pass `decoding`', { argument: 'sampling' });
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) fail('signal', 'an AbortSignal', options.signal);
  const model = context.model;
  const vocabSize = llamaTokenizer(model).vocabSize;
  assertIdsInVocabulary('input', tokens, vocabSize);
  assertIdsInVocabulary('stopTokens', stopTokens, vocabSize);
  for (const eos of rampsIn(processor).flatMap((ramp) => ramp.eosTokenIds)) {
    if (!model.isEogToken(eos as Token) && !stopTokens.includes(eos)) {
      throw new RuleLMError(`\`processor\` ramps end-of-sequence id ${eos}, but the model does not stop on it; add it to \`stopTokens\` or ramp one of the model's end-of-generation ids`, {
        argument: 'stopTokens',
      });
    }
  }
  const prompt = [...context.contextTokens, ...tokens] as number[];
  const sequence = startSequence(processor, { prompt, vocabSize, capacity: prompt.length + maxTokens });
  return { sequence, input: Array.from(tokens) as Token[], path: resolved, maxTokens, stops: new Set(stopTokens), vocabSize };
}

/**
 * Generates with a rulelm processor (a chain, the paper's preset, your own) in node-llama-cpp
 * (llama.cpp), one token at a time: an async generator that yields each token id as soon as it is
 * chosen (streaming), and returns the {@link LlamaRulesResult}.
 *
 * `input` is appended to what the context sequence already holds (`sequence.contextTokens`, e.g.
 * earlier turns), and the processor sees all of it as the prompt: its state is created for this
 * call (through `startSequence`, the core's one driver) and fed each new token, so calls on
 * several sequences of one context, at once or one after the other, share nothing. An additive
 * processor runs through llama.cpp's per-step token bias (llama.cpp samples, with `sampling`);
 * others through the full logits and rulelm's decoding (see {@link LlamaRulesPath}). End tokens
 * are the model's end-of-generation tokens and `stopTokens`; a ramp on another id is an error.
 * Breaking out of the loop stops generation.
 *
 * Set the context's thread count explicitly (`createContext({ threads })`): node-llama-cpp's
 * default can be far slower than 1 thread on a small machine.
 *
 * @param sequence A node-llama-cpp context sequence (`context.getSequence()`).
 * @param processor The rulelm processor.
 * @param input Token ids to evaluate before generating (at least one).
 * @param options Length, end tokens, abort signal, path, sampling or decoding.
 * @returns An async generator of token ids, whose return value is the result.
 * @throws {RuleLMError} On bad arguments, processor ids outside the vocabulary, a non-additive
 * processor on the `'bias'` path, or a ramp on an id that does not end generation.
 * @example
 * ```ts
 * import { getLlama } from 'node-llama-cpp';
 * import { hewitt2024 } from 'rulelm';
 * import { llamaTokenizer, streamWithRules } from 'rulelm/node-llama-cpp';
 *
 * const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
 * const model = await llama.loadModel({ modelPath: 'stories260K.gguf' });
 * const context = await model.createContext({ contextSize: 512, threads: 1 });
 * const rules = hewitt2024(llamaTokenizer(model), { eosTokenIds: [2, 1] });
 * const prompt = model.tokenize('Tell me a story about a dog.');
 * for await (const token of streamWithRules(context.getSequence(), rules, prompt, { maxTokens: 100 })) {
 *   process.stdout.write(model.detokenize([token]));
 * }
 * ```
 */
export async function* streamWithRules(sequence: LlamaContextSequence, processor: Processor, input: readonly number[], options: LlamaRulesOptions = {}): AsyncGenerator<Token, LlamaRulesResult, undefined> {
  const prepared = prepare(sequence, processor, input, options);
  const { signal } = options;
  const tokens: Token[] = [];
  const model = sequence.model;
  const ends = (token: number): boolean => prepared.stops.has(token) || model.isEogToken(token as Token);
  const result = (stopReason: LlamaStopReason): LlamaRulesResult => ({ tokens, stopReason, path: prepared.path });
  // A function, so that the compiler does not assume the signal unchanged across yields.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) return result('abort');
  const rules = prepared.sequence;
  // Records a chosen token (after the consumer saw it) and tells whether generation stops.
  const accept = (token: Token): LlamaStopReason | undefined => {
    tokens.push(token);
    rules.push(token);
    if (ends(token)) return 'eos';
    if (tokens.length >= prepared.maxTokens) return 'maxTokens';
    return aborted() ? 'abort' : undefined;
  };

  if (prepared.path === 'bias') {
    const bias = new LlamaTokenBias(model.tokenizer);
    const map = biasMap(bias);
    const row = new Float32Array(prepared.vocabSize); // zero between steps
    // Called by node-llama-cpp before each sampling step, after the previous token was pushed.
    const tokenBias = (): LlamaTokenBias => {
      map.clear();
      rules.process(row);
      for (let id = 0; id < row.length; id++) {
        const value = row[id] as number;
        if (value !== 0) {
          if (!Number.isNaN(value)) map.set(id, value);
          row[id] = 0;
        }
      }
      return bias;
    };
    const sampling: SequenceEvaluateOptions = { temperature: 0, ...options.sampling, tokenBias, yieldEogToken: true };
    for await (const token of sequence.evaluate(prepared.input, sampling)) {
      yield token;
      const stop = accept(token);
      if (stop !== undefined) return result(stop);
    }
    return result('eos');
  }

  const decoding = decodingOptions(options.decoding === undefined ? {} : (({ seed: _seed, ...rest }) => rest)(options.decoding));
  const random = seededRandom(options.decoding?.seed ?? 0);
  const row = new Float32Array(prepared.vocabSize);
  let pending: Token[] = prepared.input;
  for (;;) {
    const last = pending.length - 1;
    const items = pending.map((token, index) => (index === last ? ([token, { generateNext: { logits: true } }] as const) : token));
    const evaluated = await sequence.controlledEvaluate(items as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
    const logits = evaluated[last]?.next.logits;
    if (logits === undefined) throw new RuleLMError('node-llama-cpp returned no logits for the last token', { argument: 'sequence' });
    row.fill(-Infinity);
    for (const [id, logit] of logits) row[id] = logit;
    rules.process(row);
    const token = pickToken(row, decoding, random) as Token;
    if (token < 0) throw new RuleLMError('the processor masked every token (all scores are -Infinity)', { argument: 'processor' });
    yield token;
    const stop = accept(token);
    if (stop !== undefined) return result(stop);
    pending = [token];
  }
}

/**
 * Generates with a rulelm processor in node-llama-cpp and returns the whole response: the same
 * as {@link streamWithRules}, collected.
 *
 * @param sequence A node-llama-cpp context sequence.
 * @param processor The rulelm processor.
 * @param input Token ids to evaluate before generating (at least one).
 * @param options Length, end tokens, abort signal, path, sampling or decoding.
 * @returns The tokens, why generation stopped and the path used.
 * @throws {RuleLMError} As {@link streamWithRules}.
 * @example
 * ```ts
 * import { getLlama } from 'node-llama-cpp';
 * import { EndOfSequenceRamp } from 'rulelm';
 * import { generateWithRules } from 'rulelm/node-llama-cpp';
 *
 * const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
 * const model = await llama.loadModel({ modelPath: 'stories260K.gguf' });
 * const context = await model.createContext({ contextSize: 512, threads: 1 });
 * const ramp = new EndOfSequenceRamp({ eosTokenIds: 1, maxBias: 10, rampLength: 50 });
 * const { tokens, stopReason } = await generateWithRules(context.getSequence(), ramp, [1, ...model.tokenize('Once upon a time')]);
 * ```
 */
export async function generateWithRules(sequence: LlamaContextSequence, processor: Processor, input: readonly number[], options: LlamaRulesOptions = {}): Promise<LlamaRulesResult> {
  const stream = streamWithRules(sequence, processor, input, options);
  for (;;) {
    const step = await stream.next();
    if (step.done) return step.value;
  }
}
