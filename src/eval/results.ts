// The data model of an evaluation run and its summary per configuration. Browser-safe.

import type { IfevalAccuracy, IfevalResult, IfevalRow } from './ifeval';
import type { FinishReason, ResponseMetrics } from './metrics';
import { detectContinuation, responseMetrics } from './metrics';
import { evaluateIfeval, ifevalAccuracy } from './ifeval';

/** One instruction of an instruction set. */
export interface EvalItem {
  /** A stable id: the row's `key` or `id` field, else its line number (from 1). */
  readonly id: string;
  /** The instruction given to the model (the row's `instruction`, else its `prompt`). */
  readonly instruction: string;
  /** The IFEval fields, when the row has them. */
  readonly ifeval: IfevalRow | undefined;
}

/** One generated response: a line of the progress file. */
export interface EvalRecord {
  /** The configuration. */
  readonly config: string;
  /** The item's id. */
  readonly id: string;
  /** Generated token ids, without the end-of-sequence token that ended the response. */
  readonly tokens: readonly number[];
  /** How it ended. */
  readonly finish: FinishReason;
  /** The response without special tokens (what IFEval checks). */
  readonly text: string;
  /** The response with special tokens, when it differs from `text`. */
  readonly raw?: string;
  /** Number of prompt tokens. */
  readonly promptTokens: number;
  /** Generation time in milliseconds. */
  readonly ms: number;
  /** Why the prompt was not run (e.g. longer than the context window); such records are left out of the metrics. */
  readonly skipped?: string;
  /** A fingerprint of the instruction, to tell on resume whether it changed. */
  readonly hash?: string;
}

/** The summary of one configuration. */
export interface ConfigSummary {
  /** The configuration. */
  readonly config: string;
  /** The preset's rules flag string, or `undefined` for the base model. */
  readonly rules: string | undefined;
  /** Judge-free metrics. */
  readonly metrics: ResponseMetrics;
  /** Records skipped (e.g. prompt longer than the context window). */
  readonly skipped: number;
  /** Generated tokens per second (EOS tokens included). */
  readonly tokensPerSecond: number;
  /** IFEval accuracies over the items that carry IFEval fields, when there are any. */
  readonly ifeval: IfevalAccuracy | undefined;
}

/** A record with its IFEval decisions and continuation verdict, as the results file lists it. */
export interface ScoredRecord extends EvalRecord {
  /** The IFEval decisions, for IFEval items. */
  readonly ifeval?: IfevalResult;
  /** Whether the response continues the conversation (see `detectContinuation`). */
  readonly continues: boolean;
}

/**
 * Scores records and summarizes them per configuration.
 *
 * @param items The instruction set (records of unknown items are ignored).
 * @param records The generated responses.
 * @param configs The configurations, in report order, with their rules flag strings.
 * @param markers Extra turn markers for the continuation metric (the chat template's).
 * @returns The scored records and one summary per configuration.
 * @example
 * ```ts
 * const items = [{ id: '1', instruction: 'Name a color.', ifeval: undefined }];
 * const records = [
 *   { config: 'base', id: '1', tokens: [9, 9, 9, 9], finish: 'limit' as const, text: 'Red red red red', promptTokens: 5, ms: 40 },
 *   { config: 'preset', id: '1', tokens: [7], finish: 'eos' as const, text: 'Red.', promptTokens: 5, ms: 10 },
 * ];
 * const { summaries } = summarize(items, records, [{ name: 'base', rules: undefined }, { name: 'preset', rules: 'eos-uniform-diversity' }]);
 * summaries.map((s) => s.metrics.finish.eos); // [0, 1]
 * ```
 */
