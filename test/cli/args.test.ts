import { describe, expect, it } from 'vitest';
import { EVAL_USAGE, optionFlag, parseEvalArgs, resumeSettings } from '../../src/cli/args';
import { expectRuleLMError } from '../helpers/errors';

const CWD = '/work/somewhere';
const BASE = ['--model', 'org/some-model', '--data', 'sets/val.jsonl'];
const parse = (...extra: string[]): ReturnType<typeof parseEvalArgs> => parseEvalArgs([...BASE, ...extra], CWD);

describe('rulelm eval options', () => {
  it('has defaults for everything but --model and --data', () => {
    expect(parse()).toEqual({
      help: false,
      options: {
        model: 'org/some-model',
        data: '/work/somewhere/sets/val.jsonl',
        configs: ['base', 'preset', 'no-eos', 'no-uniform', 'no-diversity'],
        limit: undefined,
        maxNewTokens: 256,
        seed: 0,
        sample: false,
        temperature: 1,
        template: 'auto',
        fidelity: 'reference',
        dtype: 'fp32',
        out: '/work/somewhere/.cache/eval/some-model-val',
        fresh: false,
        quiet: false,
      },
    });
  });

  it('reads every option', () => {
    const parsed = parse('--configs', 'preset,base', '--limit', '3', '--max-new-tokens', '16', '--sample', '--temperature', '0.7', '--seed', '42', '--template', 'paper', '--fidelity', 'clean', '--dtype', 'q8', '--out', 'out/x', '--fresh', '--quiet');
    expect(parsed).toEqual({
      help: false,
      options: { model: 'org/some-model', data: '/work/somewhere/sets/val.jsonl', configs: ['preset', 'base'], limit: 3, maxNewTokens: 16, seed: 42, sample: true, temperature: 0.7, template: 'paper', fidelity: 'clean', dtype: 'q8', out: '/work/somewhere/out/x', fresh: true, quiet: true },
    });
    expect(parseEvalArgs(['--help'])).toEqual({ help: true });
    expect(parseEvalArgs(['-h', '--limit', 'x'])).toEqual({ help: true });
  });

  it('records a local model folder by its absolute path', () => {
    const parsed = parseEvalArgs(['--model', '.', '--data', 'x.jsonl'], process.cwd());
    expect(parsed.help === false && parsed.options.model).toBe(process.cwd());
  });

  it('names the option in every validation error', () => {
    expectRuleLMError(() => parseEvalArgs(['--data', 'd.jsonl'], CWD), '`--model` is required; see `rulelm eval --help`', '--model');
    expectRuleLMError(() => parseEvalArgs(['--model', ' ', '--data', 'd.jsonl'], CWD), '`--model` is required, but is " "; see `rulelm eval --help`', '--model');
    expectRuleLMError(() => parseEvalArgs(['--model', 'm'], CWD), '`--data` is required; see `rulelm eval --help`', '--data');
    expectRuleLMError(() => parse('--configs', 'base,best'), '`--configs` has an unknown configuration "best"; known ones are base, preset, no-eos, no-uniform, no-diversity, preset+start', '--configs');
    expectRuleLMError(() => parse('--configs', ''), '`--configs` must name at least one configuration (base, preset, no-eos, no-uniform, no-diversity, preset+start), but is ""', '--configs');
    expectRuleLMError(() => parse('--limit', '0'), '`--limit` must be a positive integer, but is 0', '--limit');
    expectRuleLMError(() => parse('--limit', '2.5'), '`--limit` must be a positive integer, but is 2.5', '--limit');
    expectRuleLMError(() => parse('--max-new-tokens=-3'), '`--max-new-tokens` must be a positive integer, but is -3', '--max-new-tokens');
    expectRuleLMError(() => parse('--max-new-tokens', 'lots'), '`--max-new-tokens` must be a positive integer, but is lots', '--max-new-tokens');
    expectRuleLMError(() => parse('--seed', '-1', '--sample'), '`--seed` needs a value; write one that starts with a dash as `--seed=-...`; see `rulelm eval --help`', '--seed');
    expectRuleLMError(() => parse('--seed=-1', '--sample'), "`--seed` must be an integer from 0 to 4294967295 (the sampler's seeds are 32-bit), but is -1", '--seed');
    expectRuleLMError(() => parse('--seed', '3'), '`--seed` needs `--sample` (greedy decoding uses no seed)', '--seed');
    expectRuleLMError(() => parse('--seed', '', '--sample'), "`--seed` must be an integer from 0 to 4294967295 (the sampler's seeds are 32-bit), but is \"\"", '--seed');
    // Instruction i is sampled with seed + i: the largest safe integer failed after instruction 0 was generated.
    expectRuleLMError(() => parse('--seed', '9007199254740991', '--sample'), "`--seed` must be an integer from 0 to 4294967295 (the sampler's seeds are 32-bit), but is 9007199254740991", '--seed');
    expectRuleLMError(() => parse('--seed', '4294967296', '--sample'), "`--seed` must be an integer from 0 to 4294967295 (the sampler's seeds are 32-bit), but is 4294967296", '--seed');
    const largest = parse('--seed', '4294967295', '--sample');
    expect(largest.help === false && largest.options.seed).toBe(4294967295);
    expectRuleLMError(() => parse('--temperature', '0.5'), '`--temperature` needs `--sample` (decoding is greedy otherwise)', '--temperature');
    expectRuleLMError(() => parse('--sample', '--temperature', '0'), '`--temperature` must be a number greater than 0, but is 0', '--temperature');
    expectRuleLMError(() => parse('--sample', '--temperature', 'hot'), '`--temperature` must be a number greater than 0, but is hot', '--temperature');
    expectRuleLMError(() => parse('--template', 'chatml'), '`--template` must be one of auto, paper, chat, but is chatml', '--template');
    expectRuleLMError(() => parse('--fidelity', 'exact'), '`--fidelity` must be one of reference, clean, but is exact', '--fidelity');
    expectRuleLMError(() => parse('--dtype', 'fp64'), '`--dtype` must be one of auto, fp32, fp16, q8, int8, uint8, q4, bnb4, q4f16, but is fp64', '--dtype');
    expectRuleLMError(() => parse('--out', ''), '`--out` must be a folder, but is ""', '--out');
  });

  it('names unknown options, missing values and stray arguments', () => {
    expectRuleLMError(() => parse('--max-tokens', '5'), 'unknown option `--max-tokens`; see `rulelm eval --help`', '--max-tokens');
    expectRuleLMError(() => parse('--limit'), '`--limit` needs a value; see `rulelm eval --help`', '--limit');
    expectRuleLMError(() => parse('--sample=yes'), '`--sample` does not take a value; see `rulelm eval --help`', '--sample');
    expectRuleLMError(() => parse('extra'), 'unexpected argument: extra; see `rulelm eval --help`', 'argv');
    expectRuleLMError(() => parse('-x'), 'unknown option `-x`; see `rulelm eval --help`', '-x');
    expectRuleLMError(() => parse('--limit', '--sample'), '`--limit` needs a value; write one that starts with a dash as `--limit=-...`; see `rulelm eval --help`', '--limit');
    expectRuleLMError(() => parse('--help=yes'), '`--help` does not take a value; see `rulelm eval --help`', '--help');
    expectRuleLMError(() => parse('--', '--limit'), 'unexpected argument: --limit; see `rulelm eval --help`', 'argv');
    // The first bad argument is reported, as parseArgs's strict mode does.
    expectRuleLMError(() => parse('--bogus', 'extra'), 'unknown option `--bogus`; see `rulelm eval --help`', '--bogus');
    expectRuleLMError(() => parse('extra', '--bogus'), 'unexpected argument: extra; see `rulelm eval --help`', 'argv');
  });

  it('takes the last of repeated options, a lone dash as a value, and an option terminator without arguments', () => {
    const parsed = parse('--limit', '1', '--limit=2', '--out', '-', '--');
    expect(parsed.help === false && [parsed.options.limit, parsed.options.out]).toEqual([2, '/work/somewhere/-']);
  });

  it('lists every option in the help, and names each setting by its flag', () => {
    expect(EVAL_USAGE).toBe(`Usage: rulelm eval --model <folder or hub id> --data <file.jsonl> [options]

Compares a model with and without the rules of Hewitt et al. (2024) (and each ablation) on an
instruction set, offline and without a judge; writes results.json and report.html.

  --model <folder|id>      transformers.js model: a local folder or a Hugging Face hub id (required)
  --data <file.jsonl>      instructions: rows with an "instruction" or "prompt" field; rows with
                           IFEval's "instruction_id_list" and "kwargs" are also scored by IFEval (required)
  --configs <list>         comma-separated, from: base, preset, no-eos, no-uniform, no-diversity, preset+start
                           (default: base,preset,no-eos,no-uniform,no-diversity)
  --limit <N>              only the first N instructions (default: all)
  --max-new-tokens <N>     token limit per response (default: 256)
  --sample                 sample instead of greedy decoding (rulelm's seeded sampler)
  --temperature <T>        sampling temperature (default: 1; needs --sample)
  --seed <N>               sampler seed, 0 to 4294967295 (needs --sample); instruction i uses seed + i
                           (default: 0)
  --template <t>           prompt template: auto, paper or chat (default: auto)
  --fidelity <f>           preset fidelity: reference or clean (default: reference)
  --dtype <type>           model weights: auto, fp32, fp16, q8, int8, uint8, q4, bnb4, q4f16 (default: fp32)
  --out <folder>           output folder (default: .cache/eval/<model>-<data>)
  --fresh                  discard the progress in the output folder and start over
  --quiet                  no progress bar
  -h, --help               this help

Resumable: every finished response is appended to <out>/progress.jsonl; running the same command
again skips what is done.
`);
    expect(optionFlag('maxNewTokens')).toBe('--max-new-tokens');
  });

  it('records the settings that decide the responses for the progress file (temperature and seed only when sampling)', () => {
    const greedy = parse();
    const sampled = parse('--sample', '--temperature', '0.5', '--seed', '3');
    if (greedy.help || sampled.help) throw new Error('unexpected help');
    expect(resumeSettings(greedy.options)).toEqual({ model: 'org/some-model', data: '/work/somewhere/sets/val.jsonl', maxNewTokens: 256, sample: false, temperature: null, seed: null, template: 'auto', fidelity: 'reference', dtype: 'fp32' });
    expect(resumeSettings(sampled.options)).toMatchObject({ sample: true, temperature: 0.5, seed: 3 });
  });
});
