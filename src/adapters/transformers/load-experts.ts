import type { PreTrainedModel, PretrainedModelOptions } from '@huggingface/transformers';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import { fail } from '../../core/validate';

type SessionOptions = NonNullable<PretrainedModelOptions['session_options']>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The object at `key` of `parent` (a new one when absent), or an error naming `path`.
function child(parent: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const value = parent[key];
  if (value === undefined) return {};
  if (!isRecord(value)) fail(path, 'an object', value);
  return value;
}

/**
 * The `from_pretrained` options with which {@link loadExpertModel} loads a model: yours, plus
 * onnxruntime's session config entry `session.intra_op.allow_spinning = "0"` (set through
 * `session_options.extra`, which transformers.js 4.3 hands to `InferenceSession.create` as
 * is). Use it to load an expert with another transformers.js class than
 * `AutoModelForCausalLM`. An `allow_spinning` you set yourself is kept.
 *
 * Why: by default onnxruntime's intra-op threads keep spinning on the cores for a while after
 * each forward pass, waiting for more work. The experts of {@link generateWithExperts} each
 * have their own session on the same cores, so the spinning threads of one session can take the
 * cores the next session's forward pass needs (issue 16 measured, in whole runs, a two-model step
 * at 1.81x the sum of the forward passes with spinning on, 0.98x with it off, on 2 cores; how
 * much it saves varies with the machine and its load). `npm run bench -- --only batch` compares
 * both loadings on your machine. Semantics of the entry: onnxruntime's
 * session config key `session.intra_op.allow_spinning` (`"0"` makes idle threads sleep).
 *
 * @param options `from_pretrained` options (default none). Not changed.
 * @returns A new options object: the same options, with `session_options.extra.session.intra_op.allow_spinning` set to `"0"` unless given.
 * @throws {RuleLMError} When `options`, `session_options`, or any of `extra`, `extra.session`,
 * `extra.session.intra_op` is given but not an object.
 * @example
 * ```ts
 * import { AutoModelForCausalLM } from '@huggingface/transformers';
 * import { expertLoadOptions } from 'rulelm/transformers';
 *
 * const options = expertLoadOptions({ dtype: 'q8' });
 * // { dtype: 'q8', session_options: { extra: { session: { intra_op: { allow_spinning: '0' } } } } }
 * const model = await AutoModelForCausalLM.from_pretrained('Xenova/llama2.c-stories15M', options);
 * ```
 */
export function expertLoadOptions(options: PretrainedModelOptions = {}): PretrainedModelOptions {
  if (!isRecord(options)) fail('options', 'an object of from_pretrained options', options);
  const session = child(options, 'session_options', 'session_options');
  const extra = child(session, 'extra', 'session_options.extra');
  const sessionEntries = child(extra, 'session', 'session_options.extra.session');
  const intraOp = child(sessionEntries, 'intra_op', 'session_options.extra.session.intra_op');
  return {
    ...options,
    session_options: {
      ...session,
      extra: { ...extra, session: { ...sessionEntries, intra_op: { allow_spinning: '0', ...intraOp } } },
    } as SessionOptions,
  };
}

/**
 * Loads a causal LM to use as an expert of {@link generateWithExperts}: the loop's way to load
 * its models. It is `AutoModelForCausalLM.from_pretrained(id, options)` with onnxruntime's
 * intra-op spinning turned off (see {@link expertLoadOptions}), so that two or three models
 * (contrastive decoding, proxy-tuning, DExperts) do not fight for the cores when one session's
 * spinning threads would hold them. Outputs are the same either way. How much it saves depends
 * on the machine and its load (`npm run bench -- --only batch` compares both loadings); a model
 * used alone, or by `generate()`, needs no special loading (with many small operators, spinning
 * off can make a forward pass slower).
 *
 * @param id A hub model id or a local model folder name, as `from_pretrained` takes it.
 * @param options `from_pretrained` options (`dtype`, `device`, `session_options`, ...).
 * @returns The model.
 * @throws {RuleLMError} When `id` is not a non-empty string or the options are malformed (see
 * {@link expertLoadOptions}); transformers.js's own errors when the model cannot be loaded.
 * @example
 * ```ts
 * import { AutoTokenizer } from '@huggingface/transformers';
 * import { generateWithExperts, loadExpertModel } from 'rulelm/transformers';
 *
 * const tokenizer = await AutoTokenizer.from_pretrained('Xenova/llama2.c-stories15M');
 * const large = await loadExpertModel('Xenova/llama2.c-stories15M', { dtype: 'fp32' });
 * const small = await loadExpertModel('Xenova/llama2.c-stories110M', { dtype: 'fp32' });
 * const { rows } = await generateWithExperts({
 *   experts: [{ model: large, weight: 1.5 }, { model: small, weight: -0.5 }],
 *   tokenizer,
 *   prompts: 'Once upon a time',
 *   maxNewTokens: 20,
 * });
 * ```
 */
export async function loadExpertModel(id: string, options: PretrainedModelOptions = {}): Promise<PreTrainedModel> {
  if (typeof id !== 'string' || id === '') {
    fail('id', 'a model id or folder name (a non-empty string)', id);
  }
  return AutoModelForCausalLM.from_pretrained(id, expertLoadOptions(options));
}