export function summarize(
  items: readonly EvalItem[],
  records: readonly EvalRecord[],
  configs: readonly { readonly name: string; readonly rules: string | undefined }[],
  markers: readonly string[] = [],
): { readonly records: ScoredRecord[]; readonly summaries: ConfigSummary[] } {
  const byId = new Map(items.map((item) => [item.id, item]));
  const order = new Map(items.map((item, i) => [item.id, i]));
  const scored: ScoredRecord[] = records
    .filter((r) => byId.has(r.id))
    .map((r) => {
      const item = byId.get(r.id) as EvalItem;
      const ifeval = item.ifeval !== undefined && r.skipped === undefined ? evaluateIfeval(item.ifeval, r.text) : undefined;
      return { ...r, ...(ifeval === undefined ? {} : { ifeval }), continues: detectContinuation(r.raw ?? r.text, markers).continues };
    })
    .sort((a, b) => (order.get(a.id) as number) - (order.get(b.id) as number));
  const summaries = configs.map(({ name, rules }) => {
    const mine = scored.filter((r) => r.config === name);
    const run = mine.filter((r) => r.skipped === undefined);
    const ifeval = run.flatMap((r) => (r.ifeval === undefined ? [] : [r.ifeval]));
    const ms = run.reduce((s, r) => s + r.ms, 0);
    const generated = run.reduce((s, r) => s + r.tokens.length + (r.finish === 'eos' ? 1 : 0), 0);
    return {
      config: name,
      rules,
      metrics: responseMetrics(
        run.map((r) => ({ tokens: r.tokens, finish: r.finish, text: r.raw ?? r.text })),
        markers,
      ),
      skipped: mine.length - run.length,
      tokensPerSecond: ms > 0 ? (generated * 1000) / ms : 0,
      ifeval: ifeval.length > 0 ? ifevalAccuracy(ifeval) : undefined,
    };
  });
  return { records: scored, summaries };
}

/**
 * The settings of an evaluation run: one field per option of `rulelm eval` (the command reads
 * them from its arguments; the report records all but `out`, `fresh` and `quiet`).
 */
export interface EvalSettings {
  /** The model: a local folder (absolute path) or a hub id. */
  readonly model: string;
  /** The instruction set file (absolute path). */
  readonly data: string;
  /** The configurations, in report order. */
  readonly configs: readonly string[];
  /** How many instructions are taken from the start of the set (`undefined`: all). */
  readonly limit: number | undefined;
  /** The token limit per response. */
  readonly maxNewTokens: number;
  /** Sampling instead of greedy decoding. */
  readonly sample: boolean;
  /** The sampling temperature. */
  readonly temperature: number;
  /** The seed of the sampler (the item's index is added, so each prompt has its own stream). */
  readonly seed: number;
  /** The prompt template (`formatPrompt`'s `template`). */
  readonly template: 'auto' | 'paper' | 'chat';
  /** The preset's fidelity mode. */
  readonly fidelity: 'reference' | 'clean';
  /** The model weights' data type. */
  readonly dtype: string;
  /** The output folder (progress file, results and report). */
  readonly out: string;
  /** Discard the progress in the output folder and start over. */
  readonly fresh: boolean;
  /** No progress bar. */
  readonly quiet: boolean;
}

/** The results file of an evaluation: settings, summaries and every response. */
export interface EvalReport {
  /** What wrote it. */
  readonly tool: 'rulelm eval';
  /** The format version. */
  readonly version: 1;
  /** When it was written (ISO 8601). */
  readonly createdAt: string;
  /** The settings (without where and how the command wrote its output). */
  readonly settings: Omit<EvalSettings, 'out' | 'fresh' | 'quiet'>;
  /** What the run found out about the model (EOS ids, context window, template, turn markers). */
  readonly model: Readonly<Record<string, unknown>>;
  /** Number of instructions evaluated. */
  readonly items: number;
  /** Number of responses the run produces when complete (instructions x configurations). */
  readonly expected: number;
  /** Whether every response is there. */
  readonly complete: boolean;
  /** The summary per configuration. */
  readonly configs: readonly ConfigSummary[];
  /** The instructions by id. */
  readonly instructions: Readonly<Record<string, string>>;
  /** Every response, scored. */
  readonly records: readonly ScoredRecord[];
}
