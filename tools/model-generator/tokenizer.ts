/**
 * Reading Hugging Face `tokenizer.json` files (vocabulary size, special tokens) and creating a
 * small self-contained byte-level BPE tokenizer for tests.
 */

/** Parsed JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Special token ids of a tokenizer; `null` / empty when the tokenizer has none. */
export interface SpecialTokenIds {
  readonly bos: number | null;
  readonly eos: readonly number[];
  readonly pad: number | null;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Lists all `(token, id)` pairs of a tokenizer: the model vocabulary (BPE / WordPiece / WordLevel
 * objects or Unigram `[piece, score]` arrays) followed by the added tokens.
 * @param tokenizer - Parsed `tokenizer.json`.
 * @returns The pairs; later pairs win when a token appears twice.
 * @throws {TypeError} If the file has no recognizable vocabulary.
 */
export function tokenizerEntries(tokenizer: JsonObject): [string, number][] {
  const model = tokenizer['model'];
  const vocab = isObject(model) ? model['vocab'] : undefined;
  const entries: [string, number][] = [];
  if (Array.isArray(vocab)) {
    vocab.forEach((piece: unknown, id) => {
      if (Array.isArray(piece) && typeof piece[0] === 'string') entries.push([piece[0], id]);
    });
  } else if (isObject(vocab)) {
    for (const [token, id] of Object.entries(vocab)) if (typeof id === 'number') entries.push([token, id]);
  } else {
    throw new TypeError('`tokenizer` has no `model.vocab`; is it a Hugging Face tokenizer.json?');
  }
  const added = tokenizer['added_tokens'];
  if (Array.isArray(added)) {
    for (const token of added) {
      if (isObject(token) && typeof token['content'] === 'string' && typeof token['id'] === 'number') {
        entries.push([token['content'], token['id']]);
      }
    }
  }
  return entries;
}

/**
 * Returns the vocabulary size a model needs for a tokenizer: the largest token id + 1.
 * @param tokenizer - Parsed `tokenizer.json`.
 * @returns The size.
 * @throws {TypeError} If the file has no recognizable vocabulary.
 */
export function tokenizerVocabSize(tokenizer: JsonObject): number {
  return tokenizerEntries(tokenizer).reduce((max, [, id]) => Math.max(max, id + 1), 0);
}

const BOS_NAMES = ['<s>', '<bos>', '<|begin_of_text|>', '<|startoftext|>', '<|endoftext|>'];
const EOS_NAMES = ['</s>', '<eos>', '<|end_of_text|>', '<|endoftext|>', '<|im_end|>', '<|eot_id|>'];
const PAD_NAMES = ['<pad>', '<|pad|>', '[PAD]'];

/**
 * Finds the special tokens: from `tokenizer_config.json` (`bos_token`, `eos_token`, `pad_token`, as
 * strings or `{ content }` objects; an explicit `null` means none) when given, otherwise from
 * well-known token names (`<s>`, `</s>`, `<|endoftext|>`, `<pad>`, ...).
 * @param tokenizer - Parsed `tokenizer.json`.
 * @param config - Parsed `tokenizer_config.json`, if any.
 * @returns The ids.
 */
export function findSpecialTokens(tokenizer: JsonObject, config?: JsonObject): SpecialTokenIds {
  const ids = new Map(tokenizerEntries(tokenizer));
  const find = (key: string, names: readonly string[]): number | null => {
    if (config !== undefined && key in config) {
      const value = config[key];
      const content = isObject(value) ? value['content'] : value;
      if (typeof content === 'string' && ids.has(content)) return ids.get(content) ?? null;
      if (content === null) return null;
    }
    for (const name of names) if (ids.has(name)) return ids.get(name) ?? null;
    return null;
  };
  const eos = find('eos_token', EOS_NAMES);
  return { bos: find('bos_token', BOS_NAMES), eos: eos === null ? [] : [eos], pad: find('pad_token', PAD_NAMES) };
}

/**
 * Returns the token string of an id.
 * @param tokenizer - Parsed `tokenizer.json`.
 * @param id - Token id.
 * @returns The token, or `undefined`.
 */
export function tokenById(tokenizer: JsonObject, id: number): string | undefined {
  return tokenizerEntries(tokenizer).find(([, tokenId]) => tokenId === id)?.[0];
}

// GPT-2's reversible mapping of bytes to printable characters.
const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    chars.push(String.fromCharCode(printable ? b : 256 + extra++));
  }
  return chars;
})();

