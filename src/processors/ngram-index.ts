// Shared by NoRepeatNGram and DRY: an open-addressing table of n-grams keyed by the history's
// own tokens (a slot holds an end position; equality is checked against the history, so a hash
// collision never merges two n-grams). Internal: not exported from the package.

const SEED = 0x9e3779b9;

/**
 * Hash of the `length` tokens ending at `end` (inclusive).
 *
 * @param tokens The history's tokens.
 * @param end The last position.
 * @param length The n-gram length (may be 0).
 * @returns An unsigned 32-bit hash.
 */
function gramHash(tokens: Int32Array, end: number, length: number): number {
  let h = SEED;
  for (let p = end - length + 1; p <= end; p++) h = Math.imul(h ^ (tokens[p] as number), 0x01000193);
  return h >>> 0;
}

/**
 * The slot of the n-gram ending at `end`: the slot that holds it, or the empty slot where it goes.
 * A slot holds `position + offset` of an end position of its n-gram, 0 when empty.
 *
 * @param slots The table (a power-of-two length, never full).
 * @param tokens The history's tokens.
 * @param end The n-gram's last position.
 * @param length The n-gram length.
 * @param offset What a slot adds to the end position it holds (at least 1).
 * @returns The slot index.
 */
export function slotOf(slots: Int32Array, tokens: Int32Array, end: number, length: number, offset: number): number {
  const mask = slots.length - 1;
  let s = gramHash(tokens, end, length) & mask;
  for (;;) {
    const owner = slots[s] as number;
    if (owner === 0) return s;
    const other = owner - offset;
    let same = true;
    for (let j = 0; j < length && same; j++) same = tokens[other - j] === tokens[end - j];
    if (same) return s;
    s = (s + 1) & mask;
  }
}

/**
 * A table twice as large holding the same entries (slots move; what they hold does not).
 *
 * @param old The full table.
 * @param tokens The history's tokens.
 * @param length The n-gram length.
 * @param offset As in {@link slotOf}.
 * @param carry Called with each old and new slot index, to move data kept beside the slots.
 * @returns The new table.
 */
export function grownTable(old: Int32Array, tokens: Int32Array, length: number, offset: number, carry?: (from: number, to: number) => void): Int32Array {
  const slots = new Int32Array(old.length * 2);
  for (let s = 0; s < old.length; s++) {
    const owner = old[s] as number;
    if (owner === 0) continue;
    const at = slotOf(slots, tokens, owner - offset, length, offset);
    slots[at] = owner;
    carry?.(s, at);
  }
  return slots;
}

/**
 * A starting table size for a history of `length` tokens: a power of two at least twice as large.
 *
 * @param length The prompt length.
 * @returns The size.
 */
export function tableSize(length: number): number {
  let capacity = 64;
  while (capacity < 2 * (length + 16)) capacity *= 2;
  return capacity;
}
