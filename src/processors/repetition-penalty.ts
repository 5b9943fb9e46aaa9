import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import * as v from 'valibot';
import { anchorBase, checkAnchor, markerEndsAt, resolveAnchor } from '../core/marker';
import { Processor } from '../core/processor';
import { assertFinite, assertIdsInVocabulary, assertOneOf, assertOptions, assertPositive, assertPositiveInteger, assertSpecLength, saturate, toTokenIds } from '../core/validate';
import { MAX_LIST, anchor as anchorSchema, finite, optionsOf, tokenIds } from '../serialization/schemas';

/**
 * How a repetition penalty applies to every token type seen in scope:
 * - `"presence"`: `score -= penalty` once per type (the paper's diversity rule; OpenAI's and
 *   llama.cpp's presence penalty);
 * - `"frequency"`: `score -= penalty * count` (OpenAI's and llama.cpp's frequency penalty);
 * - `"multiplicative"`: `score = score < 0 ? score * penalty : score / penalty` (CTRL, HF
 *   transformers, transformers.js).
 */
export type RepetitionMode = 'presence' | 'frequency' | 'multiplicative';

/** Options of {@link RepetitionPenalty}. */
export interface RepetitionPenaltyOptions {
  /** How the penalty applies. */
  readonly mode: RepetitionMode;
  /**
   * The penalty. Additive modes: the amount subtracted (positive discourages repetition, the
   * paper uses 1.5; `penalty * count` saturates at ±`Number.MAX_VALUE`, so an infinite score stays
   * infinite and never becomes `NaN`). Multiplicative: a factor above 0 (1 is neutral, above 1
   * discourages).
   */
  readonly penalty: number;
  /**
   * Which tokens count: the response only (default), the whole sequence, or everything after
   * the last occurrence of a marker (the paper counts from the user tag).
   */
  readonly scope?: Anchor;
  /** Count only the last `window` tokens (of the scope). Default: no window. */
  readonly window?: number;
  /** Token ids never counted nor penalized (e.g. chat-template tokens). */
  readonly exempt?: readonly number[];
}

/**
 * State of one sequence: the distinct token types in scope with their counts, and a small
 * open-addressing hash table from id to its place in that list. Its size follows the number of
 * types seen (it starts with room for 64 types and doubles when needed), never
 * the vocabulary, so a batch of rows costs what its rows have seen.
 */
export interface RepetitionPenaltyState {
  /** First position in scope. */
  start: number;
  /** Distinct ids in scope, first `size` entries. */
  seen: Int32Array;
  /** Count of each id of `seen`, at the same index. */
  counts: Int32Array;
  /**
   * Hash table (linear probing, a power of two, twice the capacity of `seen`): each slot holds
   * 1 + the index in `seen` of the id stored there, or 0 when empty.
   */
  slots: Int32Array;
  /** Number of distinct ids in scope. */
  size: number;
}

/** The JSON spec of a {@link RepetitionPenalty}: its options. */
export interface RepetitionPenaltySpec extends RepetitionPenaltyOptions {
  /** The kind. */
  readonly kind: 'repetition-penalty';
}

const KNOWN = ['mode', 'penalty', 'scope', 'window', 'exempt'];

/** Distinct types a new {@link RepetitionPenaltyState} has room for before it grows (then it doubles). */
const REPETITION_STATE_START = 64;

// Fibonacci hashing: the top log2(table size) bits of the id times 2^32 / golden ratio, which
// spreads dense small integers (token ids) over the table. `mask` is the table size minus 1.
function slotOf(id: number, mask: number): number {
  return Math.imul(id, 0x9e3779b1) >>> Math.clz32(mask);
}

// The slot holding `id`, or the empty slot where it would go.
function find(state: RepetitionPenaltyState, id: number): number {
  const { slots, seen } = state;
  const mask = slots.length - 1;
  let slot = slotOf(id, mask);
  for (;;) {
    const entry = slots[slot] as number;
    if (entry === 0 || seen[entry - 1] === id) return slot;
    slot = (slot + 1) & mask;
  }
}

// Doubles the list and the table (amortized: a state grows O(log types) times).
function grow(state: RepetitionPenaltyState): void {
  const capacity = state.seen.length * 2;
  const seen = new Int32Array(capacity);
  const counts = new Int32Array(capacity);
  seen.set(state.seen);
  counts.set(state.counts);
  state.seen = seen;
  state.counts = counts;
  state.slots = new Int32Array(capacity * 2);
  for (let i = 0; i < state.size; i++) state.slots[find(state, seen[i] as number)] = i + 1;
}

