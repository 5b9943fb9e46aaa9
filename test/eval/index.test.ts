import { describe, expect, it } from 'vitest';
import * as api from '../../src/eval/index';

describe('rulelm/eval', () => {
  it('exports what users call, and none of the internals (Python emulation, tokenizers, language tables)', () => {
    expect(Object.keys(api).sort()).toEqual([
      'DEFAULT_CONFIGS',
      'EVAL_CONFIGS',
      'IFEVAL_INSTRUCTIONS',
      'PAPER_TURN_MARKERS',
      'ROLE_LINE',
      'chartData',
      'detectContinuation',
      'distinctN',
      'evaluateIfeval',
      'followsLoose',
      'followsStrict',
      'ifevalAccuracy',
      'instructionCheck',
      'isIfevalRow',
      'looseVariants',
      'renderHtmlReport',
      'repeatedNgramRate',
      'responseMetrics',
      'summarize',
    ]);
  });
});
