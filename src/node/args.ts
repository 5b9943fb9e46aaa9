// Command-line options of `rulelm eval`, parsed with Node's `util.parseArgs` and validated with
// errors that name the option.

import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RuleLMError } from '../core/errors';
import { DEFAULT_CONFIGS, EVAL_CONFIGS, parseConfigs } from '../eval/configs';

/** The validated options of `rulelm eval`. */
export interface EvalOptions {
  /** A local model folder or a hub id. */
  readonly model: string;
  /** The instruction set (JSONL). */
  readonly data: string;
  /** Configurations to run, in order. */
  readonly configs: readonly string[];
  /** Number of instructions to take from the start of the set (`undefined`: all). */
  readonly limit: number | undefined;
  /** Token limit per response. */
  readonly maxNewTokens: number;
  /** Seed of the sampler. */
  readonly seed: number;
  /** Sample instead of greedy decoding. */
  readonly sample: boolean;
  /** Sampling temperature. */
  readonly temperature: number;
  /** Prompt template. */
  readonly template: 'auto' | 'paper' | 'chat';
  /** The preset's fidelity mode. */
  readonly fidelity: 'reference' | 'clean';
  /** Model weights' data type. */
  readonly dtype: string;
  /** Output folder. */
  readonly out: string;
  /** Discard earlier progress in the output folder. */
  readonly fresh: boolean;
  /** No progress bar. */
  readonly quiet: boolean;
}

/** The data types transformers.js can load. */
export const DTYPES: readonly string[] = ['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16'];

/** Usage text of `rulelm eval`. */
export const EVAL_USAGE: string = `Usage: rulelm eval --model <folder or hub id> --data <file.jsonl> [options]

Compares a model with and without the rules of Hewitt et al. (2024) (and each ablation) on an
instruction set, offline and without a judge; writes results.json and report.html.

  --model <folder|id>      transformers.js model: a local folder or a Hugging Face hub id (required)
  --data <file.jsonl>      instructions: rows with an "instruction" or "prompt" field; rows with
                           IFEval's "instruction_id_list" and "kwargs" are also scored by IFEval (required)
  --configs <list>         comma-separated, from: ${Object.keys(EVAL_CONFIGS).join(', ')}
                           (default: ${DEFAULT_CONFIGS.join(',')})
  --limit <N>              only the first N instructions (default: all)
  --max-new-tokens <N>     token limit per response (default: 256)
  --sample                 sample instead of greedy decoding (rulelm's seeded sampler)
  --temperature <T>        sampling temperature (default: 1; needs --sample)
  --seed <N>               sampler seed (needs --sample); instruction i uses seed + i (default: 0)
  --template <t>           prompt template: auto, paper or chat (default: auto)
  --fidelity <f>           preset fidelity: reference or clean (default: reference)
  --dtype <type>           model weights: ${DTYPES.join(', ')} (default: fp32)
  --out <folder>           output folder (default: .cache/eval/<model>-<data>)
  --fresh                  discard the progress in the output folder and start over
  --quiet                  no progress bar
  -h, --help               this help

Resumable: every finished response is appended to <out>/progress.jsonl; running the same command
again skips what is done.
`;

const shown = (value: string): string => (value.trim() === value && value.length > 0 ? value : JSON.stringify(value));

function integer(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new RuleLMError(`\`${option}\` must be ${min === 1 ? 'a positive integer' : 'a non-negative integer'}, but is ${shown(value)}`, { argument: option });
  }
  return n;
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RuleLMError(`\`${option}\` must be one of ${allowed.join(', ')}, but is ${shown(value)}`, { argument: option });
  }
  return value as T;
}

function required(option: string, value: string | undefined): string {
  if (value === undefined || value.trim().length === 0) {
    throw new RuleLMError(`\`${option}\` is required${value === undefined ? '' : `, but is ${JSON.stringify(value)}`}; see \`rulelm eval --help\``, { argument: option });
  }
  return value;
}

