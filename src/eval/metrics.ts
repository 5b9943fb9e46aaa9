// Response metrics that need no judge: length, how a response ended, repetition, and whether
// the model continued the conversation instead of answering. Browser-safe.

/** How a generation ended: the model's end-of-sequence token, the token limit, or the model's context window. */
export type FinishReason = 'eos' | 'limit' | 'context';

/** What the metrics need of one response. */
export interface ResponseSample {
  /** The generated token ids, without the end-of-sequence token that ended the response. */
  readonly tokens: readonly number[];
  /** How it ended. */
  readonly finish: FinishReason;
  /** The response text, special tokens included (so chat turn markers are visible). */
  readonly text: string;
}

/**
 * The share of distinct n-grams among a response's n-grams.
 *
 * @param tokens Token ids.
 * @param n The n-gram size (a positive integer).
 * @returns Distinct n-grams / n-grams, or `undefined` when the response has fewer than `n` tokens.
 * @example
 * ```ts
 * distinctN([1, 2, 1, 2], 2); // 2 distinct bigrams of 3: 0.666...
 * distinctN([1], 2); // undefined
 * ```
 */
export function distinctN(tokens: readonly number[], n: number): number | undefined {
  const total = tokens.length - n + 1;
  if (total <= 0) return undefined;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(tokens.slice(i, i + n).join(','));
  return seen.size / total;
}

/**
 * The repeated n-gram rate: the share of a response's n-gram positions whose n-gram already
 * occurred earlier in the same response.
 *
 * @param tokens Token ids.
 * @param n The n-gram size (4 in the reports).
 * @returns Repeated n-grams / n-grams, or `undefined` when the response has fewer than `n` tokens.
 * @example
 * ```ts
 * repeatedNgramRate([1, 2, 3, 4, 1, 2, 3, 4]); // the 4-gram 1 2 3 4 again, 1 of 5: 0.2
 * ```
 */
export function repeatedNgramRate(tokens: readonly number[], n = 4): number | undefined {
  const total = tokens.length - n + 1;
  if (total <= 0) return undefined;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i < total; i++) {
    const key = tokens.slice(i, i + n).join(',');
    if (seen.has(key)) repeated++;
    else seen.add(key);
  }
  return repeated / total;
}

/**
 * The turn markers of the paper's prompt template, searched in every response.
 * @example
 * ```ts
 * detectContinuation(`Paris.\n${PAPER_TURN_MARKERS[0]}\nWhat else?`).reason; // 'marker'
 * ```
 */
export const PAPER_TURN_MARKERS: readonly string[] = ['<|user|>', '<|assistant|>', '<|system|>'];

/**
 * A line that opens a new user turn or instruction: optional markdown (`#`, `>`, `*`, `-`, `_`)
 * and spaces, then `User`, `Human`, `Instruction`, `New instruction`, `Question`, `Prompt` or
 * `Q`, an optional number, optional closing `**` / `__`, and a colon; case-insensitive.
 * @example
 * ```ts
 * ROLE_LINE.test('Paris.\n**Question 2:** And Rome?'); // true
 * ```
 */
