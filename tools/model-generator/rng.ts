/**
 * Seeded pseudo-random numbers for reproducible model weights.
 *
 * Every tensor gets its own stream derived from the model seed and the tensor's name, so the
 * values of a tensor do not depend on the order in which tensors are generated.
 */

/** A function returning uniformly distributed numbers in `[0, 1)`. */
export type UniformRandom = () => number;

/**
 * Hashes a string to an unsigned 32-bit integer (FNV-1a over UTF-16 code units).
 * @param text - The string to hash.
 * @returns The hash, in `[0, 2^32)`.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Creates a splitmix32 generator: fast, 32-bit state, good enough statistical quality for weights.
 * @param seed - Any number; only its low 32 bits are used.
 * @param stream - Optional name mixed into the seed, giving an independent stream per name.
 * @returns A function returning uniformly distributed numbers in `[0, 1)`.
 */
export function createRng(seed: number, stream = ''): UniformRandom {
  let state = (seed ^ hashString(stream)) >>> 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  };
}

/**
 * Fills an array with normally distributed values (Box-Muller transform).
 * @param out - The array to fill in place.
 * @param std - Standard deviation of the values.
 * @param random - Source of uniform random numbers.
 * @param mean - Mean of the values.
 * @returns `out`, for chaining.
 */
export function fillNormal(out: Float32Array, std: number, random: UniformRandom, mean = 0): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = mean + radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = mean + radius * Math.sin(angle);
  }
  return out;
}
