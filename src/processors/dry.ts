import type { ReadonlyTokenHistory } from '../core/history';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { RuleLMError } from '../core/errors';
import { Processor } from '../core/processor';
import { markerEndsAt } from '../core/marker';
import { assertIdsInVocabulary, assertOptions, assertPositive, assertPositiveInteger, fail, saturate, toTokenIds } from '../core/validate';
import { toVocabulary } from '../core/vocabulary';
import { count, finite, MAX_LIST, tokenId, tokenIds } from '../serialization/schemas';
import { grownTable, slotOf, tableSize } from './ngram-index';


/**
 * A DRY sequence breaker: a token id, a token sequence, or a text (resolved through the
 * tokenizer as llama.cpp does: every token whose text contains it, and every token whose text
 * ends with a beginning of it followed by the encoding of the rest).
 */
export type DRYSequenceBreaker = number | readonly number[] | string;

/** Options of {@link DRY}. */
export interface DRYOptions {
  /** The penalty's scale (llama.cpp `dry_multiplier`), above 0. */
  readonly multiplier: number;
  /** The penalty's growth per token of repetition (llama.cpp `dry_base`), at least 1. Default 1.75. */
  readonly base?: number;
  /** Repetitions up to this long go unpenalized (llama.cpp `dry_allowed_length`), at least 1. Default 2. */
  readonly allowedLength?: number;
  /** Look only at the last this many tokens (llama.cpp `dry_penalty_last_n`). Default: the whole sequence. */
  readonly lastN?: number;
  /**
   * Tokens, token sequences or texts that end a repetition (llama.cpp `dry_sequence_breakers`,
   * whose defaults are `["\n", ":", "\"", "*"]`): a match never extends back across one, and
   * single-token breakers are never penalized. Texts need `tokenizer`. Default: none.
   */
  readonly sequenceBreakers?: readonly DRYSequenceBreaker[];
  /** The tokenizer, for text breakers: a transformers.js tokenizer or a rulelm vocabulary. */
  readonly tokenizer?: Vocabulary | TokenizerLike;
}

/** The JSON spec of a {@link DRY}: its options, text breakers resolved to token ids. */
export interface DRYSpec extends Omit<DRYOptions, 'tokenizer'> {
  /** The kind. */
  readonly kind: 'dry';
}

/** State of one sequence: an index of the positions of every `allowedLength`-gram, and the last breaker. */
export interface DRYState {
  /** Open-addressing table of `allowedLength`-grams: the latest end position + 1 (0 = empty). */
  slots: Int32Array;
  /** For each position, the previous end position of the same gram (-1 for none). */
  previous: Int32Array;
  /** For each position visited by the last `process`, its match length then (capped). */
  match: Int32Array;
  /** For each position, the sequence length at the `process` call that set `match` (0 for none). */
  stamp: Int32Array;
  /** The sequence length at the last `process` call that visited matches (0 for none). */
  visited: number;
  /** The length cap of that call. */
  cap: number;
  /** Number of distinct grams. */
  grams: number;
  /** Start of the breaker with the latest start (-1 for none). */
  breakerHead: number;
  /** End of that breaker (the longest, among those with that start). */
  breakerEnd: number;
}

/** llama.cpp's log of the largest float (`FLOAT_MAX_LOG`): exponents are clamped below it. */
const FLOAT_MAX_LOG = 88.7228391;
/** llama.cpp's limits on a text breaker: characters, and tokens after the first. */
const MAX_CHARS = 40;
const MAX_TAIL = 20;

let best = new Int32Array(0);
let touched = new Int32Array(0);