function add(state: RepetitionPenaltyState, id: number): void {
  const slot = find(state, id);
  const entry = state.slots[slot] as number;
  if (entry !== 0) {
    state.counts[entry - 1]!++;
    return;
  }
  if (state.size === state.seen.length) {
    grow(state);
    add(state, id);
    return;
  }
  state.seen[state.size] = id;
  state.counts[state.size] = 1;
  state.slots[slot] = ++state.size;
}

// Drops one occurrence of an id in scope (the window's oldest token); at count 0 the id leaves
// the list (the last id takes its place) and the table (backward-shift deletion, no tombstones).
function remove(state: RepetitionPenaltyState, id: number): void {
  const { slots, seen, counts } = state;
  let slot = find(state, id);
  const at = (slots[slot] as number) - 1;
  if (--counts[at]! > 0) return;
  // Out of the table first, while `seen` still says which id each slot holds.
  const mask = slots.length - 1;
  let next = (slot + 1) & mask;
  for (;;) {
    const entry = slots[next] as number;
    if (entry === 0) break;
    const home = slotOf(seen[entry - 1] as number, mask);
    // The entry at `next` may fill the hole at `slot` unless its home lies cyclically in (slot, next].
    if (((next - home) & mask) >= ((next - slot) & mask)) {
      slots[slot] = entry;
      slot = next;
    }
    next = (next + 1) & mask;
  }
  slots[slot] = 0;
  // Then the last id of the list takes its place.
  const last = --state.size;
  if (at !== last) {
    const moved = seen[last] as number;
    slots[find(state, moved)] = at + 1;
    seen[at] = moved;
    counts[at] = counts[last] as number;
  }
}

// The hot loops are small top-level functions over typed arrays, one per mode, which V8
// optimizes separately (one shared loop over all modes measured 3x slower in the benchmark).
function subtract(row: Float32Array, seen: Int32Array, size: number, amount: number): void {
  for (let i = 0; i < size; i++) row[seen[i] as number]! -= amount;
}

function subtractCounts(row: Float32Array, seen: Int32Array, size: number, counts: Int32Array, amount: number): void {
  for (let i = 0; i < size; i++) row[seen[i] as number]! -= saturate(amount * (counts[i] as number));
}

function scale(row: Float32Array, seen: Int32Array, size: number, penalty: number): void {
  for (let i = 0; i < size; i++) {
    const id = seen[i] as number;
    const score = row[id] as number;
    row[id] = score < 0 ? score * penalty : score / penalty;
  }
}

function clear(state: RepetitionPenaltyState): void {
  state.slots.fill(0);
  state.size = 0;
}

/**
 * A repetition penalty: every token type seen in scope gets penalized: the paper's diversity
 * rule and OpenAI's / llama.cpp's presence penalty (`"presence"`), their frequency penalty
 * (`"frequency"`), or CTRL's / HF transformers' multiplicative `repetition_penalty`
 * (`"multiplicative"`). The state keeps counts incrementally (each step feeds only the new
 * token), so a step costs O(distinct types in scope), never O(history), and its memory follows
 * the distinct types seen, never the vocabulary size. Changes the row in
 * place. Additive for `"presence"` and `"frequency"`.
 *
 * @example
 * ```ts
 * import { RepetitionPenalty } from 'rulelm';
 *
 * // The paper's diversity rule: -1.5 for every type seen since the user tag (ids 29966, 29989).
 * const diversity = new RepetitionPenalty({ mode: 'presence', penalty: 1.5, scope: { after: [29966, 29989] } });
 * diversity.additive; // true
 * ```
 */
export class RepetitionPenalty extends Processor<RepetitionPenaltyState> {
  /** The kind. */
  readonly kind = 'repetition-penalty' as const;
  /** `true` for the additive modes. */
  override readonly additive: boolean;
  /** The mode. */
  readonly mode: RepetitionMode;
  /** The penalty. */
  readonly penalty: number;
  readonly #anchor: ResolvedAnchor;
  readonly #window: number | undefined;
  readonly #exempt: Int32Array | undefined;
  // 1 at each exempt id, as long as the largest exempt id + 1 (shared by every sequence).
  readonly #exemptMask: Uint8Array | undefined;

