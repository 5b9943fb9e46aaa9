import { RuleLMError } from '../core/errors';
import { assertNonNegativeInteger, assertOptions, assertPositive, fail } from '../core/validate';

/** A source of uniform random numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * Creates a seeded pseudo-random source (a 32-bit mulberry-style generator): the same seed
 * gives the same sequence on every platform, so sampled generations are reproducible.
 *
 * @param seed Any integer (taken modulo 2^32).
 * @returns A function returning numbers in [0, 1).
 * @throws {RuleLMError} When `seed` is not a safe integer.
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same number on every run
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) fail('seed', 'a safe integer', seed);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** How to pick the next token: greedy (the default) or sampling with temperature, top-k and top-p. */
export interface DecodingOptions {
  /** Sample instead of taking the argmax. Default `false`. */
  readonly sample?: boolean;
  /**
   * Sampling: divide scores by this (above 0; any finite value: as it goes to 0 the draw becomes
   * greedy). Default 1.
   */
  readonly temperature?: number;
  /** Sampling: keep only the `topK` best tokens (0 keeps all). Default 0. */
  readonly topK?: number;
  /** Sampling: keep the smallest set of best tokens whose probability reaches `topP` (in (0, 1]). Default 1. */
  readonly topP?: number;
}

/** Validated decoding options. */
export interface Decoding {
  readonly sample: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/**
 * Validates decoding options.
 *
 * @param options The options.
 * @returns The options with defaults.
 * @throws {RuleLMError} On a bad or unknown option, or `temperature`, `topK` or `topP` without
 * `sample: true` (greedy decoding would ignore them).
 */
export function decodingOptions(options: DecodingOptions = {}): Decoding {
  assertOptions('decoding', options, ['sample', 'temperature', 'topK', 'topP']);
  const { sample = false, temperature = 1, topK = 0, topP = 1 } = options;
  if (typeof sample !== 'boolean') fail('sample', 'a boolean', sample);
  assertPositive('temperature', temperature);
  assertNonNegativeInteger('topK', topK);
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) fail('topP', 'a number in (0, 1]', topP);
  if (!sample) {
    const given = (['temperature', 'topK', 'topP'] as const).find((key) => options[key] !== undefined);
    if (given !== undefined) throw new RuleLMError(`\`${given}\` needs \`sample: true\` (decoding is greedy otherwise)`, { argument: given });
  }
  return { sample, temperature, topK, topP };
}

/**
 * Returns the index of the largest score (the first one on ties); -1 when every score is
 * `-Infinity` or `NaN`.
 *
 * @param row Scores.
 * @returns The argmax.
 */
export function argmax(row: Float32Array): number {
  let best = -1;
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (x > max) {
      max = x;
      best = i;
    }
  }
  return best;
}

/**
 * Picks the next token from a row of scores: the argmax, or a sample after temperature, top-k
 * and top-p (in that order, as HF transformers applies them). Does not change `row`. Tokens
 * scored `+Infinity` take all the probability (one is picked uniformly among them).
 *
 * @param row Scores (logits or log-probabilities).
 * @param decoding Validated decoding options.
 * @param random The random source (used only when sampling).
 * @returns The token id; -1 when every score is masked.
 */
export function pickToken(row: Float32Array, decoding: Decoding, random: RandomSource): number {
  if (!decoding.sample) return argmax(row);
  const { temperature, topK, topP } = decoding;
  const candidates: number[] = [];
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > -Infinity) candidates.push(i);
  if (candidates.length === 0) return -1;
  candidates.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
  // +Infinity scores take all the mass: pick uniformly among them.
  if (row[candidates[0] as number] === Infinity) {
    let forced = 1;
    while (forced < candidates.length && row[candidates[forced] as number] === Infinity) forced++;
    return candidates[Math.min(forced - 1, Math.floor(random() * forced))] as number;
  }
  const kept = topK > 0 ? candidates.slice(0, topK) : candidates;
  // exp((score - best) / temperature): the difference is at most 0 and finite, so no temperature
  // overflows it (row / temperature would be Infinity - Infinity = NaN for a tiny one); as the
  // temperature goes to 0, every weight but the best's goes to 0 (greedy is the limit).
  const best = row[kept[0] as number] as number;
  const weights = kept.map((id) => Math.exp(((row[id] as number) - best) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  let count = kept.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < kept.length; i++) {
      cumulative += (weights[i] as number) / total;
      if (cumulative >= topP) {
        count = i + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let i = 0; i < count; i++) mass += weights[i] as number;
  let target = random() * mass;
  for (let i = 0; i < count; i++) {
    target -= weights[i] as number;
    if (target < 0) return kept[i] as number;
  }
  return kept[count - 1] as number;
}
