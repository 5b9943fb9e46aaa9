import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIGS, EVAL_CONFIGS, parseConfigs } from '../../src/eval/configs';
import { hewitt2024 } from '../../src/presets/hewitt2024';
import { createVocabulary } from '../../src/core/vocabulary';
import { expectRuleLMError } from '../helpers/errors';

describe('evaluation configurations', () => {
  it('run the base model, the preset and one ablation per rule by default', () => {
    expect(DEFAULT_CONFIGS).toEqual(['base', 'preset', 'no-eos', 'no-uniform', 'no-diversity']);
    expect(EVAL_CONFIGS.base).toBeUndefined();
  });

  it('are rule strings the preset accepts; each ablation drops exactly its rule from the preset', () => {
    const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '<', '|', 'user', 'assistant', '>', '\n', 'a'], kind: 'plain', eosTokenIds: [2] });
    const rulesOf = (name: string): readonly string[] => hewitt2024(vocabulary, { rules: EVAL_CONFIGS[name] as string, fidelity: 'clean' }).rules;
    const preset = rulesOf('preset');
    expect(preset).toEqual(hewitt2024(vocabulary, { fidelity: 'clean' }).rules); // the paper's model, the preset's default
    for (const name of Object.keys(EVAL_CONFIGS).filter((n) => n.startsWith('no-'))) {
      const dropped = name.slice(3);
      expect(preset).toContain(dropped);
      expect(rulesOf(name)).toEqual(preset.filter((r) => r !== dropped));
    }
    expect(Object.keys(EVAL_CONFIGS).filter((n) => n.startsWith('no-')).sort()).toEqual(preset.map((r) => `no-${r}`).sort());
    expect(rulesOf('preset+start')).toEqual([...preset, 'start']);
  });

  it('parse a comma-separated list, keeping order and dropping repeats', () => {
    expect(parseConfigs('preset, base,preset')).toEqual(['preset', 'base']);
  });

  it('reject an empty list or an unknown name, naming the option', () => {
    expectRuleLMError(() => parseConfigs(' , '), '`--configs` must name at least one configuration (base, preset, no-eos, no-uniform, no-diversity, preset+start), but is " , "', '--configs');
    expectRuleLMError(() => parseConfigs('base,rules'), '`--configs` has an unknown configuration "rules"; known ones are base, preset, no-eos, no-uniform, no-diversity, preset+start', '--configs');
  });
});
