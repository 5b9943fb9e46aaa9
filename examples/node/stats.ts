// Small text statistics for the examples: how long a response is and how much it repeats.

/** Repetition statistics of a token sequence. */
export interface RepetitionStats {
  /** Number of tokens. */
  readonly length: number;
  /** Distinct tokens / tokens. */
  readonly distinct1: number;
  /** Distinct token pairs / pairs. */
  readonly distinct2: number;
  /** Share of 4-grams that already occurred earlier in the sequence. */
  readonly repeated4: number;
}

/**
 * Computes repetition statistics.
 *
 * @param tokens Token ids.
 * @returns The statistics (ratios are 0 for sequences too short to have n-grams).
 */
export function repetitionStats(tokens: readonly number[]): RepetitionStats {
  const distinct = (n: number): number => {
    const total = tokens.length - n + 1;
    if (total <= 0) return 0;
    const seen = new Set<string>();
    for (let i = 0; i < total; i++) seen.add(tokens.slice(i, i + n).join(','));
    return seen.size / total;
  };
  const total4 = tokens.length - 3;
  let repeated = 0;
  const seen4 = new Set<string>();
  for (let i = 0; i < total4; i++) {
    const key = tokens.slice(i, i + 4).join(',');
    if (seen4.has(key)) repeated++;
    else seen4.add(key);
  }
  return { length: tokens.length, distinct1: distinct(1), distinct2: distinct(2), repeated4: total4 > 0 ? repeated / total4 : 0 };
}
