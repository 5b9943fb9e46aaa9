/**
 * Turns a Hugging Face `tokenizer.json` into llama.cpp's GGUF tokenizer metadata.
 *
 * - SentencePiece-style BPE with byte fallback (Llama 1/2, Mistral, llama2.c's tok512: a `BPE`
 *   model with `byte_fallback`, a `▁` prefix by normalizer or Metaspace) becomes llama.cpp's
 *   `llama` (SPM) tokenizer. SPM merges the adjacent pair whose concatenation has the highest
 *   score, Hugging Face the pair of lowest merge rank; so a piece's score is minus the rank of the
 *   first merge that makes it (pieces no merge makes rank after all merges, by id; bytes and
 *   special tokens score 0). Minus the id is not enough: Llama 2 numbers whitespace runs (`▁▁`,
 *   id 259) early but merges them last. `<0x..>` pieces are byte tokens.
 * - Byte-level BPE (GPT-2 style: a `ByteLevel` pre-tokenizer, alone or after a `Split` regex)
 *   becomes llama.cpp's `gpt2` tokenizer with the merges, and a pre-tokenizer name llama.cpp
 *   knows (`gpt-2` for the GPT-2 regex, `qwen2` for Qwen's).
 *
 * Token types (llama.cpp's numbering): 1 normal, 2 unknown, 3 control (special added tokens),
 * 4 user-defined (other added tokens), 5 unused (ids the tokenizer does not define), 6 byte.
 */
import type { GgufValue } from './format';
import { fail } from './format';

type Json = Record<string, unknown>;

/** Qwen2/Qwen3's pre-tokenizer regex (from their tokenizer.json), which llama.cpp calls `qwen2`. */
const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Whether a normalizer or pre-tokenizer (possibly a Sequence) contains a part of `type`.
function parts(value: unknown, key: 'normalizers' | 'pretokenizers'): Json[] {
  if (!isObject(value)) return [];
  if (value['type'] === 'Sequence' && Array.isArray(value[key])) return (value[key] as unknown[]).flatMap((p) => parts(p, key));
  return [value];
}

/** Special token ids for the GGUF, from `config.json` / `generation_config.json`. */
export interface SpecialIds {
  readonly bos: number | null;
  /** End-of-sequence ids; the first is `eos_token_id`, a second one `eot_token_id` (llama.cpp stops on both). */
  readonly eos: readonly number[];
  readonly pad: number | null;
}

/**
 * Builds the `tokenizer.ggml.*` metadata.
 *
 * @param tokenizer The parsed `tokenizer.json`.
 * @param tokenizerConfig The parsed `tokenizer_config.json` (for `add_bos_token`), or `{}`.
 * @param vocabSize The model's vocabulary size (rows of the embedding); ids the tokenizer does not
 * define become unused `[PADn]` tokens.
 * @param special The special ids.
 * @returns The metadata entries, in order.
 * @throws {Error} For a tokenizer model other than BPE, or a pre-tokenizer llama.cpp has no name for.
 */
