import type { ReadonlyTokenHistory } from '../core/history';
import type { LogitsProcessor } from '../core/processor';
import type { ProcessorSpec } from '../spec/types';
import type { Anchor, ResolvedAnchor } from '../core/marker';
import { anchorBase, markerEndsAt, resolveAnchor } from '../core/marker';
import { assertFinite, assertIdsInVocabulary, assertOneOf, assertOptions, assertPositive, assertPositiveInteger, toTokenIds } from '../core/validate';

/**
 * How a repetition penalty applies to every token type seen in scope:
 * - `"presence"`: `score -= penalty` once per type (the paper's diversity rule; OpenAI's and
 *   llama.cpp's presence penalty);
 * - `"frequency"`: `score -= penalty * count` (OpenAI's and llama.cpp's frequency penalty);
 * - `"multiplicative"`: `score = score < 0 ? score * penalty : score / penalty` (CTRL, HF
 *   transformers, transformers.js).
 */
export type RepetitionMode = 'presence' | 'frequency' | 'multiplicative';

/** Options of {@link repetitionPenalty}. */
export interface RepetitionPenaltyOptions {
  /** How the penalty applies. */
  readonly mode: RepetitionMode;
  /**
   * The penalty. Additive modes: the amount subtracted (positive discourages repetition, the
   * paper uses 1.5). Multiplicative: a factor above 0 (1 is neutral, above 1 discourages).
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

/** State of one sequence: counts per token type in scope, and the list of types seen. */
export interface RepetitionPenaltyState {
  /** First position in scope. */
  start: number;
  /** Count per id in scope. */
  readonly counts: Int32Array;
  /** Distinct ids in scope, first `size` entries. */
  readonly seen: Int32Array;
  /** Index of each id in `seen` (only kept with a window, to remove ids). */
  readonly index: Int32Array | undefined;
  /** Number of distinct ids in scope. */
  size: number;
  /** 1 for exempt ids. */
  readonly exempt: Uint8Array | undefined;
}

/** A processor that penalizes tokens already seen in scope. */
export interface RepetitionPenalty extends LogitsProcessor<'repetition-penalty', RepetitionPenaltyState> {
  /** The mode. */
  readonly mode: RepetitionMode;
  /** The penalty. */
  readonly penalty: number;
}

const KNOWN = ['mode', 'penalty', 'scope', 'window', 'exempt'];

function add(state: RepetitionPenaltyState, id: number): void {
  if (state.exempt !== undefined && state.exempt[id] === 1) return;
  if (state.counts[id]!++ === 0) {
    if (state.index !== undefined) state.index[id] = state.size;
    state.seen[state.size++] = id;
  }
}

function remove(state: RepetitionPenaltyState, id: number): void {
  if (state.exempt !== undefined && state.exempt[id] === 1) return;
  if (--state.counts[id]! === 0) {
    const index = state.index as Int32Array;
    const at = index[id] as number;
    const last = state.seen[--state.size] as number;
    state.seen[at] = last;
    index[last] = at;
  }
}

function clear(state: RepetitionPenaltyState): void {
  for (let i = 0; i < state.size; i++) state.counts[state.seen[i] as number] = 0;
  state.size = 0;
}

/**
 * Creates a repetition penalty: every token type seen in scope gets penalized. The state keeps
 * counts incrementally (each step feeds only the new token), so a step costs O(distinct types
 * in scope), never O(history). Changes the row in place.
 *
 * @param options Mode, penalty, scope, window and exempt ids.
 * @returns The processor (additive for `"presence"` and `"frequency"`).
 * @throws {RuleLMError} On a bad or unknown option, or (per sequence) an exempt id outside the vocabulary.
 * @example
 * ```ts
 * // The paper's diversity rule: -1.5 for every type seen since the user tag.
 * repetitionPenalty({ mode: 'presence', penalty: 1.5, scope: { after: userTagIds } });
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function repetitionPenalty(options: RepetitionPenaltyOptions): RepetitionPenalty {
  assertOptions('options', options, KNOWN);
  const { mode, penalty, scope = 'response', window, exempt } = options;
  assertOneOf('mode', mode, ['presence', 'frequency', 'multiplicative'] as const);
  if (mode === 'multiplicative') assertPositive('penalty', penalty);
  else assertFinite('penalty', penalty);
  const anchor: ResolvedAnchor = resolveAnchor('scope', scope, 'sequence');
  if (window !== undefined) assertPositiveInteger('window', window);
  const exemptIds = exempt === undefined ? undefined : toTokenIds('exempt', exempt, { allowEmpty: true });
  const marker = anchor.marker;

  return {
    kind: 'repetition-penalty',
    toJSON: (): ProcessorSpec => ({
      kind: 'repetition-penalty',
      mode,
      penalty,
      scope: anchor.spec,
      ...(window === undefined ? {} : { window }),
      ...(exemptIds === undefined ? {} : { exempt: [...exemptIds] }),
    }),
    additive: mode !== 'multiplicative',
    mode,
    penalty,
    createState(history: ReadonlyTokenHistory): RepetitionPenaltyState {
      const v = history.vocabSize;
      let exemptMask: Uint8Array | undefined;
      if (exemptIds !== undefined && exemptIds.length > 0) {
        assertIdsInVocabulary('exempt', exemptIds, v);
        exemptMask = new Uint8Array(v);
        for (const id of exemptIds) exemptMask[id] = 1;
      }
      return {
        start: anchorBase(anchor, history),
        counts: new Int32Array(v),
        seen: new Int32Array(v),
        index: window === undefined ? undefined : new Int32Array(v),
        size: 0,
        exempt: exemptMask,
      };
    },
    update(state: RepetitionPenaltyState, history: ReadonlyTokenHistory, from: number): void {
      const tokens = history.tokens;
      for (let p = from; p < history.length; p++) {
        if (marker.length > 0 && markerEndsAt(marker, tokens, p + 1)) {
          clear(state);
          state.start = p + 1;
          continue;
        }
        if (p < state.start) continue;
        add(state, tokens[p] as number);
        if (window !== undefined) {
          const leaving = p - window;
          if (leaving >= state.start) remove(state, tokens[leaving] as number);
        }
      }
    },
    process(row: Float32Array, state: RepetitionPenaltyState, _history: ReadonlyTokenHistory, weight: number): void {
      const { seen, size, counts } = state;
      if (mode === 'presence') {
        const amount = weight * penalty;
        for (let i = 0; i < size; i++) row[seen[i] as number]! -= amount;
      } else if (mode === 'frequency') {
        const amount = weight * penalty;
        for (let i = 0; i < size; i++) {
          const id = seen[i] as number;
          row[id]! -= amount * (counts[id] as number);
        }
      } else {
        for (let i = 0; i < size; i++) {
          const id = seen[i] as number;
          const score = row[id] as number;
          row[id] = score < 0 ? score * penalty : score / penalty;
        }
      }
    },
  };
}
