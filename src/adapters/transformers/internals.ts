/**
 * transformers.js internals, quarantined. Every use rulelm makes of a private or undocumented
 * part of `@huggingface/transformers` is in this file; nothing else in `src/` calls them.
 *
 * `generateWithExperts` runs several causal LMs one token at a time, each with its own KV cache.
 * transformers.js has no public API for one step of generation, so this file calls what its own
 * `generate()` calls between forward passes (`PreTrainedModel` in `src/models/modeling_utils.js`):
 *
 * - `_prepare_generation_config(generation_config, kwargs)`: the model's merged generation
 *   config (a `GenerationConfig`), which `prepare_inputs_for_generation` receives.
 * - `prepare_inputs_for_generation(input_ids, model_inputs, generation_config)`: readies the
 *   inputs of the next forward pass (keeps only the tokens the cache has not seen, asks for the
 *   last position's logits only where the model supports it); returns `model_inputs`.
 * - `_update_model_kwargs_for_generation({ generated_input_ids, outputs, model_inputs,
 *   is_encoder_decoder })`: moves the outputs' `present.*` tensors into
 *   `model_inputs.past_key_values` (a cache object), makes the chosen tokens the next
 *   `input_ids` and extends the attention mask by one column.
 * - `model_inputs.past_key_values.dispose()`: that undocumented cache object frees its tensors
 *   (`generate()` does the same when it ends).
 *
 * Checked against @huggingface/transformers {@link TRANSFORMERS_VERSION_CHECKED}.
 * test/adapters/transformers/internals.test.ts calls each of them on a real model and fails with
 * a message naming the method when a transformers.js upgrade removes or changes one.
 *
 * @module
 */
import type { CausalLMLike } from './experts';
import { Tensor } from '@huggingface/transformers';
import { RuleLMError } from '../../core/errors';

/** The `@huggingface/transformers` version this file was checked against. */
export const TRANSFORMERS_VERSION_CHECKED = '4.3.1';

/** The private `PreTrainedModel` methods this file calls, in the order a step uses them. */
export const GENERATION_METHODS: readonly ['_prepare_generation_config', 'prepare_inputs_for_generation', '_update_model_kwargs_for_generation'] = [
  '_prepare_generation_config',
  'prepare_inputs_for_generation',
  '_update_model_kwargs_for_generation',
];

/** A model's inputs for one forward pass (`input_ids`, `attention_mask`, `past_key_values`, ...). */
export type ModelInputs = Record<string, unknown>;

/** A model's outputs of one forward pass (`logits`, `present.N.key`, ...). */
export type ModelOutputs = Record<string, unknown>;

// The private side of a transformers.js `PreTrainedModel`, as 4.3.1 has it.
interface GenerationInternals {
  forward(inputs: ModelInputs): Promise<ModelOutputs>;
  _prepare_generation_config(generationConfig: null, kwargs: object): object;
  prepare_inputs_for_generation(inputIds: bigint[][], modelInputs: ModelInputs, generationConfig: object): ModelInputs;
  _update_model_kwargs_for_generation(args: { generated_input_ids: bigint[][]; outputs: ModelOutputs; model_inputs: ModelInputs; is_encoder_decoder: boolean }): ModelInputs;
}

const internals = (model: CausalLMLike): GenerationInternals => model as unknown as GenerationInternals;

/**
 * Checks that a model has the private generation methods this file calls, so a missing one is
 * reported before any forward pass, naming the method.
 *
 * @param argument The argument's name, e.g. `experts[0].model`.
 * @param model The model.
 * @throws {RuleLMError} Naming the first missing method.
 */
export function assertGenerationMethods(argument: string, model: CausalLMLike): void {
  for (const method of GENERATION_METHODS) {
    if (typeof (model as unknown as Record<string, unknown>)[method] !== 'function') {
      throw new RuleLMError(
        `\`${argument}\` has no \`${method}\` method; rulelm's experts loop calls this private transformers.js method (checked against @huggingface/transformers ${TRANSFORMERS_VERSION_CHECKED}), so either a transformers.js upgrade changed it or the model is not a transformers.js causal LM`,
        { argument },
      );
    }
  }
}

