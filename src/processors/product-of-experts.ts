import type { ReadonlyTokenHistory } from '../core/history';
import type { ProcessorSpec, SpecDefinition } from '../serialization/types';
import * as v from 'valibot';
import { specOf } from '../serialization/spec-of';
import { RuleLMError } from '../core/errors';
import { exp } from '../core/exp';
import { logSumExpAt, maxAt } from '../core/row';
import { Processor, assertProcessor } from '../core/processor';
import { assertFinite, assertOneOf, assertOptions, assertSpecLength, fail, saturate } from '../core/validate';
import { finite, optionsOf } from '../serialization/schemas';

/** One rule expert and its weight. */
export interface Expert {
  /** An additive processor or chain; its score vector is what it adds to a zero row. */
  readonly processor: Processor;
  /** The weight (negative allowed). Default 1. */
  readonly weight?: number;
}

/** Options of {@link ProductOfExperts}. */
export interface ProductOfExpertsOptions {
  /** Weight of the base model's scores (the row). Default 1. */
  readonly baseWeight?: number;
  /** The rule experts. */
  readonly experts: readonly Expert[];
  /**
   * `"logits"` (default): the result equals the exact combination up to a constant per row,
   * which changes no softmax, argmax, top-k or top-p; with `baseWeight` 1 it touches only the
   * tokens the experts name. `"log-probs"`: the exact normalized
   * `sum of weight_i * log_softmax(expert_i)`, at the cost of passes over the whole row.
   */
  readonly output?: 'logits' | 'log-probs';
}

/** State of one sequence: the experts' states, and a scratch row for the exact mode. */
export interface ProductOfExpertsState {
  /** Per-expert state. */
  readonly states: unknown[];
  /** Scratch row (exact mode only). */
  readonly scratch: Float32Array | undefined;
}

/** The JSON spec of a {@link ProductOfExperts}: its options, with each expert's processor as a spec. */
export interface ProductOfExpertsSpec {
  /** The kind. */
  readonly kind: 'product-of-experts';
  /** Weight of the base model's scores. */
  readonly baseWeight?: number;
  /** The output mode. */
  readonly output?: 'logits' | 'log-probs';
  /** The rule experts. */
  readonly experts: readonly { readonly processor: ProcessorSpec; readonly weight?: number }[];
}

/** The most experts a product may have (what a spec holds). */
const MAX_EXPERTS = 1024;
/** The deepest nesting of composite processors (products, chains) a product of experts may head. */
const MAX_NESTING = 16;

// How many levels of composite processors (with members) `processor` heads: 0 for a single rule.
function nesting(processor: Processor): number {
  let deepest = 0;
  for (const member of processor.members) deepest = Math.max(deepest, 1 + nesting(member));
  return deepest;
}

/**
 * Computes `log(sum(exp(row)))` stably; `-Infinity` for an all-masked (or empty) row.
 *
 * @param row Scores.
 * @returns The log-sum-exp: `NaN` when any score is `NaN`, `Infinity` when any is `Infinity`.
 */
export function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (Number.isNaN(x)) return NaN;
    if (x > max) max = x;
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) - max);
  return max + Math.log(sum);
}

// log-sum-exp of a rule's score vector, which is 0 almost everywhere: the zeros are counted,
// not exponentiated, so this costs one cheap pass instead of an exp per token.
function sparseLogSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > max) max = row[i] as number;
  if (max === -Infinity || max === Infinity) return max;
  let zeros = 0;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (x === 0) zeros++;
    else sum += Math.exp(x - max);
  }
  // No zeros: their term is 0 (zeros * exp(-max) would be 0 * Infinity = NaN for max below -709).
  return max + Math.log(sum + (zeros === 0 ? 0 : zeros * Math.exp(-max)));
}