  /**
   * Creates a repetition penalty.
   *
   * @param options Mode, penalty, scope, window and exempt ids.
   * @throws {RuleLMError} On a bad or unknown option.
   */
  constructor(options: RepetitionPenaltyOptions) {
    super();
    assertOptions('options', options, KNOWN);
    const { mode, penalty, scope = 'response', window, exempt } = options;
    assertOneOf('mode', mode, ['presence', 'frequency', 'multiplicative'] as const);
    if (mode === 'multiplicative') assertPositive('penalty', penalty);
    else assertFinite('penalty', penalty);
    this.#anchor = resolveAnchor('scope', scope, 'sequence');
    if (window !== undefined) assertPositiveInteger('window', window);
    this.#window = window;
    this.#exempt = exempt === undefined ? undefined : toTokenIds('exempt', exempt, { allowEmpty: true });
    if (this.#exempt !== undefined) assertSpecLength('exempt', this.#exempt.length, MAX_LIST, 'ids');
    if (this.#exempt !== undefined && this.#exempt.length > 0) {
      const mask = new Uint8Array(Math.max(...this.#exempt) + 1);
      for (const id of this.#exempt) mask[id] = 1;
      this.#exemptMask = mask;
    }
    this.mode = mode;
    this.penalty = penalty;
    this.additive = mode !== 'multiplicative';
  }

  /**
   * Checks the exempt ids and the scope's marker against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary.
   */
  override checkVocabulary(vocabSize: number): void {
    if (this.#exempt !== undefined) assertIdsInVocabulary('exempt', this.#exempt, vocabSize);
    checkAnchor(this.#anchor, vocabSize);
  }

  /**
   * Creates a sequence's counts.
   *
   * @param history The new sequence.
   * @returns The state.
   */
  createState(history: ReadonlyTokenHistory): RepetitionPenaltyState {
    return {
      start: anchorBase(this.#anchor, history),
      seen: new Int32Array(REPETITION_STATE_START),
      counts: new Int32Array(REPETITION_STATE_START),
      slots: new Int32Array(2 * REPETITION_STATE_START),
      size: 0,
    };
  }

  /**
   * Counts the new tokens (and drops those leaving the window, or everything at a new marker).
   *
   * @param state The state.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: RepetitionPenaltyState, history: ReadonlyTokenHistory, from: number): void {
    const tokens = history.tokens;
    const marker = this.#anchor.marker;
    const window = this.#window;
    const exempt = this.#exemptMask;
    for (let p = from; p < history.length; p++) {
      if (marker.length > 0 && markerEndsAt(marker, tokens, p + 1)) {
        clear(state);
        state.start = p + 1;
        continue;
      }
      if (p < state.start) continue;
      const id = tokens[p] as number;
      if (exempt === undefined || exempt[id] !== 1) add(state, id);
      if (window !== undefined) {
        const leaving = p - window;
        if (leaving < state.start) continue;
        const old = tokens[leaving] as number;
        if (exempt === undefined || exempt[old] !== 1) remove(state, old);
      }
    }
  }

  /**
   * Penalizes every type seen in scope.
   *
   * @param row Scores, changed in place.
   * @param state The state.
   * @param _history Unused.
   * @param weight Scale of the additive modes.
   */
  process(row: Float32Array, state: RepetitionPenaltyState, _history: ReadonlyTokenHistory, weight: number): void {
    // Saturated: weight * penalty * count can overflow, and an infinite amount would turn an
    // infinite score into NaN; a finite one leaves it infinite.
    if (this.mode === 'presence') subtract(row, state.seen, state.size, saturate(weight * this.penalty));
    else if (this.mode === 'frequency') subtractCounts(row, state.seen, state.size, state.counts, saturate(weight * this.penalty));
    else scale(row, state.seen, state.size, this.penalty);
  }

  /**
   * The spec: every option, defaults written out.
   *
   * @returns The spec.
   */
  override toJSON(): ProcessorSpec {
    return {
      kind: 'repetition-penalty',
      mode: this.mode,
      penalty: this.penalty,
      scope: this.#anchor.spec,
      ...(this.#window === undefined ? {} : { window: this.#window }),
      ...(this.#exempt === undefined ? {} : { exempt: [...this.#exempt] }),
    };
  }

  /** How a repetition penalty is read from JSON. @internal */
  static readonly spec: SpecDefinition<RepetitionPenaltySpec> = {
    kind: 'repetition-penalty',
    schema: () =>
      v.strictObject({
        kind: v.literal('repetition-penalty'),
        mode: v.picklist(['presence', 'frequency', 'multiplicative']),
        penalty: finite,
        scope: v.exactOptional(anchorSchema),
        window: v.exactOptional(finite),
        exempt: v.exactOptional(tokenIds),
      }),
    fromSpec: (spec) => new RepetitionPenalty(optionsOf(spec)),
  };
}