function doubled(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * Resolves a text breaker as llama.cpp's `get_overlapping_token_sequences` does.
 *
 * @param vocabulary The vocabulary.
 * @param text The breaker text.
 * @param argument The option's name, for errors.
 * @returns Token sequences (a single token for a token containing the text).
 */
function resolveBreaker(vocabulary: Vocabulary, text: string, argument: string): number[][] {
  const str = text.slice(0, MAX_CHARS);
  const encode = vocabulary.encode;
  const found: number[][] = [];
  const seen = new Set<string>();
  for (let id = 0; id < vocabulary.size; id++) {
    const word = vocabulary.surface(id);
    if (word === undefined) continue;
    if (word.includes(str)) {
      found.push([id]);
      continue;
    }
    for (let pos = word.indexOf(str[0] as string); pos >= 0; pos = word.indexOf(str[0] as string, pos + 1)) {
      let i = 1;
      let match = true;
      for (; i < str.length && pos + i < word.length; i++) {
        if (word[pos + i] !== str[i]) {
          match = false;
          break;
        }
      }
      if (!match) continue;
      if (encode === undefined) throw new RuleLMError(`\`${argument}\` is text that spans tokens, but the tokenizer has no encoder; pass token ids instead`, { argument });
      const sequence = [id, ...encode(str.slice(i)).slice(0, MAX_TAIL)];
      const key = sequence.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        found.push(sequence);
      }
    }
  }
  return found;
}

/**
 * DRY ("Don't Repeat Yourself", p-e-w's sampler), as llama.cpp's `dry` sampler: when the
 * sequence ends with tokens that already occurred earlier (in the last `lastN` tokens) followed
 * by some token `t`, and that repeated run is at least `allowedLength` long, `t` is penalized by
 * `multiplier * base ** (length - allowedLength)`, `length` being the longest such run for `t`
 * (the exponent clamped as llama.cpp clamps it to keep the power finite). A run never extends
 * back across a sequence breaker (the one that starts last), and single-token breakers are
 * never penalized. The sequence is the prompt and the response, as llama.cpp sees it when the
 * prompt is accepted into the sampler.
 *
 * llama.cpp rescans the last `lastN` tokens at every step (Z-algorithm, O(lastN)). Here the state
 * indexes every `allowedLength`-gram as it arrives and tracks the last breaker, so a step visits
 * only the earlier occurrences of the sequence's last `allowedLength` tokens, each in O(1) when it
 * extends a match of the previous step: its cost does not grow with the history length, only
 * with how often that ending already occurred.
 *
 * @example
 * ```ts
 * import { DRY, startSequence } from 'rulelm';
 *
 * const dry = new DRY({ multiplier: 0.8, base: 1.75, allowedLength: 2 });
 * const sequence = startSequence(dry, { prompt: [1, 2, 3, 4, 1, 2, 3], vocabSize: 8 });
 * sequence.process(new Float32Array(8))[4]; // -0.8 * 1.75 ** (3 - 2) = -1.4: "1 2 3" was followed by 4
 * ```
 */
export class DRY extends Processor<DRYState> {
  /** The kind. */
  readonly kind = 'dry' as const;
  /** The penalty's scale. */
  readonly multiplier: number;
  /** The penalty's growth. */
  readonly base: number;
  /** The unpenalized repetition length. */
  readonly allowedLength: number;
  /** The window, or `undefined` for the whole sequence. */
  readonly lastN: number | undefined;
  /** The breakers as token sequences (text resolved). */
  readonly sequenceBreakers: readonly (readonly number[])[];
  readonly #single: Set<number>;
  readonly #multi: readonly Int32Array[];
  readonly #maxExponent: number;
  readonly #longest: number;