// The exact mode in two passes over the row (issue 16): one online pass for the base's max and
// sum of exponentials (NaN scores left out) that also gathers the first expert's log-sum-exp from
// its scratch row (zeros counted, not exponentiated), then one pass that writes
// `baseWeight * log_softmax(row) + scale * log_softmax(scores)` and clears the scratch row. The
// same values, term by term, as the base term followed by `addExpertLogProbs`: NaN scores stay NaN
// and out of the normalizer, -Infinity stays masked, +Infinity scores take all the mass (0 there,
// -Infinity elsewhere), a token the expert rules out is masked. `scores` undefined: the base only.
function fusedLogProbs(row: Float32Array, scores: Float32Array | undefined, baseWeight: number, scale: number): void {
  const n = row.length;
  let max = -Infinity;
  let sum = 0;
  let expertMax = -Infinity;
  let expertSum = 0;
  let nonzero = 0;
  let expertNaN = false;
  if (scores === undefined) {
    // The base alone (every expert has weight 0): no pass to fold an expert into.
    const shift = logSumExpAt(row, 0, n, maxAt(row, 0, n));
    for (let j = 0; j < n; j++) {
      const x = row[j] as number;
      if (x === -Infinity || Number.isNaN(x)) continue;
      row[j] = shift === Infinity ? (x === Infinity ? 0 : -Infinity) : saturate(baseWeight * (x - shift));
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    const x = row[j] as number;
    // A new max rescales the sum (the first one multiplies 0 by exp(-Infinity) = 0); the same
    // for the expert's max and sum over its nonzero scores.
    if (x > max) {
      sum = sum * exp(max - x) + 1;
      max = x;
    } else if (x > -Infinity) sum += exp(x - max);
    const s = scores[j] as number;
    if (s === 0) continue;
    nonzero++;
    if (s > expertMax) {
      expertSum = expertSum * exp(expertMax - s) + 1;
      expertMax = s;
    } else if (s > -Infinity) expertSum += exp(s - expertMax);
    else if (Number.isNaN(s)) expertNaN = true;
  }
  const shift = max === Infinity || max === -Infinity ? max : max + Math.log(sum);
  // The expert's log-sum-exp as sparseLogSumExp computes it: its max counts the zeros.
  const zeros = n - nonzero;
  const top = zeros > 0 && !(expertMax >= 0) ? 0 : expertMax;
  let expertShift = top;
  if (top !== Infinity && top !== -Infinity) {
    expertShift = expertNaN ? NaN : top + Math.log((expertMax === -Infinity ? 0 : expertSum * exp(expertMax - top)) + (zeros === 0 ? 0 : zeros * exp(-top)));
  }
  const zeroLogProb = expertLogProb(0, expertShift);
  const zeroTerm = saturate(scale * zeroLogProb);
  const zeroMasks = zeroLogProb === -Infinity;
  const forced = shift === Infinity;
  if (!forced && baseWeight === 1 && !zeroMasks && !Number.isNaN(zeroTerm)) {
    // The common case, specialized: baseWeight * (x - shift) needs no saturation for a finite
    // float32 x, and a base term rounded to -Infinity stays -Infinity after adding the finite
    // zeroTerm, as in the general loop below (a NaN zeroTerm takes the general loop, where such
    // a term stays -Infinity).
    for (let j = 0; j < n; j++) {
      const x = row[j] as number;
      const s = scores[j] as number;
      if (s !== 0) {
        scores[j] = 0;
        row[j] = withExpert(x, s, shift, baseWeight, scale, expertShift);
      } else if (x > -Infinity) row[j] = Math.fround(x - shift) + zeroTerm;
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    const x = row[j] as number;
    const s = scores[j] as number;
    if (s !== 0) {
      scores[j] = 0;
      row[j] = withExpert(x, s, shift, baseWeight, scale, expertShift);
    } else if (x > -Infinity) {
      // The common case (a score the expert leaves at 0): the base term as stored in the float32
      // row (it may round to -Infinity, which masks), plus the expert's constant.
      const base = Math.fround(forced ? (x === Infinity ? 0 : -Infinity) : saturate(baseWeight * (x - shift)));
      row[j] = base === -Infinity || zeroMasks ? -Infinity : base + zeroTerm;
    }
  }
}

// One token's value where the expert's score `s` is not 0 (see fusedLogProbs).
function withExpert(x: number, s: number, shift: number, baseWeight: number, scale: number, expertShift: number): number {
  if (x === -Infinity || Number.isNaN(x)) return x;
  const base = Math.fround(shift === Infinity ? (x === Infinity ? 0 : -Infinity) : saturate(baseWeight * (x - shift)));
  if (base === -Infinity) return -Infinity;
  const logProb = expertLogProb(s, expertShift);
  return logProb === -Infinity ? -Infinity : base + saturate(scale * logProb);
}

// An expert's log-probability of a score given its log-sum-exp: +Infinity scores take all the
// mass; an all-masked expert masks everything.
function expertLogProb(s: number, shift: number): number {
  return shift === Infinity ? (s === Infinity ? 0 : -Infinity) : shift === -Infinity ? -Infinity : s - shift;
}

// The logits mode's base term with baseWeight other than 1: baseWeight * row, which equals
// baseWeight * log_softmax(row) up to a constant; with +Infinity scores, as the exact mode does
// (0 * Infinity would be NaN, and a negative weight would mask the only tokens left).
function scaleBase(row: Float32Array, baseWeight: number): void {
  let forced = false;
  for (let j = 0; j < row.length; j++) {
    const x = row[j] as number;
    if (x === Infinity) forced = true;
    else if (x !== -Infinity) row[j] = saturate(baseWeight * x);
  }
  if (forced) for (let j = 0; j < row.length; j++) if (!Number.isNaN(row[j] as number)) row[j] = row[j] === Infinity ? 0 : -Infinity;
}

// The exact mode's expert term: row += scale * log_softmax(scores), where `shift` is the scores'
// log-sum-exp. A token the expert rules out (log-probability -Infinity) is masked whatever the
// sign of `scale`; masked and NaN scores stay as they are.
function addExpertLogProbs(row: Float32Array, scores: Float32Array, shift: number, scale: number): void {
  for (let j = 0; j < row.length; j++) {
    const x = row[j] as number;
    if (x === -Infinity || Number.isNaN(x)) continue;
    const s = scores[j] as number;
    const logProb = expertLogProb(s, shift);
    row[j] = logProb === -Infinity ? -Infinity : x + saturate(scale * logProb);
  }
}

/**
 * A product of experts (Hewitt et al. 2024, section 3): `score = baseWeight * log_softmax(row) +
 * sum of weight_i * log_softmax(expert_i)`, where the row holds the base model's logits and each
 * expert is an additive rule processor (its score vector is what it adds to a zero row). Changes
 * the row in place. Tokens masked in the base (`-Infinity`) stay masked. Experts of weight 0 are
 * skipped. `NaN` scores from a broken model stay `NaN` and are kept out of the exact mode's
 * normalizer, so they never spread to other tokens. `+Infinity` base scores take all the mass in
 * both modes (whatever `baseWeight`), and a token an expert rules out is masked whatever the sign of
 * its weight. Every term is saturated at ±`Number.MAX_VALUE`, so no finite weight makes `NaN`
 * (a finite score may still round to ±Infinity in the `Float32Array` row).
 *
 * Fast path: with `output: "logits"` and `baseWeight` 1 this is `row += sum of weight_i *
 * expert_i`, which touches only the tokens the experts name; it differs from the exact value by
 * a per-row constant (the normalizers), so sampling and argmax are unchanged. Then it is additive.
 *
 * @example
 * ```ts
 * import { ProductOfExperts, TokenBias } from 'rulelm';
 *
 * const poe = new ProductOfExperts({ experts: [{ processor: new TokenBias({ biases: [{ token: 2, bias: 3 }] }), weight: 0.5 }], output: 'log-probs' });
 * poe.experts[0]?.weight; // 0.5
 * ```
 */
export class ProductOfExperts extends Processor<ProductOfExpertsState> {
  /** The kind. */
  readonly kind = 'product-of-experts' as const;
  /** `true` in the fast path (`output: "logits"`, `baseWeight` 1). */
  override readonly additive: boolean;
  /** The base weight. */
  readonly baseWeight: number;
  /** The experts with their weights. */
  readonly experts: readonly { readonly processor: Processor; readonly weight: number }[];
  /** The output mode. */
  readonly output: 'logits' | 'log-probs';
  readonly #active: readonly { readonly processor: Processor; readonly weight: number }[];

  /**
   * Creates a product of experts.
   *
   * @param options The base weight, the experts and the output mode.
   * @throws {RuleLMError} On a bad or unknown option, or an expert that is not additive.
   */
  constructor(options: ProductOfExpertsOptions) {
    super();
    assertOptions('options', options, ['baseWeight', 'experts', 'output']);
    const { baseWeight = 1, experts, output = 'logits' } = options;
    assertFinite('baseWeight', baseWeight);
    assertOneOf('output', output, ['logits', 'log-probs'] as const);
    if (!Array.isArray(experts) || experts.length === 0) fail('experts', 'a non-empty array of { processor, weight }', experts);
    assertSpecLength('experts', experts.length, MAX_EXPERTS, 'experts');
    const list = experts.map((entry: unknown, i) => {
      const argument = `experts[${i}]`;
      if (Processor.isInstance(entry)) fail(argument, `{ processor, weight } (wrap the ${entry.kind} processor: { processor, weight: 1 })`, entry.kind);
      assertOptions(argument, entry, ['processor', 'weight']);
      const { processor, weight = 1 } = entry as Expert;
      assertProcessor(`${argument}.processor`, processor);
      if (!processor.additive) {
        throw new RuleLMError(`\`${argument}.processor\` must be an additive processor (a rule whose scores do not depend on the row), but is a ${processor.kind} that is not`, {
          argument: `${argument}.processor`,
        });
      }
      assertFinite(`${argument}.weight`, weight);
      if (nesting(processor) >= MAX_NESTING) {
        throw new RuleLMError(`\`${argument}.processor\` nests products of experts and chains ${nesting(processor)} levels deep; at most ${MAX_NESTING - 1} are supported below a product of experts (what a spec holds)`, {
          argument: `${argument}.processor`,
        });
      }
      return { processor, weight };
    });
    this.baseWeight = baseWeight;
    this.output = output;
    this.experts = list;
    this.#active = list.filter((e) => e.weight !== 0);
    this.additive = output === 'logits' && baseWeight === 1;
  }

  /**
   * The members: the experts' processors.
   *
   * @returns The processors, in order.
   */
  override get members(): readonly Processor[] {
    return this.experts.map((e) => e.processor);
  }

  /**
   * Checks the ids of the experts that take part (weight other than 0) against the vocabulary.
   *
   * @param vocabSize The vocabulary size.
   * @throws {RuleLMError} On an id outside the vocabulary.
   */
  override checkVocabulary(vocabSize: number): void {
    for (const expert of this.#active) expert.processor.checkVocabulary(vocabSize);
  }

  /**
   * Creates the experts' states (and a scratch row in the exact mode).
   *
   * @param history The new sequence.
   * @returns The state.
   */
  createState(history: ReadonlyTokenHistory): ProductOfExpertsState {
    return { states: this.#active.map((e) => e.processor.createState(history)), scratch: this.output === 'log-probs' ? new Float32Array(history.vocabSize) : undefined };
  }

  /**
   * Feeds every expert the new tokens.
   *
   * @param state The state.
   * @param history The sequence.
   * @param from The first new position.
   */
  override update(state: ProductOfExpertsState, history: ReadonlyTokenHistory, from: number): void {
    const active = this.#active;
    for (let i = 0; i < active.length; i++) active[i]!.processor.update(state.states[i], history, from);
  }

  /**
   * Combines the base scores with the experts.
   *
   * @param row The base model's scores (logits), changed in place.
   * @param state The state.
   * @param history The sequence.
   * @param weight Scale of the experts' contributions.
   */
  process(row: Float32Array, state: ProductOfExpertsState, history: ReadonlyTokenHistory, weight: number): void {
    const active = this.#active;
    if (this.output === 'log-probs') {
      // The scratch row is all zeros between calls: fusedLogProbs clears what the first expert
      // wrote, and the others' rows are cleared after use.
      const scratch = state.scratch as Float32Array;
      const first = active[0];
      if (first !== undefined) first.processor.process(scratch, state.states[0], history, 1);
      // Saturated: weight * w can overflow (each processor saturates what it adds in turn).
      fusedLogProbs(row, first === undefined ? undefined : scratch, this.baseWeight, first === undefined ? 0 : saturate(weight * first.weight));
      for (let i = 1; i < active.length; i++) {
        const { processor, weight: w } = active[i]!;
        processor.process(scratch, state.states[i], history, 1);
        addExpertLogProbs(row, scratch, sparseLogSumExp(scratch), saturate(weight * w));
        scratch.fill(0);
      }
      return;
    }
    if (this.baseWeight !== 1) scaleBase(row, this.baseWeight);
    for (let i = 0; i < active.length; i++) {
      const { processor, weight: w } = active[i]!;
      processor.process(row, state.states[i], history, saturate(weight * w));
    }
  }

  /**
   * The spec, with each expert's processor as a spec.
   *
   * @returns The spec.
   * @throws {RuleLMError} When an expert cannot be serialized.
   */
  override toJSON(): ProcessorSpec {
    return {
      kind: 'product-of-experts',
      baseWeight: this.baseWeight,
      output: this.output,
      experts: this.experts.map((e, i) => ({ processor: specOf(e.processor, `experts[${i}].processor`), weight: e.weight })),
    };
  }

  /** How a product of experts is read from JSON. @internal */
  static readonly spec: SpecDefinition<ProductOfExpertsSpec> = {
    kind: 'product-of-experts',
    schema: (processor) =>
      v.strictObject({
        kind: v.literal('product-of-experts'),
        baseWeight: v.exactOptional(finite),
        output: v.exactOptional(v.picklist(['logits', 'log-probs'])),
        experts: v.pipe(v.array(v.strictObject({ processor, weight: v.exactOptional(finite) })), v.maxLength(MAX_EXPERTS)),
      }),
    fromSpec: (spec, context, path) => {
      const options = optionsOf(spec);
      return new ProductOfExperts({ ...options, experts: spec.experts.map((e, i) => ({ ...e, processor: context.build(e.processor, `${path}.experts[${i}].processor`) })) });
    },
  };
}
