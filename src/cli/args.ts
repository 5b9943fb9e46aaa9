// Command-line options of `rulelm eval`. One table, OPTIONS, holds every option: its help line,
// how its value is read and checked, and whether it decides the responses (then the progress file
// records it and a resumed run must match). Parsing gives an `EvalSettings`; adding an option is
// a field there and an entry here.

import type { EvalSettings } from '../eval/results';
import type { ProgressSettings } from './progress';
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RuleLMError } from '../core/errors';
import { DEFAULT_CONFIGS, EVAL_CONFIGS, parseConfigs } from '../eval/configs';

/** The data types transformers.js can load. */
export const DTYPES: readonly string[] = ['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16'];

// What reading one option's value can use: its flag (for errors), the folder paths are relative
// to, and the options before it in the table (already read).
interface ReadContext {
  readonly flag: string;
  readonly cwd: string;
  readonly earlier: Readonly<Partial<EvalSettings>>;
}

// A value that decides the responses, as the progress file records it.
type Recorded = ProgressSettings[string];

interface Common {
  // The help text (lines after the first are indented under it).
  readonly help: string;
  // The option decides the responses: `true` records its value, a function what to record.
  readonly resume?: true | ((settings: EvalSettings) => Recorded);
}

// An option with a value: `--limit 3` or `--limit=3`.
interface ValueOption<T> extends Common {
  // The value's placeholder in the help, e.g. `<N>`.
  readonly value: string;
  // Reads (and checks) the value; `text` is undefined when the option is not given.
  readonly read: (text: string | undefined, context: ReadContext) => T;
}

// A flag, true when given.
type FlagOption = Common;

type Option<T> = [T] extends [boolean] ? FlagOption : ValueOption<T>;
type AnyOption = FlagOption | ValueOption<unknown>;

const shown = (value: string): string => (value.trim() === value && value.length > 0 ? value : JSON.stringify(value));
const slug = (s: string): string => s.replace(/[^\w.-]+/g, '_');

