import type { Hewitt2024, Hewitt2024Options } from '../../presets/hewitt2024';
import type { ChatTokenizerLike, FormatPromptOptions } from './prompt';
import type { ModelLike } from './model-info';
import { hewitt2024 } from '../../presets/hewitt2024';
import { assertOptions } from '../../core/validate';
import { modelInfo } from './model-info';
import { formatPrompt } from './prompt';

/** Options of {@link hewitt2024ForModel}: the preset's options and the prompt template. */
export interface Hewitt2024ForModelOptions extends Omit<Hewitt2024Options, 'markers'>, FormatPromptOptions {}

/**
 * Creates the paper's preset for a transformers.js model and tokenizer: the EOS ramp raises every
 * id the model stops on (its generation config's `eos_token_id` list, e.g. 2 and 1 on
 * stories260K; the tokenizer's EOS alone would leave the others unramped), and the markers follow
 * the template {@link formatPrompt} uses for this tokenizer.
 *
 * @param model The model.
 * @param tokenizer Its tokenizer.
 * @param options Preset options (rules, fidelity, EOS override) and the template.
 * @returns The preset.
 * @throws {RuleLMError} As {@link hewitt2024} and {@link formatPrompt} do, and when `model` is a
 * tokenizer (the arguments swapped or the tokenizer passed twice).
 * @example
 * ```ts
 * const rules = hewitt2024ForModel(model, tokenizer);
 * const { text, addSpecialTokens } = formatPrompt(tokenizer, 'Name three colors.');
 * await model.generate({ ...tokenizer(text, { add_special_tokens: addSpecialTokens }), logits_processor: logitsProcessorList(rules, { model, tokenizer }) });
 * ```
 */
export function hewitt2024ForModel(model: ModelLike, tokenizer: ChatTokenizerLike, options: Hewitt2024ForModelOptions = {}): Hewitt2024 {
  assertOptions('options', options, ['rules', 'fidelity', 'eosTokenIds', 'template']);
  const { template, ...preset } = options;
  const fromModel = modelInfo(model).eosTokenIds;
  const { markers } = formatPrompt(tokenizer, '', template === undefined ? {} : { template });
  const eos = preset.eosTokenIds ?? (fromModel.length > 0 ? fromModel : undefined);
  return hewitt2024(tokenizer, { ...preset, ...(eos === undefined ? {} : { eosTokenIds: eos }), markers });
}
