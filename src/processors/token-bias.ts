import type { ReadonlyTokenHistory } from '../core/history';
import type { LogitsProcessor } from '../core/processor';
import type { ProcessorSpec } from '../spec/types';
import type { Boundary } from '../core/resolve';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import { RuleLMError } from '../core/errors';
import { resolveText } from '../core/resolve';
import { toVocabulary } from '../core/vocabulary';
import { assertFinite, assertIdsInVocabulary, assertOneOf, assertOptions, fail, toTokenIds } from '../core/validate';

/**
 * One bias: by token id, by token sequence (the last token is biased when the sequence so far
 * ends with the others, HF `SequenceBias` semantics), or by text (resolved to every token that
 * spells it). Exactly one of `token`, `tokens` and `text`; `boundary` only with `text`.
 */
export type TokenBiasEntry =
  | { readonly token: number; readonly bias: number; readonly tokens?: never; readonly text?: never; readonly boundary?: never }
  | { readonly tokens: readonly number[]; readonly bias: number; readonly token?: never; readonly text?: never; readonly boundary?: never }
  | { readonly text: string; readonly bias: number; readonly boundary?: Boundary; readonly token?: never; readonly tokens?: never };

/** Options of {@link tokenBias}. */
export interface TokenBiasOptions {
  /** The biases. Biases that land on the same token add up. */
  readonly biases: readonly TokenBiasEntry[];
  /** The tokenizer, needed for text entries: a transformers.js tokenizer or a rulelm vocabulary. */
  readonly tokenizer?: Vocabulary | TokenizerLike;
  /** What to do with text that resolves to no token: throw (default) or skip it (listed in `skipped`). */
  readonly unresolved?: 'error' | 'skip';
}

/** One resolved bias, for inspection. */
export interface ResolvedBias {
  /** Where it came from: `"id"`, `"tokens"` or the text. */
  readonly source: string;
  /** The token ids; more than one for a sequence (the last is biased). */
  readonly tokens: readonly number[];
  /** The pieces of those ids (when a tokenizer was given). */
  readonly pieces: readonly (string | undefined)[];
  /** The bias. */
  readonly bias: number;
}

/** A processor that adds fixed biases to tokens. */
export interface TokenBias extends LogitsProcessor<'token-bias', null> {
  /** What every entry resolved to: one row per token or sequence. */
  readonly resolved: readonly ResolvedBias[];
  /** Texts that resolved to nothing and were skipped. */
  readonly skipped: readonly string[];
}

const KNOWN = ['biases', 'tokenizer', 'unresolved'];

