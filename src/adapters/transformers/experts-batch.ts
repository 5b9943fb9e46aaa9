// The prompts of generateWithExperts as one batch: token ids per row, left-padded, with the
// attention mask that hides the padding.
import type { ExpertTokenizerLike } from './experts';
import { fail, toTokenIds } from '../../core/validate';

/** A left-padded batch of prompts. */
export interface PromptBatch {
  /** Each row's input ids, `[batch][width]`: padding, then the prompt. The loop appends each step's tokens. */
  readonly inputIds: bigint[][];
  /** The attention mask, row after row: `0n` on padding, `1n` on prompt tokens (`batch * width` values). */
  readonly attentionMask: BigInt64Array;
  /** The width of the batch (the longest prompt). */
  readonly width: number;
}

/**
 * Reads the prompts as token ids: strings are encoded, id arrays checked.
 *
 * @param tokenizer Encodes string prompts.
 * @param prompts One prompt, a batch of them, or token ids (one array per row).
 * @returns One array of ids per row, none empty.
 * @throws {RuleLMError} On anything else, an empty batch, or an empty prompt.
 */
export function promptIds(tokenizer: ExpertTokenizerLike, prompts: unknown): number[][] {
  const list: readonly unknown[] = typeof prompts === 'string' ? [prompts] : Array.isArray(prompts) ? prompts : fail('prompts', 'a string, an array of strings or an array of token id arrays', prompts);
  if (list.length === 0) fail('prompts', 'a non-empty list', prompts);
  const rows = list.map((p, i) => (typeof p === 'string' ? tokenizer.encode(p) : [...toTokenIds(`prompts[${i}]`, p, { allowEmpty: true })]));
  if (rows.some((r) => r.length === 0)) fail('prompts', 'prompts of at least one token', prompts);
  return rows;
}

/**
 * Left-pads rows of token ids to the longest, as transformers.js batches prompts for decoder
 * models, so that every row's next token comes at the same position.
 *
 * @param rows The prompts' ids (at least one row).
 * @param padId The padding id.
 * @returns The batch.
 * @example
 * ```ts
 * leftPad([[5, 6, 7], [8]], 0); // inputIds [[5n, 6n, 7n], [0n, 0n, 8n]], attentionMask [1n, 1n, 1n, 0n, 0n, 1n]
 * ```
 */
export function leftPad(rows: readonly (readonly number[])[], padId: number): PromptBatch {
  const width = Math.max(...rows.map((r) => r.length));
  const inputIds = rows.map((r) => [...new Array<bigint>(width - r.length).fill(BigInt(padId)), ...r.map(BigInt)]);
  const attentionMask = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => attentionMask.fill(1n, b * width + width - r.length, (b + 1) * width));
  return { inputIds, attentionMask, width };
}
