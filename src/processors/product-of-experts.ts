import type { ReadonlyTokenHistory } from '../core/history';
import type { AnyProcessor, LogitsProcessor } from '../core/processor';
import type { ProcessorSpec } from '../spec/types';
import { specOf } from '../spec/spec-of';
import { RuleLMError } from '../core/errors';
import { assertFinite, assertOneOf, assertOptions, fail } from '../core/validate';

/** One rule expert and its weight. */
export interface Expert {
  /** An additive processor or chain; its score vector is what it adds to a zero row. */
  readonly processor: AnyProcessor;
  /** The weight (negative allowed). Default 1. */
  readonly weight?: number;
}

/** Options of {@link productOfExperts}. */
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

/** A product of experts over the base scores and rule experts. */
export interface ProductOfExperts extends LogitsProcessor<'product-of-experts', ProductOfExpertsState> {
  /** The base weight. */
  readonly baseWeight: number;
  /** The experts with their weights. */
  readonly experts: readonly { readonly processor: AnyProcessor; readonly weight: number }[];
  /** The output mode. */
  readonly output: 'logits' | 'log-probs';
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
  return max + Math.log(sum + zeros * Math.exp(-max));
}

// log-sum-exp over the scores that are not NaN.
function logSumExpSkippingNaN(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > max) max = row[i] as number;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (!Number.isNaN(x)) sum += Math.exp(x - max);
  }
  return max + Math.log(sum);
}

/**
 * Creates a product of experts: `score = baseWeight * log_softmax(row) + sum of weight_i *
 * log_softmax(expert_i)`, where the row holds the base model's scores and each expert is an
 * additive rule processor. Changes the row in place. Tokens masked in the base (`-Infinity`)
 * stay masked. Experts of weight 0 are skipped. `NaN` scores from a broken model stay `NaN` and
 * are kept out of the exact mode's normalizer, so they never spread to other tokens.
 *
 * Fast path: with `output: "logits"` and `baseWeight` 1 this is `row += sum of weight_i *
 * expert_i`, which touches only the tokens the experts name; it differs from the exact value
 * by a per-row constant (the normalizers), so sampling and argmax are unchanged.
 *
 * @param options The base weight, the experts and the output mode.
 * @returns The processor; additive in the fast path.
 * @throws {RuleLMError} On a bad or unknown option, or an expert that is not additive.
 * @example
 * ```ts
 * productOfExperts({ experts: [{ processor: hewitt2024(tokenizer), weight: 1 }] });
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function productOfExperts(options: ProductOfExpertsOptions): ProductOfExperts {
  assertOptions('options', options, ['baseWeight', 'experts', 'output']);
  const { baseWeight = 1, experts, output = 'logits' } = options;
  assertFinite('baseWeight', baseWeight);
  assertOneOf('output', output, ['logits', 'log-probs'] as const);
  if (!Array.isArray(experts) || experts.length === 0) fail('experts', 'a non-empty array of { processor, weight }', experts);
  const list = experts.map((entry: unknown, i) => {
    const argument = `experts[${i}]`;
    assertOptions(argument, entry, ['processor', 'weight']);
    const { processor, weight = 1 } = entry as Expert;
    if (typeof processor !== 'object' || processor === null || typeof processor.process !== 'function') fail(`${argument}.processor`, 'a rulelm processor', processor);
    if (!processor.additive) {
      throw new RuleLMError(`\`${argument}.processor\` must be an additive processor (a rule whose scores do not depend on the row), but is a ${processor.kind} that is not`, {
        argument: `${argument}.processor`,
      });
    }
    assertFinite(`${argument}.weight`, weight);
    return { processor, weight };
  });
  const active = list.filter((e) => e.weight !== 0);
  const exact = output === 'log-probs';

  return {
    kind: 'product-of-experts',
    toJSON: (): ProcessorSpec => ({
      kind: 'product-of-experts',
      baseWeight,
      output,
      experts: list.map((e, i) => ({ processor: specOf(e.processor, `experts[${i}].processor`), weight: e.weight })),
    }),
    additive: !exact && baseWeight === 1,
    baseWeight,
    experts: list,
    output,
    createState(history: ReadonlyTokenHistory): ProductOfExpertsState {
      return { states: active.map((e) => e.processor.createState(history) as unknown), scratch: exact ? new Float32Array(history.vocabSize) : undefined };
    },
    update(state: ProductOfExpertsState, history: ReadonlyTokenHistory, from: number): void {
      for (let i = 0; i < active.length; i++) active[i]!.processor.update(state.states[i], history, from);
    },
    process(row: Float32Array, state: ProductOfExpertsState, history: ReadonlyTokenHistory, weight: number): void {
      const n = row.length;
      if (exact) {
        // NaN scores (a broken model output) are left as they are and kept out of the normalizer,
        // so they do not turn the whole row into NaN; a +Infinity score takes all the mass.
        const shift = logSumExpSkippingNaN(row);
        for (let j = 0; j < n; j++) {
          const x = row[j] as number;
          if (x === -Infinity || Number.isNaN(x)) continue;
          if (shift === Infinity) row[j] = x === Infinity ? 0 : -Infinity;
          else row[j] = baseWeight * (x - shift);
        }
      } else if (baseWeight !== 1) {
        for (let j = 0; j < n; j++) {
          const x = row[j] as number;
          row[j] = x === -Infinity ? -Infinity : baseWeight * x;
        }
      }
      for (let i = 0; i < active.length; i++) {
        const { processor, weight: w } = active[i]!;
        if (!exact) {
          processor.process(row, state.states[i], history, weight * w);
          continue;
        }
        const scratch = state.scratch as Float32Array;
        scratch.fill(0);
        processor.process(scratch, state.states[i], history, 1);
        const shift = sparseLogSumExp(scratch);
        for (let j = 0; j < n; j++) row[j]! += weight * w * ((scratch[j] as number) - shift);
      }
    },
  };
}
