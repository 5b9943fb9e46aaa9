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
 * Creates the paper's preset for a transformers.js model and tokenizer: the EOS ids come from the
 * model's generation config (e.g. stories260K ends stories with id 1), and the markers follow
 * the template {@link formatPrompt} uses for this tokenizer.
 *
 * @param model The model.
 * @param tokenizer Its tokenizer.
 * @param options Preset options (rules, fidelity, EOS override) and the template.
 * @returns The preset.
 * @throws {RuleLMError} As {@link hewitt2024} and {@link formatPrompt} do.
 * @example
 * ```ts
 * const rules = hewitt2024ForModel(model, tokenizer);
 * await model.generate({ ...tokenizer(formatPrompt(tokenizer, q).text), logits_processor: logitsProcessor(rules, { model, tokenizer }) });
 * ```
 */
export function hewitt2024ForModel(model: ModelLike, tokenizer: ChatTokenizerLike, options: Hewitt2024ForModelOptions = {}): Hewitt2024 {
  assertOptions('options', options, ['rules', 'fidelity', 'eosTokenIds', 'template']);
  const { template, ...preset } = options;
  const { markers } = formatPrompt(tokenizer, '', template === undefined ? {} : { template });
  const fromModel = modelInfo(model).eosTokenIds;
  const eos = preset.eosTokenIds ?? (fromModel.length > 0 ? fromModel : undefined);
  return hewitt2024(tokenizer, { ...preset, ...(eos === undefined ? {} : { eosTokenIds: eos }), markers });
}