export function tokenizerMetadata(tokenizer: Json, tokenizerConfig: Json, vocabSize: number, special: SpecialIds): [string, GgufValue][] {
  const model = isObject(tokenizer['model']) ? tokenizer['model'] : fail('tokenizer.json has no model');
  if (model['type'] !== 'BPE') fail(`tokenizer model ${String(model['type'])} is not supported (only BPE: SentencePiece-style with byte fallback, or byte-level)`);
  const vocab = isObject(model['vocab']) ? (model['vocab'] as Record<string, number>) : fail('tokenizer.json has no vocab');
  const tokens: (string | undefined)[] = new Array<string | undefined>(vocabSize);
  const types = new Int32Array(vocabSize).fill(1);
  for (const [piece, id] of Object.entries(vocab)) if (id < vocabSize) tokens[id] = piece;
  const added = Array.isArray(tokenizer['added_tokens']) ? (tokenizer['added_tokens'] as Json[]) : [];
  for (const token of added) {
    const id = token['id'] as number;
    if (id >= vocabSize) fail(`added token ${JSON.stringify(token['content'])} has id ${id}, beyond the model's ${vocabSize} rows`);
    tokens[id] = token['content'] as string;
    types[id] = token['special'] === true ? 3 : 4;
  }
  for (let id = 0; id < vocabSize; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = 5;
    }
  }
  const unk = typeof model['unk_token'] === 'string' ? vocab[model['unk_token']] : undefined;
  if (unk !== undefined) types[unk] = 2;

  const entries: [string, GgufValue][] = [];
  const normalizers = parts(tokenizer['normalizer'], 'normalizers');
  const preTokenizers = parts(tokenizer['pre_tokenizer'], 'pretokenizers');
  const metaspace = preTokenizers.find((p) => p['type'] === 'Metaspace');
  const spm = model['byte_fallback'] === true && (metaspace !== undefined || normalizers.some((n) => n['type'] === 'Prepend' || (n['type'] === 'Replace' && n['content'] === '▁')));
  if (spm) {
    // The rank of the first merge that makes each piece: Hugging Face's priority.
    const rank = new Map<string, number>();
    const merges = Array.isArray(model['merges']) ? (model['merges'] as unknown[]) : [];
    for (let r = 0; r < merges.length; r++) {
      const merge = merges[r];
      const piece = Array.isArray(merge) ? merge.join('') : String(merge).replace(' ', '');
      if (!rank.has(piece)) rank.set(piece, r);
    }
    const scores = new Float32Array(vocabSize);
    for (let id = 0; id < vocabSize; id++) {
      const piece = tokens[id] as string;
      if (types[id] === 1 && /^<0x[0-9A-F]{2}>$/.test(piece)) types[id] = 6;
      scores[id] = types[id] === 1 ? -(rank.get(piece) ?? merges.length + id) : 0;
    }
    const prefix = metaspace !== undefined ? metaspace['prepend_scheme'] !== 'never' && metaspace['add_prefix_space'] !== false : normalizers.some((n) => n['type'] === 'Prepend');
    entries.push(
      ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
      ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
      ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens as string[] }],
      ['tokenizer.ggml.scores', { type: 'f32[]', value: scores }],
      ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
      ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: prefix }],
    );
  } else {
    const byteLevel = preTokenizers.find((p) => p['type'] === 'ByteLevel');
    if (byteLevel === undefined) fail('the tokenizer is neither SentencePiece-style BPE with byte fallback nor byte-level BPE');
    const split = preTokenizers.find((p) => p['type'] === 'Split');
    let pre: string;
    if (split !== undefined) {
      const pattern = isObject(split['pattern']) ? split['pattern']['Regex'] : undefined;
      if (pattern === QWEN2_PATTERN) pre = 'qwen2';
      else fail(`pre-tokenizer regex ${JSON.stringify(pattern)} has no llama.cpp name known to the converter`);
    } else if (byteLevel['use_regex'] !== false) pre = 'gpt-2';
    else fail('a ByteLevel pre-tokenizer without regex is not supported');
    const merges = Array.isArray(model['merges']) ? (model['merges'] as unknown[]).map((m) => (Array.isArray(m) ? m.join(' ') : String(m))) : [];
    entries.push(
      ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
      ['tokenizer.ggml.pre', { type: 'string', value: pre }],
      ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens as string[] }],
      ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
      ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
    );
  }
  if (special.bos !== null) entries.push(['tokenizer.ggml.bos_token_id', { type: 'u32', value: special.bos }]);
  if (special.eos[0] !== undefined) entries.push(['tokenizer.ggml.eos_token_id', { type: 'u32', value: special.eos[0] }]);
  if (special.eos[1] !== undefined) entries.push(['tokenizer.ggml.eot_token_id', { type: 'u32', value: special.eos[1] }]);
  if (unk !== undefined) entries.push(['tokenizer.ggml.unknown_token_id', { type: 'u32', value: unk }]);
  if (special.pad !== null) entries.push(['tokenizer.ggml.padding_token_id', { type: 'u32', value: special.pad }]);
  const post = tokenizer['post_processor'];
  const template = isObject(post) && post['type'] === 'TemplateProcessing' && Array.isArray(post['single']) ? (post['single'] as Json[]) : [];
  const addBos = typeof tokenizerConfig['add_bos_token'] === 'boolean' ? tokenizerConfig['add_bos_token'] : isObject(template[0]) && 'SpecialToken' in template[0];
  entries.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: addBos && special.bos !== null }], ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }]);
  return entries;
}