  /**
   * Creates a DRY penalty.
   *
   * @param options Multiplier, base, allowed length, window, breakers and the tokenizer for text breakers.
   * @throws {RuleLMError} On a bad or unknown option, or text breakers without a tokenizer.
   */
  constructor(options: DRYOptions) {
    super();
    assertOptions('options', options, ['multiplier', 'base', 'allowedLength', 'lastN', 'sequenceBreakers', 'tokenizer']);
    const { multiplier, base = 1.75, allowedLength = 2, lastN, sequenceBreakers = [], tokenizer } = options;
    assertPositive('multiplier', multiplier);
    if (typeof base !== 'number' || !Number.isFinite(base) || base < 1) fail('base', 'a finite number of at least 1', base);
    assertPositiveInteger('allowedLength', allowedLength);
    if (lastN !== undefined) assertPositiveInteger('lastN', lastN);
    if (!Array.isArray(sequenceBreakers)) fail('sequenceBreakers', 'an array of token ids, token id arrays or texts', sequenceBreakers);
    let vocabulary: Vocabulary | undefined;
    const breakers: number[][] = [];
    sequenceBreakers.forEach((breaker: unknown, i) => {
      const argument = `sequenceBreakers[${i}]`;
      if (typeof breaker === 'string') {
        if (breaker.length === 0) fail(argument, 'a non-empty text, a token id or a non-empty array of token ids', breaker);
        if (tokenizer === undefined) throw new RuleLMError(`\`${argument}\` is text, so \`tokenizer\` is required`, { argument: 'tokenizer' });
        vocabulary ??= toVocabulary(tokenizer);
        breakers.push(...resolveBreaker(vocabulary, breaker, argument));
      } else if (typeof breaker === 'number') breakers.push([...toTokenIds(argument, [breaker])]);
      else breakers.push([...toTokenIds(argument, breaker)]);
    });
    const keys = new Set<string>();
    const unique = breakers.filter((b) => !keys.has(b.join(',')) && keys.add(b.join(',')) !== undefined);
    this.multiplier = multiplier;
    this.base = base;
    this.allowedLength = allowedLength;
    this.lastN = lastN;
    this.sequenceBreakers = unique;
    this.#single = new Set(unique.filter((b) => b.length === 1).map((b) => b[0] as number));
    this.#multi = unique.filter((b) => b.length > 1).map((b) => Int32Array.from(b));
    this.#maxExponent = base > 1.000001 ? Math.trunc(FLOAT_MAX_LOG / Math.log(base)) : 0;
    // Beyond this length the penalty stops growing (clamped exponent, or a base of 1).
    this.#longest = base === 1 ? allowedLength : this.#maxExponent > 0 ? allowedLength + this.#maxExponent : Infinity;
  }

  /**
   * Checks the breakers' ids against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary (argument `sequenceBreakers`).
   */
  override checkVocabulary(vocabSize: number): void {
    assertIdsInVocabulary('sequenceBreakers', this.sequenceBreakers.flat(), vocabSize);
  }

  /**
   * Creates an empty index.
   *
   * @param history The new sequence.
   * @returns The state.
   */
  createState(history: ReadonlyTokenHistory): DRYState {
    const capacity = tableSize(history.length);
    return { slots: new Int32Array(capacity), previous: new Int32Array(capacity), match: new Int32Array(capacity), stamp: new Int32Array(capacity), visited: 0, cap: 0, grams: 0, breakerHead: -1, breakerEnd: -1 };
  }

