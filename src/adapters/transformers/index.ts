/**
 * rulelm's transformers.js adapter (`rulelm/transformers`): plug any rulelm processor or the
 * paper's preset into `@huggingface/transformers` v4 `generate()` and `text-generation`
 * pipelines, in Node and the browser.
 *
 * @packageDocumentation
 * @module rulelm/transformers
 */
export type { RuleLMLogitsProcessorOptions, TraceEvent } from './logits-processor';
export { RuleLMLogitsProcessor, logitsProcessorList } from './logits-processor';
export type { ModelInfo, ModelLike } from './model-info';
export { modelInfo } from './model-info';
export type { ChatTokenizerLike, FormatPromptOptions, FormattedPrompt } from './prompt';
export { formatPrompt } from './prompt';
export type { Hewitt2024ForModelOptions } from './preset';
export { hewitt2024ForModel } from './preset';
export type { CausalLMLike, ExpertTokenizerLike, ExpertsGenerationOptions, ExpertsGenerationResult, ExpertsGenerationRow, FinishReason, NeuralExpert, PlausibilityCut } from './experts';
export { generateWithExperts } from './experts';
export type { ExpertsRecipe } from './recipes';
export { baseTimesRules, contrastiveDecoding, dexperts, proxyTuning } from './recipes';
export { expertLoadOptions, loadExpertModel } from './load-experts';
