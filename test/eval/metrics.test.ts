import { describe, expect, it } from 'vitest';
import { detectContinuation, distinctN, distribution, histogram, repeatedNgramRate, responseMetrics } from '../../src/eval/metrics';

describe('repetition metrics', () => {
  it('distinct-n: distinct n-grams over n-grams', () => {
    expect(distinctN([1, 2, 1, 2, 3], 1)).toBe(3 / 5);
    expect(distinctN([1, 2, 1, 2, 3], 2)).toBe(3 / 4); // 1-2, 2-1, 1-2, 2-3
    expect(distinctN([7, 7, 7, 7], 1)).toBe(1 / 4);
    expect(distinctN([1], 2)).toBeUndefined();
    expect(distinctN([], 1)).toBeUndefined();
  });

  it('repeated 4-gram rate: 4-grams already seen earlier', () => {
    expect(repeatedNgramRate([1, 2, 3, 4, 1, 2, 3, 4], 4)).toBe(1 / 5); // 5 4-grams, the last repeats the first
    expect(repeatedNgramRate([5, 5, 5, 5, 5, 5], 4)).toBe(2 / 3);
    expect(repeatedNgramRate([1, 2, 3, 4], 4)).toBe(0);
    expect(repeatedNgramRate([1, 2, 3], 4)).toBeUndefined();
  });
});

describe('detectContinuation', () => {
  it('finds turn markers', () => {
    expect(detectContinuation('Sure.\n<|user|>\nNext question')).toEqual({ continues: true, reason: 'marker', match: '<|user|>' });
    expect(detectContinuation('text <|assistant|>')).toEqual({ continues: true, reason: 'marker', match: '<|assistant|>' });
    expect(detectContinuation('a <|im_start|>user\nhi', ['<|im_start|>user'])).toEqual({ continues: true, reason: 'marker', match: '<|im_start|>user' });
  });

  it('finds lines that open a new turn or instruction', () => {
    expect(detectContinuation('Paris.\n\nQuestion: What is the capital of Spain?')).toEqual({ continues: true, reason: 'role-line', match: 'Question:' });
    expect(detectContinuation('Answer.\n### Instruction:\nWrite more')).toEqual({ continues: true, reason: 'role-line', match: '### Instruction:' });
    expect(detectContinuation('ok\n  **User 2**: hi')).toEqual({ continues: true, reason: 'role-line', match: '**User 2**:' });
    expect(detectContinuation('ok\nUsers: all of them')).toEqual({ continues: false, reason: undefined, match: undefined }); // the colon must follow the word
    expect(detectContinuation('ok\n  **User 2:** hi')).toEqual({ continues: true, reason: 'role-line', match: '**User 2:' });
    expect(detectContinuation('Human: hello')).toEqual({ continues: true, reason: 'role-line', match: 'Human:' });
  });

  it('does not flag ordinary answers', () => {
    expect(detectContinuation('The user should restart. Questions are welcome: ask me.')).toEqual({ continues: false, reason: undefined, match: undefined });
    expect(detectContinuation('Answer: 42')).toEqual({ continues: false, reason: undefined, match: undefined });
  });
});

describe('distribution and histogram', () => {
  it('summarizes with nearest-rank percentiles', () => {
    expect(distribution([5, 1, 4, 2, 3])).toEqual({ count: 5, mean: 3, min: 1, p10: 1, median: 3, p90: 5, max: 5 });
    expect(distribution([1, 2, 3, 4])).toEqual({ count: 4, mean: 2.5, min: 1, p10: 1, median: 2, p90: 4, max: 4 });
    expect(distribution([])).toEqual({ count: 0, mean: 0, min: 0, p10: 0, median: 0, p90: 0, max: 0 });
  });

  it('bins values below max in equal widths, and max and above in a last bin', () => {
    expect(histogram([0, 15, 16, 255, 256, 300], 256, 16)).toEqual({
      edges: [0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256],
      counts: [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
    });
    expect(histogram([0, 1, 2, 3, 8], 8, 16)).toEqual({ edges: [0, 1, 2, 3, 4, 5, 6, 7, 8], counts: [1, 1, 1, 1, 0, 0, 0, 0, 1] });
    expect(histogram([9, 10], 10, 3)).toEqual({ edges: [0, 4, 8, 10], counts: [0, 0, 1, 1] });
  });
});

describe('responseMetrics', () => {
  it('computes every metric exactly', () => {
    const m = responseMetrics([
      { tokens: [1, 2, 3, 4, 1, 2, 3, 4], finish: 'limit', text: 'story <|user|> more' },
      { tokens: [5, 6], finish: 'eos', text: 'short' },
      { tokens: [], finish: 'eos', text: '' },
      { tokens: [7, 7, 7, 7, 7, 7], finish: 'context', text: 'Q: again?' },
    ]);
    expect(m).toEqual({
      responses: 4,
      length: { count: 4, mean: 4, min: 0, p10: 0, median: 2, p90: 8, max: 8 },
      finish: { eos: 0.5, limit: 0.25, context: 0.25 },
      empty: 0.25,
      distinct1: (4 / 8 + 2 / 2 + 1 / 6) / 3,
      distinct2: (4 / 7 + 1 / 1 + 1 / 5) / 3,
      repeated4: (1 / 5 + 2 / 3) / 2,
      continuation: { rate: 0.5, marker: 0.25, roleLine: 0.25 },
    });
  });

  it('is all zeros for no responses', () => {
    expect(responseMetrics([])).toEqual({
      responses: 0,
      length: { count: 0, mean: 0, min: 0, p10: 0, median: 0, p90: 0, max: 0 },
      finish: { eos: 0, limit: 0, context: 0 },
      empty: 0,
      distinct1: 0,
      distinct2: 0,
      repeated4: 0,
      continuation: { rate: 0, marker: 0, roleLine: 0 },
    });
  });
});