function positiveInteger(option: string, value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new RuleLMError(`\`${option}\` must be a positive integer, but is ${shown(value)}`, { argument: option });
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

/** The largest `--seed`: the sampler takes its seed modulo 2^32. */
const MAX_SEED = 0xffffffff;

const onlySampled = (settings: EvalSettings, value: number): number | null => (settings.sample ? value : null);

// Every option, in the order of the help (and of reading: an option may use the ones above it).
const OPTIONS: { readonly [K in keyof EvalSettings]-?: Option<EvalSettings[K]> } = {
  model: {
    value: '<folder|id>',
    help: 'transformers.js model: a local folder or a Hugging Face hub id (required)',
    // A local folder is recorded by its absolute path, so a resumed run from elsewhere matches.
    read: (text, { flag, cwd }) => {
      const given = required(flag, text);
      return existsSync(resolve(cwd, given)) ? resolve(cwd, given) : given;
    },
    resume: true,
  },
  data: {
    value: '<file.jsonl>',
    help: 'instructions: rows with an "instruction" or "prompt" field; rows with\nIFEval\'s "instruction_id_list" and "kwargs" are also scored by IFEval (required)',
    read: (text, { flag, cwd }) => resolve(cwd, required(flag, text)),
    resume: true,
  },
  configs: {
    value: '<list>',
    help: `comma-separated, from: ${Object.keys(EVAL_CONFIGS).join(', ')}\n(default: ${DEFAULT_CONFIGS.join(',')})`,
    read: (text, { flag }) => parseConfigs(text ?? DEFAULT_CONFIGS.join(','), flag),
  },
  limit: {
    value: '<N>',
    help: 'only the first N instructions (default: all)',
    read: (text, { flag }) => (text === undefined ? undefined : positiveInteger(flag, text)),
  },
  maxNewTokens: {
    value: '<N>',
    help: 'token limit per response (default: 256)',
    read: (text, { flag }) => positiveInteger(flag, text ?? '256'),
    resume: true,
  },
  sample: {
    help: "sample instead of greedy decoding (rulelm's seeded sampler)",
    resume: true,
  },
  temperature: {
    value: '<T>',
    help: 'sampling temperature (default: 1; needs --sample)',
    read: (text, { flag, earlier }) => {
      if (text === undefined) return 1;
      if (earlier.sample !== true) throw new RuleLMError(`\`${flag}\` needs \`--sample\` (decoding is greedy otherwise)`, { argument: flag });
      const temperature = Number(text);
      if (text.trim() === '' || !Number.isFinite(temperature) || temperature <= 0) {
        throw new RuleLMError(`\`${flag}\` must be a number greater than 0, but is ${shown(text)}`, { argument: flag });
      }
      return temperature;
    },
    resume: (settings) => onlySampled(settings, settings.temperature),
  },
  seed: {
    value: '<N>',
    help: 'sampler seed, 0 to 4294967295 (needs --sample); instruction i uses seed + i\n(default: 0)',
    read: (text, { flag, earlier }) => {
      if (text !== undefined && earlier.sample !== true) throw new RuleLMError(`\`${flag}\` needs \`--sample\` (greedy decoding uses no seed)`, { argument: flag });
      // Instruction i uses seed + i, which must stay a safe integer: seeds are 32-bit anyway.
      const seed = text === undefined ? 0 : Number(text);
      if (text !== undefined && (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed) || seed > MAX_SEED)) {
        throw new RuleLMError(`\`${flag}\` must be an integer from 0 to ${MAX_SEED} (the sampler's seeds are 32-bit), but is ${shown(text)}`, { argument: flag });
      }
      return seed;
    },
    resume: (settings) => onlySampled(settings, settings.seed),
  },
  template: {
    value: '<t>',
    help: 'prompt template: auto, paper or chat (default: auto)',
    read: (text, { flag }) => oneOf(flag, text ?? 'auto', ['auto', 'paper', 'chat'] as const),
    resume: true,
  },
  fidelity: {
    value: '<f>',
    help: 'preset fidelity: reference or clean (default: reference)',
    read: (text, { flag }) => oneOf(flag, text ?? 'reference', ['reference', 'clean'] as const),
    resume: true,
  },
  dtype: {
    value: '<type>',
    help: `model weights: ${DTYPES.join(', ')} (default: fp32)`,
    read: (text, { flag }) => oneOf(flag, text ?? 'fp32', DTYPES),
    resume: true,
  },
  out: {
    value: '<folder>',
    help: 'output folder (default: .cache/eval/<model>-<data>)',
    read: (text, { flag, cwd, earlier: { model = '', data = '' } }) => {
      if (text !== undefined && text.trim().length === 0) throw new RuleLMError(`\`${flag}\` must be a folder, but is ""`, { argument: flag });
      return resolve(cwd, text ?? `.cache/eval/${slug(basename(model))}-${slug(basename(data, extname(data)))}`);
    },
  },
  fresh: { help: 'discard the progress in the output folder and start over' },
  quiet: { help: 'no progress bar' },
};

const KEYS = Object.keys(OPTIONS) as (keyof EvalSettings)[];

/**
 * The command-line flag of a setting: `maxNewTokens` is `--max-new-tokens`.
 *
 * @param key The setting.
 * @returns The flag.
 */
export function optionFlag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const isValueOption = (option: AnyOption): option is ValueOption<unknown> => 'read' in option;
const COLUMN = 25;
const helpLine = (flag: string, help: string): string => `  ${flag.padEnd(COLUMN)}${help.replaceAll('\n', `\n  ${' '.repeat(COLUMN)}`)}`;