export const ROLE_LINE: RegExp = /^[ \t#>*_-]*(?:user|human|new instruction|instruction|question|prompt|q)[ \t]*\d*[ \t]*[*_]*[ \t]*:/im;

/** Whether a response continues the conversation instead of answering, and why. */
export interface Continuation {
  /** True when the response contains a turn marker or a role line. */
  readonly continues: boolean;
  /** What was found first: a turn marker, or a role line. */
  readonly reason: 'marker' | 'role-line' | undefined;
  /** The marker or line found. */
  readonly match: string | undefined;
}

/**
 * Tells whether a response continues the prompt instead of answering it: it contains a turn
 * marker (the paper's `<|user|>`, `<|assistant|>`, `<|system|>`, or the chat template's turn
 * markers passed in `markers`), or a line that opens a new turn or instruction ({@link ROLE_LINE}).
 *
 * @param text The response text with special tokens.
 * @param markers Extra turn markers (e.g. the chat template's, decoded), searched verbatim.
 * @returns Whether it continues, and why.
 * @example
 * ```ts
 * detectContinuation('Paris.\nUser: and Rome?'); // { continues: true, reason: 'role-line', match: 'User:' }
 * detectContinuation('Paris.<|im_start|>user', ['<|im_start|>user']).reason; // 'marker'
 * ```
 */
export function detectContinuation(text: string, markers: readonly string[] = []): Continuation {
  for (const marker of [...PAPER_TURN_MARKERS, ...markers]) {
    if (marker.length > 0 && text.includes(marker)) return { continues: true, reason: 'marker', match: marker };
  }
  const line = ROLE_LINE.exec(text);
  if (line) return { continues: true, reason: 'role-line', match: line[0].trim() };
  return { continues: false, reason: undefined, match: undefined };
}

/** Summary statistics of a list of numbers. */
export interface Distribution {
  /** Number of values. */
  readonly count: number;
  /** Mean (0 when empty). */
  readonly mean: number;
  /** Smallest value (0 when empty). */
  readonly min: number;
  /** 10th percentile (nearest rank). */
  readonly p10: number;
  /** Median (nearest rank: the lower middle value of an even count). */
  readonly median: number;
  /** 90th percentile (nearest rank). */
  readonly p90: number;
  /** Largest value (0 when empty). */
  readonly max: number;
}

/**
 * Summarizes numbers: mean, minimum, nearest-rank percentiles (the value at rank
 * `ceil(q * count)`), maximum.
 *
 * @param values The values.
 * @returns The summary (all 0 when empty).
 */
export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, mean: 0, min: 0, p10: 0, median: 0, p90: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
  return {
    count: sorted.length,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    min: sorted[0] as number,
    p10: rank(0.1),
    median: rank(0.5),
    p90: rank(0.9),
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Counts values in equal-width bins below `max` and one last bin for `max` and above: bins of
 * width `ceil(max / bins)` from 0, as many as cover `[0, max)`, then `[max, infinity)` (responses
 * that reached the token limit, when `max` is the limit).
 *
 * @param values Non-negative values.
 * @param max Where the last bin starts (a positive integer, e.g. the token limit).
 * @param bins The number of bins below `max` (at most; fewer when `max` is small).
 * @returns The bins' lower edges and counts (the last edge is `max`).
 */
export function histogram(values: readonly number[], max: number, bins: number): { readonly edges: number[]; readonly counts: number[] } {
  const width = Math.max(1, Math.ceil(max / bins));
  const below = Math.ceil(max / width);
  const edges = [...Array.from({ length: below }, (_, i) => i * width), max];
  const counts = new Array<number>(edges.length).fill(0);
  for (const v of values) {
    const i = v >= max ? below : Math.max(0, Math.floor(v / width));
    counts[i] = (counts[i] as number) + 1;
  }
  return { edges, counts };
}

/** The judge-free metrics of one configuration. */
export interface ResponseMetrics {
  /** Number of responses. */
  readonly responses: number;
  /** Response length in tokens (without the end token). */
  readonly length: Distribution;
  /** Share of responses that ended by EOS, by the token limit, by the context window. */
  readonly finish: { readonly eos: number; readonly limit: number; readonly context: number };
  /** Share of empty responses (EOS first). */
  readonly empty: number;
  /** Mean distinct-1 over responses with at least 1 token. */
  readonly distinct1: number;
  /** Mean distinct-2 over responses with at least 2 tokens. */
  readonly distinct2: number;
  /** Mean repeated 4-gram rate over responses with at least 4 tokens. */
  readonly repeated4: number;
  /** Share of responses that continue the conversation, and by which evidence. */
  readonly continuation: { readonly rate: number; readonly marker: number; readonly roleLine: number };
}

/**
 * Computes the judge-free metrics of a set of responses.
 *
 * @param samples The responses.
 * @param markers Extra turn markers for {@link detectContinuation}.
 * @returns The metrics (rates are 0 for an empty set).
 * @example
 * ```ts
 * const metrics = responseMetrics([
 *   { tokens: [5, 6, 7], finish: 'eos', text: 'A short answer.' },
 *   { tokens: [5, 5, 5, 5, 5], finish: 'limit', text: 'yes yes yes yes yes' },
 * ]);
 * metrics.finish.eos; // 0.5
 * metrics.length.mean; // 4
 * ```
 */
export function responseMetrics(samples: readonly ResponseSample[], markers: readonly string[] = []): ResponseMetrics {
  const n = samples.length;
  const rate = (count: number): number => (n === 0 ? 0 : count / n);
  const mean = (values: (number | undefined)[]): number => {
    const defined = values.filter((v): v is number => v !== undefined);
    return defined.length === 0 ? 0 : defined.reduce((s, v) => s + v, 0) / defined.length;
  };
  const continuations = samples.map((s) => detectContinuation(s.text, markers));
  return {
    responses: n,
    length: distribution(samples.map((s) => s.tokens.length)),
    finish: {
      eos: rate(samples.filter((s) => s.finish === 'eos').length),
      limit: rate(samples.filter((s) => s.finish === 'limit').length),
      context: rate(samples.filter((s) => s.finish === 'context').length),
    },
    empty: rate(samples.filter((s) => s.tokens.length === 0).length),
    distinct1: mean(samples.map((s) => distinctN(s.tokens, 1))),
    distinct2: mean(samples.map((s) => distinctN(s.tokens, 2))),
    repeated4: mean(samples.map((s) => repeatedNgramRate(s.tokens, 4))),
    continuation: {
      rate: rate(continuations.filter((c) => c.continues).length),
      marker: rate(continuations.filter((c) => c.reason === 'marker').length),
      roleLine: rate(continuations.filter((c) => c.reason === 'role-line').length),
    },
  };
}
