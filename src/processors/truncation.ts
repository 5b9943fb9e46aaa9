// Shared by the truncation samplers (TopK, TopP, MinP, TypicalP, EpsilonCutoff, EtaCutoff,
// TopNSigma, XTC): the row's probabilities in one exp pass, and a partial selection by rank
// (a bucket histogram, refined only inside the bucket where the cut falls) instead of a sort of
// the whole vocabulary. The helpers are internal; the base classes `Truncation` and
// `ProbabilityCutoff` are exported from the package.
import { exp } from '../core/exp';
import { Processor } from '../core/processor';
import { assertOptions, assertPositiveInteger, fail } from '../core/validate';

/** Number of finite-key buckets of one histogram level. */
const BUCKETS = 256;
/** A bucket with at most this many members is sorted instead of refined. */
const SMALL = 48;

let gatherA = new Int32Array(0);
let gatherB = new Int32Array(0);
let weightBuffer = new Float32Array(0);
let keyBuffer = new Float32Array(0);
const counts = new Int32Array(BUCKETS + 2);
const masses = new Float64Array(BUCKETS + 2);

// Scratch shared by every sampler: `process` is synchronous and never re-entered, so one
// buffer per module serves all sequences (it holds nothing between calls).
function ensure(size: number): void {
  if (gatherA.length < size) {
    gatherA = new Int32Array(size);
    gatherB = new Int32Array(size);
    weightBuffer = new Float32Array(size);
    keyBuffer = new Float32Array(size);
  }
}

/**
 * A scratch `Float32Array` of at least `size` entries, for probabilities (shared, overwritten by
 * the next sampler call).
 *
 * @param size The row length.
 * @returns The buffer.
 */
export function weightScratch(size: number): Float32Array {
  ensure(size);
  return weightBuffer;
}

/**
 * A scratch `Float32Array` of at least `size` entries, for ranking keys.
 *
 * @param size The row length.
 * @returns The buffer.
 */
export function keyScratch(size: number): Float32Array {
  ensure(size);
  return keyBuffer;
}

/**
 * What one pass over a row found. `NaN` scores are rewritten to `-Infinity` in that pass (a `NaN`
 * never spreads and is never kept).
 */
export interface RowSummary {
  /** The largest score (`-Infinity` when every score is masked). */
  max: number;
  /** How many scores are `+Infinity`. */
  infinite: number;
  /** How many scores are above `-Infinity`. */
  live: number;
}

const summary: RowSummary = { max: -Infinity, infinite: 0, live: 0 };

/**
 * Rewrites `NaN` scores to `-Infinity` and finds the maximum. The returned object is shared
 * (read it before the next call).
 *
 * @param row Scores, changed in place (`NaN` only).
 * @returns The summary.
 */
export function scan(row: Float32Array): RowSummary {
  let max = -Infinity;
  let infinite = 0;
  let live = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (x > -Infinity) {
      live++;
      if (x > max) max = x;
      if (x === Infinity) infinite++;
    } else if (x !== x) row[i] = -Infinity;
  }
  summary.max = max;
  summary.infinite = infinite;
  summary.live = live;
  return summary;
}

/**
 * Fills `weights` with unnormalized probabilities `exp(score - max)` (with `+Infinity` scores
 * present: 1 for them, 0 for the rest, the limit of the softmax) and returns their sum.
 *
 * @param row Scores, without `NaN` (after {@link scan}).
 * @param max The maximum score, above `-Infinity`.
 * @param weights Where to write (length at least the row's).
 * @returns The sum of the weights.
 */
export function expWeights(row: Float32Array, max: number, weights: Float32Array): number {
  let sum = 0;
  if (max === Infinity) {
    for (let i = 0; i < row.length; i++) {
      const w = row[i] === Infinity ? 1 : 0;
      weights[i] = w;
      sum += w;
    }
    return sum;
  }
  for (let i = 0; i < row.length; i++) {
    const w = exp((row[i] as number) - max);
    weights[i] = w;
    sum += w;
  }
  return sum;
}

/**
 * The entropy (nats) of the row's distribution, from the weights {@link expWeights} wrote:
 * `log(total) - sum (w / total) * log w`, where `log w` is `score - max` (0 for `+Infinity`
 * scores), so no logarithm per token; zero weights count as `0 log 0 = 0`.
 *
 * @param row Scores, without `NaN`.
 * @param max The maximum score.
 * @param weights The weights of the row.
 * @param total Their sum.
 * @returns `-sum p log p`.
 */
export function entropy(row: Float32Array, max: number, weights: Float32Array, total: number): number {
  const infinite = max === Infinity;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const w = weights[i] as number;
    if (w > 0) sum += w * (infinite ? 0 : (row[i] as number) - max);
  }
  return Math.log(total) - sum / total;
}

function bucketOf(k: number, lo: number, scale: number): number {
  if (k === -Infinity) return 0;
  if (k === Infinity) return BUCKETS + 1;
  const b = Math.floor((k - lo) * scale);
  return 1 + (b < BUCKETS - 1 ? b : BUCKETS - 1);
}

