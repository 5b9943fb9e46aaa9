// The playground's engine: loads the model the page's server offers, builds the rules from the
// controls' settings and runs the base model and base + rules greedily, streaming text and the
// rules' per-step contributions (from the adapter's trace). No DOM here: it runs in a Web Worker
// (worker.ts), so the page stays responsive and paints while tokens stream; main.ts draws.
import type { LogitsProcessorList, PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import type { Processor } from 'rulelm';
import type { TraceEvent } from 'rulelm/transformers';
import type { RuleName, RuleSettings } from './settings';
import { AutoModelForCausalLM, AutoTokenizer, TextStreamer, env } from '@huggingface/transformers';
import { Chain, ProductOfExperts } from 'rulelm';
import { formatPrompt, hewitt2024ForModel, logitsProcessorList, modelInfo } from 'rulelm/transformers';
import { PAPER_PRESET, RULE_NAMES } from './settings';

export type { RuleName, RuleSetting, RuleSettings } from './settings';
export { PAPER_PRESET, RULE_NAMES } from './settings';

/** What `/models/manifest.json` says (see vite.config.ts). */
export interface ModelManifest {
  readonly name: string;
  readonly description: string;
  readonly pretrained: boolean;
}

/** Options of one comparison run. */
export interface RunOptions {
  /** The instruction (formatted with the tokenizer's chat template, or the paper's). */
  readonly prompt: string;
  /** Maximum new tokens of each output. Default 128. */
  readonly maxNewTokens?: number;
  /** Rule settings; missing rules take {@link PAPER_PRESET}'s. */
  readonly rules?: Partial<RuleSettings>;
  /** The preset's fidelity. Default `"reference"`. */
  readonly fidelity?: 'reference' | 'clean';
  /** Streamed text of the base model. */
  readonly onBaseText?: (text: string) => void;
  /** Streamed text of base + rules. */
  readonly onRulesText?: (text: string) => void;
  /** Each step's contributions of base + rules, as soon as the step's trace is complete. */
  readonly onStep?: (step: StepContribution) => void;
}

/** One greedy output. */
export interface Completion {
  /** The response text (special tokens skipped). */
  readonly text: string;
  /** The response token ids, including the end token if there is one. */
  readonly tokens: readonly number[];
  /** Why it stopped. */
  readonly endedBy: 'eos' | 'limit';
  /** Wall time of the generation. */
  readonly milliseconds: number;
}

/** Each rule's contribution at one step: the sum of `|delta|` over the scores it changed. */
export interface StepContribution {
  /** Response position (tokens generated before this step). */
  readonly step: number;
  /** Contribution per active rule (0 for rules that are off). */
  readonly byRule: Readonly<Record<RuleName, number>>;
  /** Number of scores each rule changed. */
  readonly changed: Readonly<Record<RuleName, number>>;
}

/** The result of {@link Playground.run}. */
export interface RunResult {
  readonly base: Completion;
  readonly rules: Completion;
  /** The rules that were on (strength > 0), in chain order. */
  readonly activeRules: readonly RuleName[];
  /** Per-step contributions of the rules during the base + rules generation. */
  readonly contributions: readonly StepContribution[];
  /** The prompt as formatted for the model. */
  readonly formattedPrompt: string;
}

/** A loaded model and the runner. */
export interface Playground {
  readonly manifest: ModelManifest;
  /** End-of-sequence ids of the model. */
  readonly eosTokenIds: readonly number[];
  /** Runs the base model, then base + rules, greedily; one run at a time. */
  run(options: RunOptions): Promise<RunResult>;
}

/**
 * Points transformers.js at the page's own server: models under `/models/`, onnxruntime-web's
 * WASM files under `/ort/` (its default is a CDN), no hub, one WASM thread (the page is not
 * cross-origin isolated, so threads are unavailable anyway).
 *
 * @param base The URL the page's files are relative to (the page's `document.baseURI`).
 */
export function configureRuntime(base: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL('models/', base).pathname;
  env.useBrowserCache = false;
  const wasm = env.backends.onnx.wasm;
  if (wasm === undefined) throw new Error('transformers.js did not load onnxruntime-web\'s WASM backend');
  const ort = new URL('ort/', base).href;
  wasm.wasmPaths = { mjs: `${ort}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ort}ort-wasm-simd-threaded.asyncify.wasm` };
  wasm.numThreads = 1;
}

/**
 * Builds base + rules' processor from the controls: one chain member per active rule, each the
 * preset restricted to that rule, wrapped in a product of experts when its strength is not 1.
 *
 * @param model The model.
 * @param tokenizer Its tokenizer.
 * @param settings The controls.
 * @param fidelity The preset's fidelity.
 * @returns The processor (undefined when no rule is on) and the rule of each chain member.
 */
export function buildRules(model: PreTrainedModel, tokenizer: PreTrainedTokenizer, settings: RuleSettings, fidelity: 'reference' | 'clean'): { processor: Processor | undefined; active: RuleName[] } {
  const active: RuleName[] = [];
  const members: Processor[] = [];
  for (const name of RULE_NAMES) {
    const { on, strength } = settings[name];
    if (!on || !(strength > 0)) continue;
    const only = Object.fromEntries(RULE_NAMES.map((r) => [r, r === name])) as Record<RuleName, boolean>;
    const rule = hewitt2024ForModel(model, tokenizer, { rules: only, fidelity });
    if (rule.processors.length === 0) continue; // e.g. a vocabulary that spells none of the uniform rule's words
    active.push(name);
    members.push(strength === 1 ? rule : new ProductOfExperts({ experts: [{ processor: rule, weight: strength }] }));
  }
  // One chain member per rule (chain flattens the one-processor presets), so the trace's
  // processorIndex is the index in `active`.
  return { processor: members.length === 0 ? undefined : new Chain(members), active };
}

function zeros(): Record<RuleName, number> {
  return { eos: 0, uniform: 0, diversity: 0, start: 0 };
}

/**
 * Loads the model named by the server's `/models/manifest.json` and returns the runner.
 *
 * @param base The URL the page's files are relative to (the page's `document.baseURI`).
 * @returns The playground.
 */
export async function loadPlayground(base: string): Promise<Playground> {
  configureRuntime(base);
  const response = await fetch(new URL('models/manifest.json', base));
  if (!response.ok) throw new Error(`models/manifest.json: ${response.status} ${response.statusText}`);
  const manifest = (await response.json()) as ModelManifest;
  const tokenizer = await AutoTokenizer.from_pretrained(manifest.name);
  const model = await AutoModelForCausalLM.from_pretrained(manifest.name, { dtype: 'fp32', device: 'wasm' });
  const eosTokenIds = modelInfo(model).eosTokenIds;
  let queue: Promise<unknown> = Promise.resolve();

  const generate = async (inputs: Record<string, unknown>, promptLength: number, maxNewTokens: number, onText: ((text: string) => void) | undefined, processors: LogitsProcessorList | undefined): Promise<Completion> => {
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text: string) => onText?.(text) });
    const started = performance.now();
    const output = (await model.generate({
      ...inputs,
      max_new_tokens: maxNewTokens,
      do_sample: false,
      streamer,
      ...(processors === undefined ? {} : { logits_processor: processors }),
    })) as Tensor;
    const milliseconds = performance.now() - started;
    const tokens = (output.tolist()[0] ?? []).slice(promptLength).map(Number);
    const last = tokens[tokens.length - 1];
    return {
      text: tokenizer.decode(tokens, { skip_special_tokens: true }),
      tokens,
      endedBy: last !== undefined && eosTokenIds.includes(last) ? 'eos' : 'limit',
      milliseconds,
    };
  };

  const runOnce = async (options: RunOptions): Promise<RunResult> => {
    const { prompt, maxNewTokens = 128, fidelity = 'reference' } = options;
    if (typeof prompt !== 'string') throw new TypeError('`prompt` must be a string');
    if (!Number.isInteger(maxNewTokens) || maxNewTokens <= 0) throw new RangeError(`\`maxNewTokens\` must be a positive integer, but is ${maxNewTokens}`);
    const settings = { ...PAPER_PRESET, ...options.rules } as RuleSettings;
    const { processor, active } = buildRules(model, tokenizer, settings, fidelity);
    const formatted = formatPrompt(tokenizer, prompt);
    const inputs = tokenizer(formatted.text, { add_special_tokens: formatted.addSpecialTokens }) as Record<string, unknown> & { input_ids: { dims: number[] } };
    const promptLength = inputs.input_ids.dims[1] as number;

    const base = await generate(inputs, promptLength, maxNewTokens, options.onBaseText, undefined);

    const contributions: StepContribution[] = [];
    let current: { step: number; byRule: Record<RuleName, number>; changed: Record<RuleName, number>; seen: number } | undefined;
    const trace = (event: TraceEvent): void => {
      if (event.batchIndex !== 0) return;
      if (current === undefined || current.step !== event.step) current = { step: event.step, byRule: zeros(), changed: zeros(), seen: 0 };
      const rule = active[event.processorIndex] as RuleName;
      let sum = 0;
      for (const change of event.changes) if (Number.isFinite(change.delta)) sum += Math.abs(change.delta);
      current.byRule[rule] += sum;
      current.changed[rule] += event.changes.length;
      current.seen++;
      if (current.seen === active.length) {
        const step: StepContribution = { step: current.step, byRule: current.byRule, changed: current.changed };
        contributions.push(step);
        options.onStep?.(step);
      }
    };
    const list = processor === undefined ? undefined : logitsProcessorList(processor, { model, trace });
    const rules = await generate(inputs, promptLength, maxNewTokens, options.onRulesText, list);
    return { base, rules, activeRules: active, contributions, formattedPrompt: formatted.text };
  };

  return {
    manifest,
    eosTokenIds,
    run(options: RunOptions): Promise<RunResult> {
      const result = queue.then(() => runOnce(options));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