  /**
   * Indexes the grams ending at the new tokens and notes breakers that end there.
   *
   * @param state The state.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: DRYState, history: ReadonlyTokenHistory, from: number): void {
    const a = this.allowedLength;
    for (let p = from; p < history.length; p++) {
      const tokens = history.tokens;
      const token = tokens[p] as number;
      if (this.#single.has(token)) this.#breaker(state, p, p);
      for (const b of this.#multi) if (b[b.length - 1] === token && markerEndsAt(b, tokens, p + 1)) this.#breaker(state, p - b.length + 1, p);
      if (p >= state.previous.length) {
        state.previous = doubled(state.previous);
        state.match = doubled(state.match);
        state.stamp = doubled(state.stamp);
      }
      state.previous[p] = -1;
      if (p < a - 1) continue;
      if (2 * (state.grams + 1) > state.slots.length) state.slots = grownTable(state.slots, tokens, a, 1);
      const s = slotOf(state.slots, tokens, p, a, 1);
      const owner = state.slots[s] as number;
      if (owner === 0) state.grams++;
      state.previous[p] = owner - 1;
      state.slots[s] = p + 1;
    }
  }

  #breaker(state: DRYState, head: number, end: number): void {
    if (head > state.breakerHead || (head === state.breakerHead && end > state.breakerEnd)) {
      state.breakerHead = head;
      state.breakerEnd = end;
    }
  }

  /**
   * Penalizes the tokens that would extend a repetition.
   *
   * @param row Scores, changed in place.
   * @param state The state.
   * @param history The sequence.
   */
  process(row: Float32Array, state: DRYState, history: ReadonlyTokenHistory): void {
    const a = this.allowedLength;
    const length = history.length;
    const window = this.lastN === undefined ? length : Math.min(length, this.lastN);
    if (window <= a) return;
    const start = length - window;
    const limit = state.breakerHead >= start ? length - 1 - state.breakerEnd : window;
    if (limit < a) return;
    const cap = Math.min(limit, this.#longest);
    if (best.length < row.length) {
      best = new Int32Array(row.length);
      touched = new Int32Array(row.length);
    }
    const tokens = history.tokens;
    const last = length - 1;
    let count = 0;
    const { match, stamp } = state;
    // A match of the previous step extends by one token when this step's cap is at most one
    // above that step's (it is not when a multi-token breaker's head just left the window).
    const extend = state.visited === length - 1 && cap <= state.cap + 1;
    state.visited = length;
    state.cap = cap;
    for (let j = state.previous[last] as number; j >= 0 && j - a + 1 >= start; j = state.previous[j] as number) {
      const bound = Math.min(cap, j - start + 1);
      let n: number;
      if (extend && stamp[j - 1] === length - 1) {
        // j - 1 matched the sequence one token ago: this match is that one plus the new token
        // (capped by this step's bounds, which grow by at most 1 per token).
        n = Math.min((match[j - 1] as number) + 1, bound);
      } else {
        n = a;
        while (n < bound && tokens[j - n] === tokens[last - n]) n++;
      }
      match[j] = n;
      stamp[j] = length;
      const t = tokens[j + 1] as number;
      const seen = best[t] as number;
      if (seen === 0) touched[count++] = t;
      if (n > seen) best[t] = n;
    }
    const maxExponent = this.#maxExponent;
    for (let c = 0; c < count; c++) {
      const t = touched[c] as number;
      let exponent = (best[t] as number) - a;
      best[t] = 0;
      if (this.#single.has(t)) continue;
      if (maxExponent > 0 && exponent > maxExponent) exponent = maxExponent;
      row[t]! -= saturate(this.multiplier * this.base ** exponent); // saturate: an infinite penalty on +Infinity would be NaN
    }
  }

  /**
   * The spec, with text breakers resolved to token ids (it loads without a tokenizer).
   *
   * @returns The spec.
   */
  override toJSON(): ProcessorSpec {
    return {
      kind: 'dry',
      multiplier: this.multiplier,
      base: this.base,
      allowedLength: this.allowedLength,
      ...(this.lastN === undefined ? {} : { lastN: this.lastN }),
      sequenceBreakers: this.sequenceBreakers.map((b) => (b.length === 1 ? (b[0] as number) : [...b])),
    } satisfies DRYSpec;
  }

  /** How a DRY penalty is read from JSON. @internal */
  static readonly spec: SpecDefinition<DRYSpec> = {
    kind: 'dry',
    schema: () =>
      v.strictObject({
        kind: v.literal('dry'),
        multiplier: finite,
        base: v.exactOptional(finite),
        allowedLength: v.exactOptional(count),
        lastN: v.exactOptional(count),
        sequenceBreakers: v.exactOptional(v.pipe(v.array(v.union([tokenId, v.pipe(tokenIds, v.minLength(1)), v.pipe(v.string(), v.minLength(1), v.maxLength(1024))])), v.maxLength(MAX_LIST))),
      }),
    fromSpec: (spec, context) => {
      const { kind: _kind, ...options } = spec;
      return new DRY(context.tokenizer === undefined ? options : { ...options, tokenizer: context.tokenizer });
    },
  };
}
