import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIGS, EVAL_CONFIGS, parseConfigs } from '../../src/eval/configs';
import { hewitt2024 } from '../../src/presets/hewitt2024';
import { createVocabulary } from '../../src/core/vocabulary';
import { expectRuleLMError } from '../helpers/errors';

describe('evaluation configurations', () => {
  it('map to the preset and its one-rule ablations', () => {
    expect(DEFAULT_CONFIGS).toEqual(['base', 'preset', 'no-eos', 'no-uniform', 'no-diversity']);
    expect(EVAL_CONFIGS).toEqual({
      base: undefined,
      preset: 'eos-uniform-diversity',
      'no-eos': 'uniform-diversity',
      'no-uniform': 'eos-diversity',
      'no-diversity': 'eos-uniform',
      'preset+start': 'eos-uniform-diversity-start',
    });
  });

  it('are rule strings the preset accepts', () => {
    const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '<', '|', 'user', 'assistant', '>', '\n', 'a'], kind: 'plain', eosTokenIds: [2] });
    const rules = Object.fromEntries(Object.entries(EVAL_CONFIGS).flatMap(([name, flags]) => (flags === undefined ? [] : [[name, hewitt2024(vocabulary, { rules: flags, fidelity: 'clean' }).rules]])));
    expect(rules).toEqual({
      preset: ['eos', 'uniform', 'diversity'],
      'no-eos': ['uniform', 'diversity'],
      'no-uniform': ['eos', 'diversity'],
      'no-diversity': ['eos', 'uniform'],
      'preset+start': ['eos', 'uniform', 'diversity', 'start'],
    });
  });

  it('parse a comma-separated list, keeping order and dropping repeats', () => {
    expect(parseConfigs('preset, base,preset')).toEqual(['preset', 'base']);
  });

  it('reject an empty list or an unknown name, naming the option', () => {
    expectRuleLMError(() => parseConfigs(' , '), '`--configs` must name at least one configuration (base, preset, no-eos, no-uniform, no-diversity, preset+start), but is " , "', '--configs');
    expectRuleLMError(() => parseConfigs('base,rules'), '`--configs` has an unknown configuration "rules"; known ones are base, preset, no-eos, no-uniform, no-diversity, preset+start', '--configs');
  });
});
