import type { Anchor } from '../core/marker';
import type { Processor } from '../core/processor';
import type { TokenizerLike, Vocabulary } from '../core/vocabulary';
import type { SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { Chain } from '../core/chain';
import { RuleLMError } from '../core/errors';
import { resolveMarker, resolveText } from '../core/resolve';
import { assertBoolean, assertOneOf, assertOptions, fail, toTokenIdList, toTokenIds } from '../core/validate';
import { toVocabulary } from '../core/vocabulary';
import { EndOfSequenceRamp } from '../processors/end-of-sequence-ramp';
import { PositionBias } from '../processors/position-bias';
import { RepetitionPenalty } from '../processors/repetition-penalty';
import { TokenBias } from '../processors/token-bias';
import { optionsOf, tokenId, tokenIds } from '../serialization/schemas';
import { HEWITT2024, startScore } from './hewitt2024-constants';

/** The rules of the paper's rule-based model. */
export type Hewitt2024Rule = 'eos' | 'uniform' | 'diversity' | 'start';

/** Options of {@link hewitt2024}. */
export interface Hewitt2024Options {
  /**
   * Which rules are on: a record of switches, or a flag string such as the reference code's
   * (`"eos-uniform-diversity"`, the paper's headline configuration and the default; the start
   * rule is off unless named). Drop a name for the paper's ablations.
   */
  readonly rules?: string | Partial<Readonly<Record<Hewitt2024Rule, boolean>>>;
  /**
   * `"reference"` (default): exactly what the reference code does: the EOS bias drops back to 0
   * at t >= 250, t counts from the last assistant tag, and diversity counts every token type
   * from the last user tag on (instruction and tags included). `"clean"`: the EOS bias holds
   * at its maximum after the ramp, and t and diversity count from the response start.
   */
  readonly fidelity?: 'reference' | 'clean';
  /** End-of-sequence id(s) the ramp raises. Default: the tokenizer's EOS id. */
  readonly eosTokenIds?: number | readonly number[];
  /**
   * The conversation markers (reference fidelity only): tag text resolved through the tokenizer,
   * or the marker's token ids. Default: the paper's `<|user|>` and `<|assistant|>`.
   */
  readonly markers?: { readonly user?: string | readonly number[]; readonly assistant?: string | readonly number[] };
}

/** One row of what the preset does to a vocabulary. */
export interface Hewitt2024TableRow {
  /** The rule. */
  readonly rule: Hewitt2024Rule;
  /** The token id (`-1` for "every seen token type" or "every token"). */
  readonly id: number;
  /** The piece, or a description for rows that cover many tokens. */
  readonly piece: string;
  /** The bias (or penalty, negative). */
  readonly bias: number;
  /** When it applies. */
  readonly when: string;
}

/** What {@link hewitt2024} resolved, besides its processors. */
interface Hewitt2024Report {
  readonly table: readonly Hewitt2024TableRow[];
  readonly skipped: readonly string[];
  readonly rules: readonly Hewitt2024Rule[];
  readonly fidelity: 'reference' | 'clean';
  readonly markers: { readonly user: readonly number[]; readonly assistant: readonly number[] } | undefined;
}

/**
 * The paper's rule-based model: a {@link Chain} of its rules, with a report of what it resolved
 * on one vocabulary. Made by {@link hewitt2024}; its spec is the chain's (token ids, so it loads
 * without a tokenizer).
 */
export class Hewitt2024 extends Chain {
  /** What the preset does to this vocabulary, row by row. */
  readonly table: readonly Hewitt2024TableRow[];
  /** Uniform-rule words this vocabulary cannot spell with one token (skipped). */
  readonly skipped: readonly string[];
  /** The rules that are on. */
  readonly rules: readonly Hewitt2024Rule[];
  /** The fidelity mode. */
  readonly fidelity: 'reference' | 'clean';
  /** The marker token ids used (reference fidelity), for inspection. */
  readonly markers: { readonly user: readonly number[]; readonly assistant: readonly number[] } | undefined;

  /**
   * Wraps the preset's processors; use {@link hewitt2024}.
   *
   * @param processors The rules' processors.
   * @param report What was resolved.
   */
  constructor(processors: readonly Processor[], report: Hewitt2024Report) {
    super(processors);
    this.table = report.table;
    this.skipped = report.skipped;
    this.rules = report.rules;
    this.fidelity = report.fidelity;
    this.markers = report.markers;
  }

  /**
   * How the preset is read from JSON (`{ "kind": "hewitt2024", ...options }`, which needs the
   * tokenizer given to `parseSpec`).
   *
   * @internal
   */
  static readonly presetSpec: SpecDefinition<Hewitt2024Spec> = {
    kind: 'hewitt2024',
    schema: () => {
      const marker = v.union([v.pipe(v.string(), v.minLength(1), v.maxLength(256)), v.pipe(tokenIds, v.minLength(1))]);
      return v.strictObject({
        kind: v.literal('hewitt2024'),
        rules: v.exactOptional(v.union([v.pipe(v.string(), v.maxLength(64)), v.strictObject({ eos: v.exactOptional(v.boolean()), uniform: v.exactOptional(v.boolean()), diversity: v.exactOptional(v.boolean()), start: v.exactOptional(v.boolean()) })])),
        fidelity: v.exactOptional(v.picklist(['reference', 'clean'])),
        eosTokenIds: v.exactOptional(v.union([tokenId, tokenIds])),
        markers: v.exactOptional(v.strictObject({ user: v.exactOptional(marker), assistant: v.exactOptional(marker) })),
      });
    },
    fromSpec: (spec, context) => {
      if (context.tokenizer === undefined) throw new RuleLMError('the hewitt2024 preset needs the `tokenizer` option of `parseSpec`', { argument: 'tokenizer' });
      return hewitt2024(context.tokenizer, optionsOf(spec));
    },
  };
}

/** The JSON spec of the preset: {@link hewitt2024}'s options (it needs a tokenizer to load). */
export interface Hewitt2024Spec extends Hewitt2024Options {
  /** The kind. */
  readonly kind: 'hewitt2024';
}

const RULES: readonly Hewitt2024Rule[] = ['eos', 'uniform', 'diversity', 'start'];

function parseRules(value: unknown): Hewitt2024Rule[] {
  if (typeof value === 'string') {
    const names = value.split('-').filter((n) => n.length > 0);
    for (const n of names) {
      if (!(RULES as readonly string[]).includes(n)) {
        throw new RuleLMError(`\`rules\` must be rule names joined by "-" (such as "eos-uniform-diversity"; names: ${RULES.map((r) => `"${r}"`).join(', ')}), but is ${JSON.stringify(value)}`, { argument: 'rules' });
      }
    }
    return atLeastOne(RULES.filter((r) => names.includes(r)), value);
  }
  assertOptions('rules', value, RULES);
  const switches = value as Partial<Record<Hewitt2024Rule, unknown>>;
  for (const r of RULES) if (switches[r] !== undefined) assertBoolean(`rules.${r}`, switches[r]);
  return atLeastOne(RULES.filter((r) => (switches[r] ?? r !== 'start') === true), value);
}

// A preset with every rule off does nothing; that is a mistake, not an ablation.
function atLeastOne(rules: Hewitt2024Rule[], value: unknown): Hewitt2024Rule[] {
  if (rules.length === 0) fail('rules', 'at least one rule (for the base model alone, use no processor)', value);
  return rules;
}

function displayPiece(vocabulary: Vocabulary, id: number): string | undefined {
  const piece = vocabulary.piece(id);
  if (piece === undefined || vocabulary.kind !== 'byte-level') return piece;
  return vocabulary.surface(id)?.replaceAll(' ', '\u2581') ?? piece;
}

/**
 * Creates the paper's rule-based model (Hewitt et al. 2024) for any tokenizer: an EOS ramp, a
 * diversity penalty, the 15 uniform token changes and optionally the start rule, as one
 * additive chain. Add it to a base model's logits (or use it as an expert of weight 1 in a
 * product of experts, which is the same) to make the base model answer instructions.
 *
 * On a Llama 2 vocabulary it resolves exactly the reference code's token ids; on other
 * vocabularies (byte-level BPE, Gemma, ...) it resolves the same words by their spelling.
 * Words a vocabulary cannot spell in one token are skipped and listed in `skipped`. The `table`
 * says what it does, token by token.
 *
 * @param tokenizer A transformers.js tokenizer or a rulelm vocabulary.
 * @param options Rules, fidelity, EOS ids, markers.
 * @returns The preset, a {@link Chain} (an instance of `Hewitt2024`, with its `table`).
 * @throws {RuleLMError} On a bad or unknown option, no EOS id, or markers that cannot be resolved.
 * @example
 * ```ts
 * import { AutoTokenizer } from '@huggingface/transformers';
 * import { hewitt2024 } from 'rulelm';
 *
 * const tokenizer = await AutoTokenizer.from_pretrained('Xenova/llama2.c-stories15M');
 * const rules = hewitt2024(tokenizer);                                   // the paper's model
 * const noDiversity = hewitt2024(tokenizer, { rules: 'eos-uniform' });  // an ablation
 * console.table(rules.table);
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function hewitt2024(tokenizer: Vocabulary | TokenizerLike, options: Hewitt2024Options = {}): Hewitt2024 {
  assertOptions('options', options, ['rules', 'fidelity', 'eosTokenIds', 'markers']);
  const vocabulary = toVocabulary(tokenizer);
  const { rules: rulesOption = 'eos-uniform-diversity', fidelity = 'reference', eosTokenIds, markers: markerOption = {} } = options;
  const rules = parseRules(rulesOption);
  assertOneOf('fidelity', fidelity, ['reference', 'clean'] as const);
  assertOptions('markers', markerOption, ['user', 'assistant']);
  const reference = fidelity === 'reference';

  const marker = (name: 'user' | 'assistant'): readonly number[] => {
    const value = markerOption[name] ?? (name === 'user' ? HEWITT2024.userTag : HEWITT2024.assistantTag);
    return typeof value === 'string' ? resolveMarker(vocabulary, value, `markers.${name}`) : [...toTokenIds(`markers.${name}`, value)];
  };
  const needsUser = reference && rules.includes('diversity');
  const needsAssistant = reference && (rules.includes('eos') || rules.includes('start'));
  const markers = reference ? { user: needsUser ? marker('user') : [], assistant: needsAssistant ? marker('assistant') : [] } : undefined;
  const responseFrom: Anchor = markers && markers.assistant.length > 0 ? { after: markers.assistant, fallback: 'response' } : 'response';

  const processors: Processor[] = [];
  const table: Hewitt2024TableRow[] = [];
  const skipped: string[] = [];
  const piece = (id: number): string => displayPiece(vocabulary, id) ?? `#${id}`;

  if (rules.includes('eos')) {
    const ids = eosTokenIds ?? vocabulary.eosTokenIds;
    // Checked before toTokenIds, whose "non-empty array" message would blame an option the user did not pass.
    if (eosTokenIds === undefined && vocabulary.eosTokenIds.length === 0) {
      throw new RuleLMError('`eosTokenIds` is needed: the tokenizer declares no end-of-sequence id', { argument: 'eosTokenIds' });
    }
    const eos = [...toTokenIdList('eosTokenIds', ids)];
    const { maxBias, rampLength } = HEWITT2024.eos;
    processors.push(new EndOfSequenceRamp({ eosTokenIds: eos, maxBias, rampLength, afterRamp: reference ? 'zero' : 'hold', countFrom: responseFrom }));
    const after = reference ? `0 from t = ${rampLength}` : `${maxBias} from t = ${rampLength}`;
    for (const id of eos) table.push({ rule: 'eos', id, piece: piece(id), bias: maxBias, when: `${maxBias} * t / ${rampLength} for t < ${rampLength}, ${after}` });
  }
  if (rules.includes('uniform')) {
    const biases: { token: number; bias: number }[] = [];
    const spelled = new Set<number>();
    for (const u of HEWITT2024.uniform) {
      const ids = resolveText(vocabulary, u.text, u.boundary).ids.filter((id) => !spelled.has(id));
      if (ids.length === 0) skipped.push(`${u.boundary === 'leading' ? '\u2581' : ''}${u.text}`);
      for (const id of ids) {
        spelled.add(id);
        biases.push({ token: id, bias: u.bias });
        table.push({ rule: 'uniform', id, piece: piece(id), bias: u.bias, when: 'every step' });
      }
    }
    if (biases.length > 0) processors.push(new TokenBias({ biases }));
  }
  if (rules.includes('diversity')) {
    const penalty = HEWITT2024.diversityPenalty;
    const scope: Anchor = markers && markers.user.length > 0 ? { after: markers.user, fallback: 'sequence' } : 'response';
    processors.push(new RepetitionPenalty({ mode: 'presence', penalty, scope }));
    table.push({ rule: 'diversity', id: -1, piece: 'every token type seen', bias: -penalty, when: reference ? 'since the last user tag' : 'since the response start' });
  }
  if (rules.includes('start')) {
    const { t0Weight, t1, t2 } = HEWITT2024.start;
    const dense = new Float32Array(vocabulary.size);
    for (let id = 0; id < dense.length; id++) {
      const p = displayPiece(vocabulary, id);
      dense[id] = p === undefined ? 0 : t0Weight * startScore(p);
    }
    const at = (text: string, bias: number): { token: number; bias: number }[] => resolveText(vocabulary, text, 'none').ids.map((token) => ({ token, bias }));
    const first = at(t1.text, t1.bias);
    const second = at(t2.text, t2.bias);
    const positions = [
      { at: 0, biases: dense },
      { at: 1, biases: first },
      { at: 2, biases: second },
    ].filter((p) => p.biases.length > 0);
    processors.push(new PositionBias({ positions, countFrom: responseFrom }));
    table.push({ rule: 'start', id: -1, piece: 'every token', bias: t0Weight, when: 't = 0: 5 * score(piece)' });
    for (const b of first) table.push({ rule: 'start', id: b.token, piece: piece(b.token), bias: b.bias, when: 't = 1' });
    for (const b of second) table.push({ rule: 'start', id: b.token, piece: piece(b.token), bias: b.bias, when: 't = 2' });
  }
  return new Hewitt2024(processors, { table, skipped, rules, fidelity, markers });
}