// Sorts `list[0..size)` by (dir * key, id) ascending: insertion sort, for short lists.
function sortSmall(list: Int32Array, size: number, keys: Float32Array, dir: number): void {
  for (let a = 1; a < size; a++) {
    const id = list[a] as number;
    const k = dir * (keys[id] as number);
    let b = a - 1;
    while (b >= 0) {
      const other = list[b] as number;
      const ko = dir * (keys[other] as number);
      if (ko < k || (ko === k && other < id)) break;
      list[b + 1] = other;
      b--;
    }
    list[b + 1] = id;
  }
}

/**
 * The token at the rank where the cumulative weight first reaches `target`, ranking tokens by
 * `dir * key` ascending and equal keys by id ascending (so with `dir = -1` on scores: the best
 * score first, and among equal scores the lower id first, the token `argmax` picks). Without
 * `weights` every token weighs 1, so `target = k` finds the k-th ranked token.
 *
 * A partial selection: one histogram of the keys, then only the bucket where the cumulative
 * weight crosses `target` is refined (re-bucketed, or sorted once small). No full sort.
 *
 * @param keys The keys (no `NaN`).
 * @param n How many keys (tokens `0` to `n - 1`).
 * @param dir `-1` to rank larger keys first, `1` for smaller keys first.
 * @param weights The weights (non-negative), or `undefined` for 1 each.
 * @param target The cumulative weight to reach.
 * @param span When given, the first histogram covers `[smallest key, smallest key + span]`
 * (keys beyond share its last bucket) without a pass to find the range: with `dir = -1` on
 * scores, `lowest` is `-max`.
 * @param lowest The smallest `dir * key` (required with `span`).
 * @returns The token id, or -1 when the total weight stays below `target`.
 */
export function rankAt(keys: Float32Array, n: number, dir: 1 | -1, weights: Float32Array | undefined, target: number, span = 0, lowest = 0): number {
  ensure(n);
  let list: Int32Array | undefined;
  let size = n;
  let base = 0;
  let out = gatherA;
  let known = span > 0;
  for (;;) {
    let lo = known ? lowest : Infinity;
    let hi = known ? lowest + span : -Infinity;
    if (!known) {
      for (let c = 0; c < size; c++) {
        const k = dir * (keys[list === undefined ? c : (list[c] as number)] as number);
        if (k > -Infinity && k < Infinity) {
          if (k < lo) lo = k;
          if (k > hi) hi = k;
        }
      }
    }
    known = false;
    const scale = hi > lo ? BUCKETS / (hi - lo) : 0;
    counts.fill(0);
    masses.fill(0);
    for (let c = 0; c < size; c++) {
      const id = list === undefined ? c : (list[c] as number);
      const b = bucketOf(dir * (keys[id] as number), lo, scale);
      counts[b]!++;
      masses[b]! += weights === undefined ? 1 : (weights[id] as number);
    }
    let crossing = -1;
    let cumulative = base;
    for (let b = 0; b < BUCKETS + 2; b++) {
      if (counts[b] === 0) continue;
      const mass = masses[b] as number;
      if (cumulative + mass >= target) {
        crossing = b;
        break;
      }
      cumulative += mass;
    }
    if (crossing < 0) return -1;
    base = cumulative;
    let m = 0;
    for (let c = 0; c < size; c++) {
      const id = list === undefined ? c : (list[c] as number);
      if (bucketOf(dir * (keys[id] as number), lo, scale) === crossing) out[m++] = id;
    }
    let equal = true;
    const first = keys[out[0] as number] as number;
    for (let c = 1; c < m && equal; c++) equal = keys[out[c] as number] === first;
    if (m <= SMALL || equal) {
      // Gathered in id order: with equal keys that is already the rank order.
      if (!equal) sortSmall(out, m, keys, dir);
      let sum = base;
      for (let c = 0; c < m; c++) {
        const id = out[c] as number;
        sum += weights === undefined ? 1 : (weights[id] as number);
        if (sum >= target) return id;
      }
      return out[m - 1] as number;
    }
    list = out;
    size = m;
    out = out === gatherA ? gatherB : gatherA;
  }
}

/**
 * Masks every score ranked after `boundary` (ranking by score, best first, lower id first among
 * equal scores) to `-Infinity`.
 *
 * @param row Scores, changed in place.
 * @param boundary The last token kept.
 */
export function keepThroughRank(row: Float32Array, boundary: number): void {
  const edge = row[boundary] as number;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (x < edge || (x === edge && i > boundary)) row[i] = -Infinity;
  }
}

/**
 * Whether token `a` ranks at or before token `b` (score descending, id ascending).
 *
 * @param row Scores.
 * @param a A token id.
 * @param b A token id.
 * @returns `true` when `a` is not after `b`.
 */
export function ranksBefore(row: Float32Array, a: number, b: number): boolean {
  const x = row[a] as number;
  const y = row[b] as number;
  return x > y || (x === y && a <= b);
}