const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Default training text of {@link createByteLevelTokenizer}. */
export const DEFAULT_TOKENIZER_CORPUS: string = [
  'Once upon a time, there was a little girl named Lily. She liked to play in the park with her friends.',
  'One day, Lily saw a big red ball under a tree. She wanted to play with the ball, but it was not hers.',
  'Her mom said, "You can ask the boy if you can play with him." Lily was happy and said thank you.',
  'The boy and the girl played all day in the sun. They were good friends and they had a lot of fun.',
  'Question: What is the answer? Answer: The answer is yes. Please write a short story about a dog.',
  'Write a list of three things. Use only lower case letters, and do not use any commas in your reply.',
  'The quick brown fox jumps over the lazy dog. 1, 2, 3, 4, 5, 10, 20, 100 and 2024 are numbers.',
  'It was a sunny morning when the cat and the bird went to the river to look for something to eat.',
].join('\n');

/** Options of {@link createByteLevelTokenizer}. */
export interface ByteLevelTokenizerOptions {
  /** Maximum number of BPE merges learned from `corpus` (fewer if pairs run out); default 256. */
  readonly merges?: number;
  /** Training text; default {@link DEFAULT_TOKENIZER_CORPUS}. */
  readonly corpus?: string;
  /** Prepend `<s>` to every encoded text (like Llama); default true. */
  readonly addBos?: boolean;
  /** `model_max_length` written to the config; default 2048. */
  readonly modelMaxLength?: number;
}

/** A tokenizer as the two JSON files transformers.js loads. */
export interface TokenizerFiles {
  /** Content of `tokenizer.json`. */
  readonly tokenizer: JsonObject;
  /** Content of `tokenizer_config.json`. */
  readonly tokenizerConfig: JsonObject;
}

/**
 * Creates a GPT-2-style byte-level BPE tokenizer with merges trained deterministically on a small
 * corpus. It encodes any text losslessly (every byte has a token), needs no files, and has ids
 * `<pad>` = 0, `<s>` = 1, `</s>` = 2, bytes 3..258, merges from 259.
 * @param options - Merge count, corpus and BOS behaviour.
 * @returns The `tokenizer.json` and `tokenizer_config.json` contents.
 * @throws {RangeError} If `merges` is not a non-negative integer.
 */
export function createByteLevelTokenizer(options: ByteLevelTokenizerOptions = {}): TokenizerFiles {
  const maxMerges = options.merges ?? 256;
  if (!Number.isSafeInteger(maxMerges) || maxMerges < 0) {
    throw new RangeError(`\`merges\` must be a non-negative integer, but is ${String(maxMerges)}`);
  }
  const specials = ['<pad>', '<s>', '</s>'];
  const vocab: Record<string, number> = {};
  let nextId = specials.length;
  for (const char of BYTE_TO_CHAR) vocab[char] = nextId++;

  // Word frequencies of the pre-tokenized corpus, as sequences of byte characters.
  const bytesOf = (text: string): string[] => Array.from(new TextEncoder().encode(text), (b) => BYTE_TO_CHAR[b] ?? '');
  const counts = new Map<string, number>();
  for (const word of (options.corpus ?? DEFAULT_TOKENIZER_CORPUS).match(PRE_TOKENIZE) ?? []) {
    const key = bytesOf(word).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let words = [...counts].map(([key, count]) => ({ symbols: key.split(' '), count }));

  const merges: string[] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        pairs.set(pair, (pairs.get(pair) ?? 0) + count);
      }
    }
    let best: [string, number] | undefined;
    for (const entry of pairs) {
      if (best === undefined || entry[1] > best[1] || (entry[1] === best[1] && entry[0] < best[0])) best = entry;
    }
    if (best === undefined || best[1] < 2) break;
    const [left = '', right = ''] = best[0].split(' ');
    merges.push(best[0]);
    if (!(left + right in vocab)) vocab[left + right] = nextId++;
    words = words.map(({ symbols, count }) => {
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(symbols[i] ?? '');
        }
      }
      return { symbols: merged, count };
    });
  }

  const addBos = options.addBos ?? true;
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: addBos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '<s>', type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
        }
      : null,
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(specials.map((s, id) => [s, id]).concat(Object.entries(vocab))),
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '<s>',
    eos_token: '</s>',
    pad_token: '<pad>',
    add_bos_token: addBos,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
  };
  return { tokenizer, tokenizerConfig };
}
