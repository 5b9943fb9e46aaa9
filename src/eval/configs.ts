// The decoding configurations an evaluation compares. Browser-safe.

import { RuleLMError } from '../core/errors';

/**
 * The configurations and the preset's `rules` flag string each uses (`undefined`: the base model
 * alone). `preset` is the paper's model; `no-eos`, `no-uniform` and `no-diversity` drop one rule
 * each (the paper's ablations); `preset+start` adds the reference code's start rule.
 * @example
 * ```ts
 * EVAL_CONFIGS['no-eos']; // 'uniform-diversity': hewitt2024's `rules` without the EOS rule
 * ```
 */
export const EVAL_CONFIGS: Readonly<Record<string, string | undefined>> = {
  base: undefined,
  preset: 'eos-uniform-diversity',
  'no-eos': 'uniform-diversity',
  'no-uniform': 'eos-diversity',
  'no-diversity': 'eos-uniform',
  'preset+start': 'eos-uniform-diversity-start',
};

/**
 * The configurations run by default: the base model, the preset and its three ablations.
 * @example
 * ```ts
 * DEFAULT_CONFIGS.map((name) => EVAL_CONFIGS[name]); // [undefined, 'eos-uniform-diversity', ...]
 * ```
 */
export const DEFAULT_CONFIGS: readonly string[] = ['base', 'preset', 'no-eos', 'no-uniform', 'no-diversity'];

/**
 * Parses a comma-separated list of configuration names.
 *
 * @param value The list, e.g. `"base,preset"`.
 * @param argument The option's name for errors.
 * @returns The names, in the order given, without duplicates.
 * @throws {RuleLMError} On an empty list or an unknown name.
 */
export function parseConfigs(value: string, argument = '--configs'): string[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new RuleLMError(`\`${argument}\` must name at least one configuration (${Object.keys(EVAL_CONFIGS).join(', ')}), but is ${JSON.stringify(value)}`, { argument });
  for (const name of names) {
    if (!Object.hasOwn(EVAL_CONFIGS, name)) {
      throw new RuleLMError(`\`${argument}\` has an unknown configuration ${JSON.stringify(name)}; known ones are ${Object.keys(EVAL_CONFIGS).join(', ')}`, { argument });
    }
  }
  return [...new Set(names)];
}
