import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import type { Boundary } from '../core/resolve';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import * as v from 'valibot';
import { RuleLMError } from '../core/errors';
import { Processor } from '../core/processor';
import { resolveText } from '../core/resolve';
import { markerEndsAt } from '../core/marker';
import { toVocabulary } from '../core/vocabulary';
import { assertFinite, assertIdsInVocabulary, assertOneOf, assertOptions, assertSpecLength, fail, saturate, toTokenId, toTokenIds } from '../core/validate';
import { MAX_LIST, finite, tokenId, tokenIds } from '../serialization/schemas';

/**
 * One bias: by token id, by token sequence (the last token is biased when the sequence so far
 * ends with the others, HF `SequenceBiasLogitsProcessor` semantics), or by text (resolved to every
 * token that spells it). Exactly one of `token`, `tokens` and `text`; `boundary` only with `text`.
 */
export type TokenBiasEntry =
  | { readonly token: number; readonly bias: number; readonly tokens?: never; readonly text?: never; readonly boundary?: never }
  | { readonly tokens: readonly number[]; readonly bias: number; readonly token?: never; readonly text?: never; readonly boundary?: never }
  | { readonly text: string; readonly bias: number; readonly boundary?: Boundary; readonly token?: never; readonly tokens?: never };

/** Options of {@link TokenBias}. */
export interface TokenBiasOptions {
  /**
   * The biases (logit units, added). Biases that land on the same token add up (their sum must
   * stay finite). An empty list, or one whose every text was skipped, biases nothing.
   */
  readonly biases: readonly TokenBiasEntry[];
  /** The tokenizer, needed for text entries: a transformers.js tokenizer or a rulelm vocabulary. */
  readonly tokenizer?: Vocabulary | TokenizerLike;
  /** What to do with text that resolves to no token: throw (default) or skip it (listed in `skipped`). */
  readonly unresolved?: 'error' | 'skip';
}

/** The JSON spec of a {@link TokenBias}: its options without the tokenizer (text entries need one to load). */
export interface TokenBiasSpec extends Omit<TokenBiasOptions, 'tokenizer'> {
  /** The kind. */
  readonly kind: 'token-bias';
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

const KNOWN = ['biases', 'tokenizer', 'unresolved'];

// One entry of a spec, by the key it has, so an error names the field and a real reason (a union
// of the three shapes would only say that none matched).
const ENTRY_SCHEMAS = {
  token: v.strictObject({ token: tokenId, bias: finite }),
  tokens: v.strictObject({ tokens: v.pipe(tokenIds, v.minLength(1)), bias: finite }),
  text: v.strictObject({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)), bias: finite, boundary: v.exactOptional(v.picklist(['both', 'leading', 'none'])) }),
};
const entryShape = v.custom<never>(() => false, 'Expected an object with exactly one of `token`, `tokens` or `text`, and `bias`');
const entrySchema = v.lazy((input: unknown) => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return entryShape;
  const keys = (['token', 'tokens', 'text'] as const).filter((k) => k in input);
  return keys.length === 1 ? ENTRY_SCHEMAS[keys[0] as 'token' | 'tokens' | 'text'] : entryShape;
});

/**
 * A token bias: `score += bias` for each listed token at every step, and for each listed token
 * sequence when the history ends with all but its last token (HF's
 * `SequenceBiasLogitsProcessor`; OpenAI's and llama.cpp's `logit_bias` for single tokens). Text
 * entries are resolved through the tokenizer to every token that spells the text. Additive; per
 * step it touches only the biased tokens.
 *
 * @example
 * ```ts
 * import { TokenBias } from 'rulelm';
 *
 * const bias = new TokenBias({ biases: [{ token: 13, bias: 1 }, { tokens: [5, 6], bias: -2 }] });
 * bias.resolved.map((r) => r.tokens); // [[13], [5, 6]]
 * ```
 */
export class TokenBias extends Processor<null> {
  /** The kind. */
  readonly kind = 'token-bias' as const;
  /** Always `true`. */
  override readonly additive: boolean = true;
  /** What every entry resolved to: one row per token or sequence. */
  readonly resolved: readonly ResolvedBias[];
  /** Texts that resolved to nothing and were skipped (with `unresolved: "skip"`). */
  readonly skipped: readonly string[];
  readonly #ids: Int32Array;
  readonly #values: Float64Array;
  readonly #sequences: readonly { readonly prefix: Int32Array; readonly last: number; readonly bias: number }[];
  readonly #allIds: readonly number[];

