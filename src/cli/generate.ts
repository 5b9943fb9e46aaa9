// Loads a transformers.js model and generates one response per (configuration, instruction):
// greedy through `model.generate` with rulelm's logits processor (what users run), or sampled
// through `generateWithExperts` (rulelm's seeded sampler; transformers.js sampling is not seedable).

import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import type { FinishReason } from '../eval/metrics';
import type { EvalRecord, EvalSettings } from '../eval/results';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { decodeAfter } from '../adapters/transformers/experts-stop';
import { formatPrompt, generateWithExperts, hewitt2024ForModel, logitsProcessorList, modelInfo } from '../adapters/transformers/index';
import { RuleLMError } from '../core/errors';

/** A loaded model and what the evaluation needs to know about it. */
export interface LoadedModel {
  /** The model. */
  readonly model: PreTrainedModel;
  /** Its tokenizer. */
  readonly tokenizer: PreTrainedTokenizer;
  /** Where it came from: `local folder ...` or `hub model ...`. */
  readonly source: string;
  /** Ids that end a response. */
  readonly eosTokenIds: readonly number[];
  /** The context window in tokens, when the config states it. */
  readonly contextLength: number | undefined;
  /** The prompt template used. */
  readonly template: 'paper' | 'chat';
  /** The chat template's turn markers as text (empty for the paper's template, whose markers the metric always searches). */
  readonly turnMarkers: readonly string[];
}

/**
 * Loads a model: a local folder (offline) or a hub id (downloads it).
 *
 * @param spec The folder or hub id.
 * @param dtype The weights' data type.
 * @param template The prompt template.
 * @returns The loaded model.
 * @throws {RuleLMError} When the model cannot be loaded, or the template does not fit the tokenizer.
 */
export async function loadModel(spec: string, dtype: string, template: 'auto' | 'paper' | 'chat'): Promise<LoadedModel> {
  const local = existsSync(spec);
  const folder = resolve(spec);
  // A path (not "name" or "org/name") must exist: do not send it to the hub.
  if (!local && (/^[./~]/.test(spec) || spec.includes('\\') || spec.split('/').length > 2)) {
    throw new RuleLMError(`\`--model\` ${JSON.stringify(spec)} is not a folder (and not a hub id like "org/name")`, { argument: '--model' });
  }
  let model: PreTrainedModel;
  let tokenizer: PreTrainedTokenizer;
  try {
    if (local) {
      env.allowRemoteModels = false;
      env.localModelPath = `${dirname(folder)}/`;
    } else {
      env.allowRemoteModels = true;
    }
    const name = local ? basename(folder) : spec;
    tokenizer = await AutoTokenizer.from_pretrained(name);
    model = await AutoModelForCausalLM.from_pretrained(name, { dtype: dtype as 'fp32' });
  } catch (error) {
    const hint = local ? 'a transformers.js model folder (config.json, tokenizer.json, onnx/model.onnx)' : 'a local folder or a hub id reachable online';
    throw new RuleLMError(`\`--model\` ${JSON.stringify(spec)} could not be loaded as ${hint}: ${(error as Error).message}`, { argument: '--model', cause: error });
  }
  const info = modelInfo(model);
  const config = (model.config ?? {}) as unknown as Record<string, unknown>;
  const context = [config.max_position_embeddings, config.n_positions, config.max_seq_len, config.n_ctx].find((v): v is number => typeof v === 'number' && v > 0);
  const formatted = formatPrompt(tokenizer, '', { template });
  const decode = (ids: readonly number[]): string => tokenizer.decode([...ids], { skip_special_tokens: false }).trim();
  const turnMarkers = formatted.template === 'chat' ? [decode(formatted.markers.user)].filter((m) => m.length > 0) : [];
  return { model, tokenizer, source: local ? `local folder ${folder}` : `hub model ${spec}`, eosTokenIds: info.eosTokenIds, contextLength: context, template: formatted.template, turnMarkers };
}

/** Generates the response of one configuration to one instruction. */
export type Generate = (instruction: string, index: number) => Promise<Omit<EvalRecord, 'config' | 'id' | 'hash'>>;

/**
 * Creates the generator of one configuration.
 *
 * @param loaded The model.
 * @param rules The preset's rules flag string, or `undefined` for the base model alone.
 * @param settings How to generate (the generation part of the evaluation's settings).
 * @returns The generator.
 */
export function createGenerator(loaded: LoadedModel, rules: string | undefined, settings: Pick<EvalSettings, 'maxNewTokens' | 'sample' | 'temperature' | 'seed' | 'template' | 'fidelity'>): Generate {
  const { model, tokenizer, eosTokenIds, contextLength } = loaded;
  const preset = rules === undefined ? undefined : hewitt2024ForModel(model, tokenizer, { rules, fidelity: settings.fidelity, template: settings.template });
  const processor = preset === undefined ? undefined : logitsProcessorList(preset, { model, tokenizer });
  const eos = new Set(eosTokenIds);
  return async (instruction, index) => {
    const formatted = formatPrompt(tokenizer, instruction, { template: settings.template });
    const promptIds = [...formatted.ids];
    const room = contextLength === undefined ? Infinity : contextLength - promptIds.length;
    if (room <= 0) {
      return { tokens: [], finish: 'context', text: '', promptTokens: promptIds.length, ms: 0, skipped: `the prompt (${promptIds.length} tokens) fills the context window (${contextLength})` };
    }
    const maxNew = Math.min(settings.maxNewTokens, room);
    const started = performance.now();
    let generated: number[];
    if (settings.sample) {
      const result = await generateWithExperts({
        experts: [{ model, weight: 1 }],
        tokenizer,
        prompts: [promptIds],
        maxNewTokens: maxNew,
        eosTokenIds: [...eosTokenIds],
        sample: true,
        temperature: settings.temperature,
        seed: settings.seed + index,
        ...(preset === undefined ? {} : { processor: preset }),
      });
      generated = [...(result.rows[0]?.tokens ?? [])];
    } else {
      const inputs = {
        input_ids: new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]),
        attention_mask: new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]),
      };
      const output = (await model.generate({ ...inputs, max_new_tokens: maxNew, do_sample: false, ...(processor === undefined ? {} : { logits_processor: processor }) })) as unknown as { tolist(): bigint[][] };
      generated = (output.tolist()[0] ?? []).slice(promptIds.length).map(Number);
    }
    const ms = performance.now() - started;
    const endedByEos = generated.length > 0 && eos.has(generated[generated.length - 1] as number);
    const tokens = endedByEos ? generated.slice(0, -1) : generated;
    const finish: FinishReason = endedByEos ? 'eos' : maxNew < settings.maxNewTokens ? 'context' : 'limit';
    const text = decodeAfter(tokenizer, promptIds, tokens);
    const raw = decodeAfter(tokenizer, promptIds, tokens, false);
    return { tokens, finish, text, ...(raw === text ? {} : { raw }), promptTokens: promptIds.length, ms };
  };
}
