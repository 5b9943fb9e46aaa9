/**
 * The floor every per-step cost is compared with: one `log_softmax` over a score row, the
 * least work that touches every score (a pass for the maximum, one for the sum of
 * exponentials, one to write the result).
 *
 * @param row The scores.
 * @param out Where to write `row - logSumExp(row)` (may be `row` itself).
 * @returns `out`.
 */
export function logSoftmax(row: Float32Array, out: Float32Array): Float32Array {
  const n = row.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = row[i] as number;
    if (x > max) max = x;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((row[i] as number) - max);
  const shift = max + Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = (row[i] as number) - shift;
  return out;
}