/** Usage text of `rulelm eval`. */
export const EVAL_USAGE: string = `Usage: rulelm eval --model <folder or hub id> --data <file.jsonl> [options]

Compares a model with and without the rules of Hewitt et al. (2024) (and each ablation) on an
instruction set, offline and without a judge; writes results.json and report.html.

${KEYS.map((key) => {
  const option: AnyOption = OPTIONS[key];
  return helpLine(isValueOption(option) ? `${optionFlag(key)} ${option.value}` : optionFlag(key), option.help);
}).join('\n')}
${helpLine('-h, --help', 'this help')}

Resumable: every finished response is appended to <out>/progress.jsonl; running the same command
again skips what is done.
`;

/** The result of parsing: settings to run with, or a request for help. */
export type ParsedEvalArgs = { readonly help: true } | { readonly help: false; readonly options: EvalSettings };

// The arguments as given: option values by setting, and whether help was asked for. Errors come
// from parseArgs's tokens (non-strict), in the order of the arguments.
function scan(argv: readonly string[]): { readonly given: ReadonlyMap<keyof EvalSettings, string | undefined>; readonly help: boolean } {
  const keyOf = new Map(KEYS.map((key) => [optionFlag(key).slice(2), key]));
  const options = Object.fromEntries(KEYS.map((key) => [optionFlag(key).slice(2), { type: isValueOption(OPTIONS[key]) ? ('string' as const) : ('boolean' as const) }]));
  const { tokens } = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  const usage = (what: string, argument: string): RuleLMError => new RuleLMError(`${what}; see \`rulelm eval --help\``, { argument });
  const given = new Map<keyof EvalSettings, string | undefined>();
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'positional') throw usage(`unexpected argument: ${token.value}`, 'argv');
    if (token.kind !== 'option') continue;
    const flag = token.rawName;
    const key = keyOf.get(token.name);
    if (token.name === 'help') {
      if (token.value !== undefined) throw usage(`\`${flag}\` does not take a value`, flag);
      help = true;
    } else if (key === undefined) {
      throw usage(`unknown option \`${flag}\``, flag);
    } else if (!isValueOption(OPTIONS[key])) {
      if (token.value !== undefined) throw usage(`\`${flag}\` does not take a value`, flag);
      given.set(key, undefined);
    } else if (token.value === undefined) {
      throw usage(`\`${flag}\` needs a value`, flag);
    } else if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')) {
      // As parseArgs's strict mode: `--seed -1` is more likely a forgotten value than a negative one.
      throw usage(`\`${flag}\` needs a value; write one that starts with a dash as \`${flag}=-...\``, flag);
    } else {
      given.set(key, token.value);
    }
  }
  return { given, help };
}

/**
 * Parses and validates the arguments of `rulelm eval` (after the command name).
 *
 * @param argv The arguments.
 * @param cwd The folder relative paths are resolved against (default: the current folder).
 * @returns The settings, or `{ help: true }`.
 * @throws {RuleLMError} On an unknown option, a missing value, or an invalid value, naming the option.
 */
export function parseEvalArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedEvalArgs {
  const { given, help } = scan(argv);
  if (help) return { help: true };
  const settings: Partial<Record<keyof EvalSettings, unknown>> = {};
  for (const key of KEYS) {
    const option: AnyOption = OPTIONS[key];
    settings[key] = isValueOption(option) ? option.read(given.get(key), { flag: optionFlag(key), cwd, earlier: settings as Partial<EvalSettings> }) : given.has(key);
  }
  return { help: false, options: settings as EvalSettings };
}

/**
 * The settings that decide the responses, as the progress file records them (a resumed run must
 * use the same).
 *
 * @param settings The run's settings.
 * @returns The options marked `resume` in the table, by setting name.
 */
export function resumeSettings(settings: EvalSettings): ProgressSettings {
  const recorded: Record<string, Recorded> = {};
  for (const key of KEYS) {
    const resume = OPTIONS[key].resume;
    if (resume !== undefined) recorded[key] = resume === true ? (settings[key] as Recorded) : resume(settings);
  }
  return recorded;
}