/** The result of parsing: options to run with, or a request for help. */
export type ParsedEvalArgs = { readonly help: true } | { readonly help: false; readonly options: EvalOptions };

/**
 * Parses and validates the arguments of `rulelm eval` (after the command name).
 *
 * @param argv The arguments.
 * @param cwd The folder relative paths are resolved against (default: the current folder).
 * @returns The options, or `{ help: true }`.
 * @throws {RuleLMError} On an unknown option, a missing value, or an invalid value, naming the option.
 */
export function parseEvalArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedEvalArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        model: { type: 'string' },
        data: { type: 'string' },
        configs: { type: 'string' },
        limit: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        sample: { type: 'boolean' },
        temperature: { type: 'string' },
        seed: { type: 'string' },
        template: { type: 'string' },
        fidelity: { type: 'string' },
        dtype: { type: 'string' },
        out: { type: 'string' },
        fresh: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[-\w]+|-\w)/.exec(message)?.[1] ?? /(--?[\w-]+)/.exec(message)?.[1];
    const code = (error as { code?: unknown }).code;
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option \`${option ?? message}\``
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument: ${message.replace(/^.*?'(.*)'.*$/s, '$1')}`
          : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined
            ? `\`${option.split(' ')[0]}\` ${/argument missing/.test(message) ? 'needs a value' : /ambiguous/.test(message) ? `needs a value; write one that starts with a dash as \`${option.split(' ')[0]}=-...\`` : 'does not take a value'}`
            : message;
    throw new RuleLMError(`${what}; see \`rulelm eval --help\``, { argument: option?.split(' ')[0] ?? 'argv', cause: error });
  }
  if (values.help === true) return { help: true };
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const modelText = required('--model', str('model'));
  // A local folder is recorded by its absolute path, so a resumed run from elsewhere matches.
  const model = existsSync(resolve(cwd, modelText)) ? resolve(cwd, modelText) : modelText;
  const data = resolve(cwd, required('--data', str('data')));
  const configs = parseConfigs(str('configs') ?? DEFAULT_CONFIGS.join(','));
  const limitText = str('limit');
  const limit = limitText === undefined ? undefined : integer('--limit', limitText, 1);
  const maxNewTokens = integer('--max-new-tokens', str('max-new-tokens') ?? '256', 1);
  const seedText = str('seed');
  const sample = values.sample === true;
  if (seedText !== undefined && !sample) throw new RuleLMError('`--seed` needs `--sample` (greedy decoding uses no seed)', { argument: '--seed' });
  const seed = integer('--seed', seedText ?? '0', 0);
  const temperatureText = str('temperature');
  if (temperatureText !== undefined && !sample) throw new RuleLMError('`--temperature` needs `--sample` (decoding is greedy otherwise)', { argument: '--temperature' });
  const temperature = temperatureText === undefined ? 1 : Number(temperatureText);
  if (temperatureText !== undefined && (temperatureText.trim() === '' || !Number.isFinite(temperature) || temperature <= 0)) {
    throw new RuleLMError(`\`--temperature\` must be a number greater than 0, but is ${shown(temperatureText)}`, { argument: '--temperature' });
  }
  const template = oneOf('--template', str('template') ?? 'auto', ['auto', 'paper', 'chat'] as const);
  const fidelity = oneOf('--fidelity', str('fidelity') ?? 'reference', ['reference', 'clean'] as const);
  const dtype = oneOf('--dtype', str('dtype') ?? 'fp32', DTYPES);
  const outText = str('out');
  if (outText !== undefined && outText.trim().length === 0) throw new RuleLMError('`--out` must be a folder, but is ""', { argument: '--out' });
  const slug = (s: string): string => s.replace(/[^\w.-]+/g, '_');
  const out = resolve(cwd, outText ?? `.cache/eval/${slug(basename(model))}-${slug(basename(data, extname(data)))}`);
  return {
    help: false,
    options: { model, data, configs, limit, maxNewTokens, seed, sample, temperature, template, fidelity, dtype, out, fresh: values.fresh === true, quiet: values.quiet === true },
  };
}