/**
 * Validates `minTokensToKeep` (HF's `min_tokens_to_keep`): an integer of at least 1.
 *
 * @param value The option.
 * @returns The value, 1 by default.
 * @throws {RuleLMError} Otherwise.
 */
export function minKeepOption(value: unknown): number {
  if (value === undefined) return 1;
  assertPositiveInteger('minTokensToKeep', value);
  return value;
}

/**
 * Validates a number in a range.
 *
 * @param argument The option's name.
 * @param value The value.
 * @param lo The lower bound.
 * @param hi The upper bound.
 * @param open Whether the bounds are excluded.
 * @throws {RuleLMError} Otherwise.
 */
export function assertInRange(argument: string, value: unknown, lo: number, hi: number, open: boolean): asserts value is number {
  const ok = typeof value === 'number' && (open ? value > lo && value < hi : value >= lo && value <= hi);
  if (!ok) fail(argument, `a number in ${open ? '(' : '['}${lo}, ${hi}${open ? ')' : ']'}`, value);
}

/**
 * HF's epsilon / eta removal: a token goes when its unnormalized probability is below `limit`
 * and its score is below the `minTokensToKeep`-th largest score (ties with that score stay).
 *
 * @param row Scores, changed in place.
 * @param weights Unnormalized probabilities of the row.
 * @param limit The weight below which a token goes.
 * @param minTokensToKeep How many of the best scores always stay.
 * @param max The largest score.
 */
function maskBelowWeight(row: Float32Array, weights: Float32Array, limit: number, minTokensToKeep: number, max: number): void {
  const n = row.length;
  if (minTokensToKeep >= n) return;
  const floor = minTokensToKeep === 1 ? max : (row[rankAt(row, n, -1, undefined, minTokensToKeep)] as number);
  for (let i = 0; i < n; i++) if ((weights[i] as number) < limit && (row[i] as number) < floor) row[i] = -Infinity;
}

/**
 * The base of the truncation samplers that keep at least `minTokensToKeep` tokens (HF's
 * `min_tokens_to_keep`): `TopK`, `TopP`, `MinP`, `TypicalP`, `EpsilonCutoff`, `EtaCutoff`. It
 * checks the options and holds no per-sequence data.
 *
 * @example
 * ```ts
 * import { TopP, Truncation } from 'rulelm';
 *
 * new TopP({ topP: 0.9 }) instanceof Truncation; // true
 * new TopP({ topP: 0.9 }).minTokensToKeep; // 1
 * ```
 */
export abstract class Truncation extends Processor<null> {
  /** The minimum number of tokens kept (HF `min_tokens_to_keep`). */
  readonly minTokensToKeep: number;

  /**
   * Checks the options object and `minTokensToKeep`.
   *
   * @param options The options.
   * @param known The sampler's own option names (besides `minTokensToKeep`).
   * @throws {RuleLMError} On an unknown option or a bad `minTokensToKeep`.
   */
  constructor(options: { readonly minTokensToKeep?: number }, known: readonly string[]) {
    super();
    assertOptions('options', options, [...known, 'minTokensToKeep']);
    this.minTokensToKeep = minKeepOption(options.minTokensToKeep);
  }

  /**
   * No per-sequence data.
   *
   * @returns `null`.
   */
  createState(): null {
    return null;
  }
}

/**
 * The base of HF's epsilon and eta cutoffs (`EpsilonCutoff`, `EtaCutoff`): a token goes when its
 * probability is below the subclass's cutoff and its score is below the `minTokensToKeep`-th
 * largest.
 *
 * @example
 * ```ts
 * import { EtaCutoff, ProbabilityCutoff } from 'rulelm';
 *
 * new EtaCutoff({ epsilon: 2e-3 }) instanceof ProbabilityCutoff; // true
 * ```
 */
export abstract class ProbabilityCutoff extends Truncation {
  /** HF's `epsilon` (`epsilon_cutoff` / `eta_cutoff`). */
  readonly epsilon: number;

  /**
   * Checks `epsilon` (in (0, 1), as HF requires) and `minTokensToKeep`.
   *
   * @param options The options.
   * @throws {RuleLMError} On a bad or unknown option.
   */
  constructor(options: { readonly epsilon: number; readonly minTokensToKeep?: number }) {
    super(options, ['epsilon']);
    assertInRange('epsilon', options.epsilon, 0, 1, true);
    this.epsilon = options.epsilon;
  }

  /**
   * The probability below which a token goes.
   *
   * @param row Scores, without `NaN`.
   * @param max The maximum score.
   * @param weights Unnormalized probabilities of the row.
   * @param total Their sum.
   * @returns The cutoff (a probability).
   */
  protected abstract cutoff(row: Float32Array, max: number, weights: Float32Array, total: number): number;

  /**
   * Masks the tokens below the cutoff.
   *
   * @param row Scores, changed in place.
   */
  process(row: Float32Array): void {
    const { max } = scan(row);
    if (max === -Infinity) return;
    const weights = weightScratch(row.length);
    const total = expWeights(row, max, weights);
    maskBelowWeight(row, weights, this.cutoff(row, max, weights, total) * total, this.minTokensToKeep, max);
  }
}