  /**
   * Creates a token bias.
   *
   * @param options The biases, and the tokenizer for text entries.
   * @throws {RuleLMError} On a bad or unknown option, or text that resolves to nothing (unless
   * `unresolved: "skip"`).
   */
  constructor(options: TokenBiasOptions) {
    super();
    assertOptions('options', options, KNOWN);
    const { biases, tokenizer, unresolved = 'error' } = options;
    if (!Array.isArray(biases)) fail('biases', 'an array of biases', biases);
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
        const ids = [toTokenId(`${argument}.token`, e.token)];
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
    assertSpecLength('biases', resolved.length, MAX_LIST, 'biases once resolved');
    const single = new Map<number, number>();
    const sequences: { prefix: Int32Array; last: number; bias: number }[] = [];
    for (const r of resolved) {
      assertSpecLength('biases', r.tokens.length, MAX_LIST, 'ids in one token sequence');
      if (r.tokens.length > 1) {
        sequences.push({ prefix: Int32Array.from(r.tokens.slice(0, -1)), last: r.tokens[r.tokens.length - 1] as number, bias: r.bias });
        continue;
      }
      const id = r.tokens[0] as number;
      const sum = (single.get(id) ?? 0) + r.bias;
      // A sum past the largest number would be an infinite bias, which turns a masked score into NaN.
      if (!Number.isFinite(sum)) {
        throw new RuleLMError(`\`biases\` on token ${id} add up to ${sum}, beyond the largest finite number; give smaller biases`, { argument: 'biases' });
      }
      single.set(id, sum);
    }
    this.resolved = resolved;
    this.skipped = skipped;
    this.#ids = Int32Array.from(single.keys());
    this.#values = Float64Array.from(single.values());
    this.#sequences = sequences;
    this.#allIds = resolved.flatMap((r) => r.tokens);
  }

  /**
   * Checks every biased id against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary (argument `biases`).
   */
  override checkVocabulary(vocabSize: number): void {
    assertIdsInVocabulary('biases', this.#allIds, vocabSize);
  }

  /**
   * No per-sequence data.
   *
   * @returns `null`.
   */
  createState(): null {
    return null;
  }

  /**
   * Adds the biases.
   *
   * @param row Scores, changed in place.
   * @param _state Unused.
   * @param history The sequence (for token-sequence biases).
   * @param weight Scale of the biases.
   */
  process(row: Float32Array, _state: null, history: ReadonlyTokenHistory, weight: number): void {
    const ids = this.#ids;
    const values = this.#values;
    // saturate: weight * bias can overflow, and an infinite addend would turn ±Infinity into NaN.
    if (weight === 1) for (let i = 0; i < ids.length; i++) row[ids[i] as number]! += values[i] as number;
    else for (let i = 0; i < ids.length; i++) row[ids[i] as number]! += saturate(weight * (values[i] as number));
    for (const s of this.#sequences) if (markerEndsAt(s.prefix, history.tokens, history.length)) row[s.last]! += saturate(weight * s.bias);
  }

  /**
   * The spec, with resolved ids instead of text, so it loads without a tokenizer and behaves the
   * same.
   *
   * @returns The spec.
   */
  override toJSON(): ProcessorSpec {
    return {
      kind: 'token-bias',
      biases: this.resolved.map((r) => (r.tokens.length === 1 ? { token: r.tokens[0] as number, bias: r.bias } : { tokens: [...r.tokens], bias: r.bias })),
    };
  }

  /** How a token bias is read from JSON. @internal */
  static readonly spec: SpecDefinition<TokenBiasSpec> = {
    kind: 'token-bias',
    schema: () =>
      v.strictObject({
        kind: v.literal('token-bias'),
        biases: v.pipe(v.array(entrySchema), v.maxLength(MAX_LIST)),
        unresolved: v.exactOptional(v.picklist(['error', 'skip'])),
      }),
    fromSpec: (spec, context) => {
      const { kind: _kind, ...options } = spec;
      return new TokenBias(context.tokenizer === undefined ? options : { ...options, tokenizer: context.tokenizer });
    },
  };
}