/**
 * The model's generation config, merged as `generate()` merges it (`_prepare_generation_config`).
 *
 * @param model The model.
 * @returns A transformers.js `GenerationConfig`.
 */
export function generationConfig(model: CausalLMLike): object {
  return internals(model)._prepare_generation_config(null, {});
}

/**
 * Readies the inputs of the next forward pass (`prepare_inputs_for_generation`).
 *
 * @param model The model.
 * @param inputIds Every row's tokens so far (prompt with its padding, then the generated ones).
 * @param inputs The inputs of the previous pass, updated by {@link updateInputs} (or the first ones).
 * @param config The model's {@link generationConfig}.
 * @returns The inputs to pass to `forward` (transformers.js changes and returns `inputs`).
 */
export function prepareInputs(model: CausalLMLike, inputIds: bigint[][], inputs: ModelInputs, config: object): ModelInputs {
  return internals(model).prepare_inputs_for_generation(inputIds, inputs, config);
}

/**
 * Moves a pass's outputs into the cache and the chosen tokens into the next inputs
 * (`_update_model_kwargs_for_generation`).
 *
 * @param model The model.
 * @param chosen The token chosen for each row, `[[id], ...]`.
 * @param outputs The outputs of the pass.
 * @param inputs The inputs of the pass.
 * @returns The inputs of the next pass.
 */
export function updateInputs(model: CausalLMLike, chosen: bigint[][], outputs: ModelOutputs, inputs: ModelInputs): ModelInputs {
  return internals(model)._update_model_kwargs_for_generation({ generated_input_ids: chosen, outputs, model_inputs: inputs, is_encoder_decoder: false });
}

/**
 * Frees the KV cache held in `inputs.past_key_values`, if any.
 *
 * @param inputs Inputs returned by {@link updateInputs}.
 */
export async function disposeCache(inputs: ModelInputs): Promise<void> {
  await (inputs.past_key_values as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
}

/**
 * One causal LM decoding a left-padded batch step by step with its own KV cache, as
 * transformers.js's `generate()` drives it.
 */
export class CachedDecoder {
  /** The model. */
  readonly model: CausalLMLike;
  private readonly config: object;
  private inputs: ModelInputs;

  /**
   * @param model The model (checked with {@link assertGenerationMethods}).
   * @param inputIds The batch, `[batch][width]`, left-padded.
   * @param attentionMask Its attention mask, row by row (`0n` on padding, `1n` elsewhere).
   */
  constructor(model: CausalLMLike, inputIds: readonly (readonly bigint[])[], attentionMask: BigInt64Array) {
    const batch = inputIds.length;
    const width = inputIds[0]?.length ?? 0;
    this.model = model;
    this.config = generationConfig(model);
    this.inputs = { input_ids: new Tensor('int64', inputIds.flat(), [batch, width]), attention_mask: new Tensor('int64', attentionMask.slice(), [batch, width]) };
  }

  /**
   * Runs the next forward pass.
   *
   * @param inputIds Every row's tokens so far.
   * @returns The model's outputs (`logits` of shape `[batch, positions, vocab]`).
   */
  forward(inputIds: bigint[][]): Promise<ModelOutputs> {
    this.inputs = prepareInputs(this.model, inputIds, this.inputs, this.config);
    return internals(this.model).forward(this.inputs);
  }

  /**
   * Takes in the step's outputs and chosen tokens, for the next pass.
   *
   * @param chosen The token chosen for each row, `[[id], ...]`.
   * @param outputs The outputs {@link CachedDecoder.forward} returned.
   */
  advance(chosen: bigint[][], outputs: ModelOutputs): void {
    this.inputs = updateInputs(this.model, chosen, outputs, this.inputs);
  }

  /**
   * Frees the KV cache.
   *
   * @returns When it is freed.
   */
  dispose(): Promise<void> {
    return disposeCache(this.inputs);
  }
}
