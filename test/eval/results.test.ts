import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/eval/results';
import { CONFIGS, ITEMS, RECORDS } from './fixtures';

describe('summarize', () => {
  it('scores records with IFEval and continuation, in item order', () => {
    const { records } = summarize(ITEMS, RECORDS, CONFIGS);
    expect(records.map((r) => [r.config, r.id, r.continues, r.ifeval?.strict, r.ifeval?.loose])).toEqual([
      ['base', 'a', true, [false], [false]],
      ['preset', 'a', false, [true], [true]],
      ['unknown-config', 'a', false, [true], [true]],
      ['base', 'b', false, [false, true], [false, true]],
      ['preset', 'b', false, [true, true], [true, true]],
    ]);
  });

  it('summarizes each configuration exactly', () => {
    const { summaries } = summarize(ITEMS, RECORDS, CONFIGS);
    expect(summaries).toEqual([
      {
        config: 'base',
        rules: undefined,
        metrics: {
          responses: 2,
          length: { count: 2, mean: 6.5, min: 5, p10: 5, median: 5, p90: 8, max: 8 },
          finish: { eos: 0, limit: 1, context: 0 },
          empty: 0,
          distinct1: (2 / 8 + 1 / 5) / 2,
          distinct2: (2 / 7 + 1 / 4) / 2,
          repeated4: (3 / 5 + 1 / 2) / 2,
          continuation: { rate: 0.5, marker: 0.5, roleLine: 0 },
        },
        skipped: 0,
        tokensPerSecond: 13 / 0.2,
        ifeval: {
          prompts: 2,
          instructions: 3,
          promptLevel: { strict: 0, loose: 0 },
          instructionLevel: { strict: 1 / 3, loose: 1 / 3 },
          byType: { 'punctuation:no_comma': { count: 2, strict: 0.5, loose: 0.5 }, 'startend:quotation': { count: 1, strict: 0, loose: 0 } },
        },
      },
      {
        config: 'preset',
        rules: 'eos-uniform-diversity',
        metrics: {
          responses: 2,
          length: { count: 2, mean: 2.5, min: 2, p10: 2, median: 2, p90: 3, max: 3 },
          finish: { eos: 1, limit: 0, context: 0 },
          empty: 0,
          distinct1: 1,
          distinct2: 1,
          repeated4: 0,
          continuation: { rate: 0, marker: 0, roleLine: 0 },
        },
        skipped: 0,
        tokensPerSecond: 7 / 0.2, // 5 tokens + 2 EOS tokens
        ifeval: {
          prompts: 2,
          instructions: 3,
          promptLevel: { strict: 1, loose: 1 },
          instructionLevel: { strict: 1, loose: 1 },
          byType: { 'punctuation:no_comma': { count: 2, strict: 1, loose: 1 }, 'startend:quotation': { count: 1, strict: 1, loose: 1 } },
        },
      },
    ]);
  });

  it('leaves skipped records out of the metrics and counts them', () => {
    const skipped = { config: 'base', id: 'a', tokens: [], finish: 'context' as const, text: '', promptTokens: 900, ms: 0, skipped: 'the prompt fills the context window' };
    const { summaries } = summarize(ITEMS, [skipped], CONFIGS);
    expect(summaries[0]?.skipped).toBe(1);
    expect(summaries[0]?.metrics.responses).toBe(0);
    expect(summaries[0]?.ifeval).toBeUndefined();
  });
});
