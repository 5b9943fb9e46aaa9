import type { ReadonlyTokenHistory } from './history';
import type { AnchorSpec } from '../serialization/types';
import { RuleLMError } from './errors';
import { assertIdsInVocabulary, assertOneOf, toTokenIds } from './validate';

/**
 * Where a processor starts counting in a sequence.
 *
 * - `"response"`: from the first generated token;
 * - `"sequence"`: from the first prompt token;
 * - `{ after: ids }`: from just after the **last** occurrence of the token sequence `ids`
 *   (found incrementally, in the prompt or the response); before any occurrence, from
 *   `fallback`: by default the response start for processors that count response positions
 *   (`EndOfSequenceRamp`, `PositionBias`) and the sequence start for `RepetitionPenalty`.
 */
export type Anchor =
  | 'response'
  | 'sequence'
  | { readonly after: readonly number[]; readonly fallback?: 'response' | 'sequence' };

/** A validated anchor. */
export interface ResolvedAnchor {
  /** The anchor as a spec (JSON). */
  readonly spec: AnchorSpec;
  /** The marker token sequence, empty for the plain anchors. */
  readonly marker: Int32Array;
  /** Where counting starts before a marker occurs (or always, for plain anchors). */
  readonly base: 'response' | 'sequence';
  /** The option's name, for error messages. */
  readonly argument: string;
}

/**
 * Validates an anchor option.
 *
 * @param argument The option's name.
 * @param value The option.
 * @param fallbackDefault The default `fallback` of a marker anchor.
 * @returns The validated anchor.
 * @throws {RuleLMError} On anything but `"response"`, `"sequence"` or `{ after, fallback? }`.
 */
export function resolveAnchor(argument: string, value: unknown, fallbackDefault: 'response' | 'sequence'): ResolvedAnchor {
  if (value === 'response' || value === 'sequence') return { marker: new Int32Array(0), base: value, spec: value, argument };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { after, fallback = fallbackDefault, ...rest } = value as { after?: unknown; fallback?: unknown };
    const unknown = Object.keys(rest);
    if (unknown.length > 0) {
      throw new RuleLMError(`\`${argument}\` has an unknown option ${JSON.stringify(unknown[0])}; known options are \`after\`, \`fallback\``, {
        argument: `${argument}.${unknown[0]}`,
      });
    }
    assertOneOf(`${argument}.fallback`, fallback, ['response', 'sequence'] as const);
    const marker = toTokenIds(`${argument}.after`, after);
    return { marker, base: fallback, spec: { after: [...marker], fallback }, argument };
  }
  throw new RuleLMError(
    `\`${argument}\` must be "response", "sequence" or { after: tokenIds }, but is ${JSON.stringify(value) ?? String(value)}`,
    { argument },
  );
}

/**
 * Checks a marker's ids against the vocabulary.
 *
 * @param anchor The anchor.
 * @param vocabSize The vocabulary size.
 * @throws {RuleLMError} When a marker id is outside the vocabulary.
 */
export function checkAnchor(anchor: ResolvedAnchor, vocabSize: number): void {
  assertIdsInVocabulary(`${anchor.argument}.after`, anchor.marker, vocabSize);
}

/**
 * The start position of an anchor before any marker is seen.
 *
 * @param anchor The anchor.
 * @param history The sequence.
 * @returns The prompt length for `"response"`, else 0.
 */
export function anchorBase(anchor: ResolvedAnchor, history: ReadonlyTokenHistory): number {
  return anchor.base === 'response' ? history.promptLength : 0;
}

/**
 * Tells whether the marker ends exactly at position `end - 1` of the history, i.e. whether the
 * tokens at `end - marker.length` to `end - 1` equal the marker. O(marker length).
 *
 * @param marker The marker's ids.
 * @param tokens The token buffer.
 * @param end One past the last position to compare.
 * @returns Whether the marker ends there (never for an empty marker).
 */
export function markerEndsAt(marker: Int32Array, tokens: Int32Array, end: number): boolean {
  const m = marker.length;
  if (m === 0 || end < m) return false;
  const offset = end - m;
  for (let i = 0; i < m; i++) if (tokens[offset + i] !== marker[i]) return false;
  return true;
}

/**
 * Moves an anchor's start past any marker that ends in positions `from` to `history.length - 1`.
 *
 * @param anchor The anchor.
 * @param start The current start.
 * @param history The history.
 * @param from The first new position.
 * @returns The new start: just after the last marker occurrence, or `start` when none ended.
 */
export function advanceAnchor(anchor: ResolvedAnchor, start: number, history: ReadonlyTokenHistory, from: number): number {
  const marker = anchor.marker;
  if (marker.length === 0) return start;
  let next = start;
  for (let end = from + 1; end <= history.length; end++) {
    if (markerEndsAt(marker, history.tokens, end)) next = end;
  }
  return next;
}