/**
 * Creates a token bias: `score += bias` for each listed token at every step, and for each
 * listed sequence when the history ends with all but its last token. Changes the row in place;
 * per step it touches only the biased tokens.
 *
 * @param options The biases, and the tokenizer for text entries.
 * @returns The processor (additive). Inspect `resolved` to see which tokens a text hit.
 * @throws {RuleLMError} On a bad or unknown option, text that resolves to nothing (unless
 * `unresolved: "skip"`), or (per sequence) an id outside the vocabulary.
 * @example
 * ```ts
 * const bias = tokenBias({ tokenizer, biases: [{ text: 'I', bias: -5 }, { token: 13, bias: 1 }] });
 * bias.resolved; // [{ source: 'I', tokens: [306], ... }, { source: 'I', tokens: [29902], ... }, ...]
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function tokenBias(options: TokenBiasOptions): TokenBias {
  assertOptions('options', options, KNOWN);
  const { biases, tokenizer, unresolved = 'error' } = options;
  if (!Array.isArray(biases) || biases.length === 0) fail('biases', 'a non-empty array of biases', biases);
  assertOneOf('unresolved', unresolved, ['error', 'skip'] as const);
  let vocabulary: Vocabulary | undefined;
  const vocab = (argument: string): Vocabulary => {
    if (tokenizer === undefined) throw new RuleLMError(`\`${argument}\` is text, so \`tokenizer\` is required`, { argument: 'tokenizer' });
    vocabulary ??= toVocabulary(tokenizer);
    return vocabulary;
  };
  const resolved: ResolvedBias[] = [];
  const skipped: string[] = [];
  const piecesOf = (ids: readonly number[]): (string | undefined)[] => ids.map((id) => (tokenizer === undefined ? undefined : vocab('tokenizer').piece(id)));

  biases.forEach((entry: unknown, i) => {
    const argument = `biases[${i}]`;
    if (typeof entry !== 'object' || entry === null) fail(argument, 'an object with `token`, `tokens` or `text`, and `bias`', entry);
    const e = entry as Record<string, unknown>;
    const keys = ['token', 'tokens', 'text'].filter((k) => k in e);
    if (keys.length !== 1) fail(argument, 'an object with exactly one of `token`, `tokens` or `text`', entry);
    assertOptions(argument, e, ['token', 'tokens', 'text', 'bias', ...(keys[0] === 'text' ? ['boundary'] : [])]);
    assertFinite(`${argument}.bias`, e.bias);
    const bias = e.bias;
    if ('token' in e) {
      const ids = [...toTokenIds(`${argument}.token`, [e.token])];
      resolved.push({ source: 'id', tokens: ids, pieces: piecesOf(ids), bias });
    } else if ('tokens' in e) {
      const ids = [...toTokenIds(`${argument}.tokens`, e.tokens)];
      resolved.push({ source: 'tokens', tokens: ids, pieces: piecesOf(ids), bias });
    } else {
      const text = e.text;
      if (typeof text !== 'string' || text.length === 0) fail(`${argument}.text`, 'a non-empty string', text);
      const boundary = e.boundary ?? 'both';
      assertOneOf(`${argument}.boundary`, boundary, ['both', 'leading', 'none'] as const);
      const found = resolveText(vocab(`${argument}.text`), text, boundary);
      const rows = [...found.ids.map((id) => [id]), ...found.sequences];
      if (rows.length === 0) {
        if (unresolved === 'skip') {
          skipped.push(text);
          return;
        }
        throw new RuleLMError(`\`${argument}.text\` (${JSON.stringify(text)}) resolves to no token of this vocabulary (boundary "${boundary}"); pass \`unresolved: "skip"\` to skip it`, {
          argument: `${argument}.text`,
        });
      }
      for (const ids of rows) resolved.push({ source: text, tokens: ids, pieces: piecesOf(ids), bias });
    }
  });

  // Compile: single tokens summed into one sparse vector; sequences kept apart.
  const single = new Map<number, number>();
  const sequences: { prefix: Int32Array; last: number; bias: number }[] = [];
  for (const r of resolved) {
    if (r.tokens.length === 1) single.set(r.tokens[0] as number, (single.get(r.tokens[0] as number) ?? 0) + r.bias);
    else sequences.push({ prefix: Int32Array.from(r.tokens.slice(0, -1)), last: r.tokens[r.tokens.length - 1] as number, bias: r.bias });
  }
  const ids = Int32Array.from(single.keys());
  const values = Float64Array.from(single.values());
  const allIds = resolved.flatMap((r) => r.tokens);
  const count = ids.length;

  return {
    kind: 'token-bias',
    // The resolved ids, so the spec loads without a tokenizer and behaves the same.
    toJSON: (): ProcessorSpec => ({
      kind: 'token-bias',
      biases: resolved.map((r) => (r.tokens.length === 1 ? { token: r.tokens[0] as number, bias: r.bias } : { tokens: [...r.tokens], bias: r.bias })),
    }),
    additive: true,
    resolved,
    skipped,
    createState(history: ReadonlyTokenHistory): null {
      assertIdsInVocabulary('biases', allIds, history.vocabSize);
      return null;
    },
    update(): void {},
    process(row: Float32Array, _state: null, history: ReadonlyTokenHistory, weight: number): void {
      for (let i = 0; i < count; i++) row[ids[i] as number]! += weight * (values[i] as number);
      for (const s of sequences) {
        const m = s.prefix.length;
        if (history.length < m) continue;
        let match = true;
        for (let j = 0, at = history.length - m; j < m; j++) {
          if (history.tokens[at + j] !== s.prefix[j]) {
            match = false;
            break;
          }
        }
        if (match) row[s.last]! += weight * s.bias;
      }
    },
  };
}
