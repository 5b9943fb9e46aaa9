import type { Processor } from '../../core/processor';
import type { CausalLMLike, NeuralExpert, PlausibilityCut } from './experts';
import { assertProcessor } from '../../core/processor';
import { assertFinite, assertOptions, assertPositive, fail } from '../../core/validate';
import { assertCausalLM } from './experts-options';

/** What a recipe gives {@link generateWithExperts}: the experts, and for contrastive decoding the plausibility cut. */
export interface ExpertsRecipe {
  /** The experts with their weights. */
  readonly experts: readonly NeuralExpert[];
  /** The plausibility cut, for contrastive decoding. */
  readonly plausibility?: PlausibilityCut;
  /** A rulelm processor, for base x rules. */
  readonly processor?: Processor;
}

/**
 * Proxy-tuning (Liu et al. 2024): steer a large base model with the difference between a small
 * tuned expert and its untuned version: `score = log p_base + alpha * (log p_expert - log p_antiExpert)`.
 *
 * @param options The three models and `alpha` (default 1).
 * @returns The recipe.
 * @throws {RuleLMError} On a missing model or a bad `alpha`.
 * @example
 * ```ts
 * await generateWithExperts({ tokenizer, prompts, ...proxyTuning({ base: llama70b, expert: chat7b, antiExpert: base7b }) });
 * ```
 */
export function proxyTuning(options: { readonly base: CausalLMLike; readonly expert: CausalLMLike; readonly antiExpert: CausalLMLike; readonly alpha?: number }): ExpertsRecipe {
  assertOptions('options', options, ['base', 'expert', 'antiExpert', 'alpha']);
  const { alpha = 1 } = options;
  assertFinite('alpha', alpha);
  return {
    experts: [
      { model: assertCausalLM('base', options.base), weight: 1 },
      { model: assertCausalLM('expert', options.expert), weight: alpha },
      { model: assertCausalLM('antiExpert', options.antiExpert), weight: -alpha },
    ],
  };
}

/**
 * Contrastive decoding (Li et al. 2023): prefer what a strong expert finds likely and a weak
 * amateur does not: `score = log p_expert - lambda * log p_amateur`, over the tokens that pass
 * the adaptive plausibility cut `p_expert >= alpha * max p_expert` (others get `-Infinity`).
 *
 * @param options The expert, the amateur, `lambda` (default 1) and `alpha` (default 0.1).
 * @returns The recipe.
 * @throws {RuleLMError} On a missing model, a negative `lambda` or `alpha` outside (0, 1].
 * @example
 * ```ts
 * await generateWithExperts({ tokenizer, prompts, ...contrastiveDecoding({ expert: large, amateur: small, lambda: 0.5 }) });
 * ```
 */
export function contrastiveDecoding(options: { readonly expert: CausalLMLike; readonly amateur: CausalLMLike; readonly lambda?: number; readonly alpha?: number }): ExpertsRecipe {
  assertOptions('options', options, ['expert', 'amateur', 'lambda', 'alpha']);
  const { lambda = 1, alpha = 0.1 } = options;
  assertFinite('lambda', lambda);
  if (lambda < 0) fail('lambda', 'a number of at least 0', lambda);
  assertPositive('alpha', alpha);
  if (alpha > 1) fail('alpha', 'a number in (0, 1]', alpha);
  return {
    experts: [
      { model: assertCausalLM('expert', options.expert), weight: 1 },
      { model: assertCausalLM('amateur', options.amateur), weight: -lambda },
    ],
    plausibility: { expert: 0, alpha },
  };
}

/**
 * DExperts (Liu et al. 2021): a base model steered towards an expert and away from an
 * anti-expert: `score = z_base + alpha * (z_expert - z_antiExpert)`. On log-probabilities this
 * differs from the paper's logits only by a constant per row, so it decodes the same.
 *
 * @param options The three models and `alpha` (default 1; 2 is common in the paper).
 * @returns The recipe.
 * @throws {RuleLMError} On a missing model or a bad `alpha`.
 * @example
 * ```ts
 * await generateWithExperts({ tokenizer, prompts, ...dexperts({ base, expert: polite, antiExpert: toxic, alpha: 2 }) });
 * ```
 */
export function dexperts(options: { readonly base: CausalLMLike; readonly expert?: CausalLMLike; readonly antiExpert?: CausalLMLike; readonly alpha?: number }): ExpertsRecipe {
  assertOptions('options', options, ['base', 'expert', 'antiExpert', 'alpha']);
  const { alpha = 1, expert, antiExpert } = options;
  assertFinite('alpha', alpha);
  if (expert === undefined && antiExpert === undefined) fail('expert', 'a model (give an expert, an anti-expert or both)', expert);
  return {
    experts: [
      { model: assertCausalLM('base', options.base), weight: 1 },
      ...(expert === undefined ? [] : [{ model: assertCausalLM('expert', expert), weight: alpha }]),
      ...(antiExpert === undefined ? [] : [{ model: assertCausalLM('antiExpert', antiExpert), weight: -alpha }]),
    ],
  };
}

/**
 * The paper's combination: a base model times a rule-based model, `score = log p_base +
 * rules` (Hewitt et al. 2024). The rules run as a processor on the combined scores, so with
 * greedy decoding (or sampling at temperature 1) this is the same as `generate()` with
 * `logitsProcessorList(rules)`, and it composes with more experts. With sampling at temperature T
 * they differ: transformers.js divides the base logits by T before custom processors run
 * (`(base / T) + rules`), this loop divides the sum (`(base + rules) / T`).
 *
 * @param options The base model and the rules (e.g. `hewitt2024(tokenizer)`).
 * @returns The recipe.
 * @throws {RuleLMError} On a missing model or processor.
 * @example
 * ```ts
 * await generateWithExperts({ tokenizer, prompts, ...baseTimesRules({ base: model, rules: hewitt2024(tokenizer) }) });
 * ```
 */
export function baseTimesRules(options: { readonly base: CausalLMLike; readonly rules: Processor }): ExpertsRecipe {
  assertOptions('options', options, ['base', 'rules']);
  const { rules } = options;
  assertProcessor('rules', rules);
  return { experts: [{ model: assertCausalLM('base', options.base), weight: 1 }], processor: rules };
}
