import { RuleLMError } from './errors';
import { assertOneOf, assertOptions, fail, toTokenIds } from './validate';

/**
 * How a vocabulary spells text in its pieces:
 * - `"sentencepiece"`: `▁` (U+2581) stands for a space and `<0xNN>` pieces for bytes (Llama 2, Mistral, Gemma);
 * - `"byte-level"`: GPT-2's byte-to-character table, `Ġ` for a space and `Ċ` for a newline (GPT-2, Llama 3, Qwen);
 * - `"plain"`: pieces are the text they spell.
 */
export type VocabularyKind = 'sentencepiece' | 'byte-level' | 'plain';

/** A tokenizer's vocabulary as rulelm sees it: id to piece, the text each piece spells, and encoding. */
export interface Vocabulary {
  /** How pieces spell text. */
  readonly kind: VocabularyKind;
  /** Number of ids: the largest id plus one. */
  readonly size: number;
  /** The end-of-sequence ids the tokenizer declares (may be empty). */
  readonly eosTokenIds: readonly number[];
  /** Encodes text to ids without special tokens, when the source can. */
  readonly encode: ((text: string) => readonly number[]) | undefined;
  /** The raw piece of an id, or `undefined` for an id without one. */
  piece(id: number): string | undefined;
  /** The text an id spells (special tokens and partial UTF-8 bytes spell none: `undefined`). */
  surface(id: number): string | undefined;
  /**
   * The UTF-8 bytes an id spells, also for byte pieces that are only part of a character
   * (`<0xC3>`, GPT-2's `Ã`); `undefined` for special tokens and ids without a piece. A run of
   * tokens spells a text when its bytes, concatenated, are the text's UTF-8 bytes.
   */
  bytes(id: number): Uint8Array | undefined;
  /**
   * Every id whose surface is exactly `text`, in increasing order. SentencePiece byte-fallback
   * pieces (`<0x3C>`) count only when no regular piece spells the text (a tokenizer produces
   * them only then), so `"\n"` is `<0x0A>` on Llama 2 but `"<"` is the piece `<`.
   */
  idsWithSurface(text: string): readonly number[];
}

/** What {@link createVocabulary} builds a vocabulary from. */
export interface VocabularySource {
  /** The pieces: an array indexed by id, or a map / record from piece to id. */
  readonly pieces: readonly (string | undefined)[] | ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** How pieces spell text; detected from the pieces when absent. */
  readonly kind?: VocabularyKind;
  /** End-of-sequence id(s). */
  readonly eosTokenIds?: number | readonly number[];
  /** Ids of special tokens; they spell no text. */
  readonly specialTokenIds?: readonly number[];
  /** Encoder without special tokens, used for multi-token text and markers. */
  readonly encode?: (text: string) => readonly number[];
}

/** The structural part of a transformers.js tokenizer that rulelm reads. */
export interface TokenizerLike {
  get_vocab(): ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  readonly eos_token_id?: number | null | undefined;
  readonly all_special_ids?: readonly number[] | undefined;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

let byteDecoder: Map<string, number> | undefined;

// The inverse of GPT-2's byte-to-character table (built once).
function byteLevelTable(): Map<string, number> {
  if (byteDecoder) return byteDecoder;
  const table = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table.set(String.fromCharCode(printable ? b : 256 + extra++), b);
  }
  byteDecoder = table;
  return table;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const utf8Encoder = new TextEncoder();

function bytesOf(kind: VocabularyKind, piece: string): Uint8Array {
  if (kind === 'sentencepiece') {
    const byte = BYTE_PIECE.exec(piece);
    if (byte) return Uint8Array.of(parseInt(byte[1] as string, 16));
    return utf8Encoder.encode(piece.replaceAll('\u2581', ' '));
  }
  if (kind === 'byte-level') {
    const table = byteLevelTable();
    const bytes: number[] = [];
    for (const ch of piece) {
      const b = table.get(ch);
      if (b === undefined) return utf8Encoder.encode(piece); // an added token written in plain text
      bytes.push(b);
    }
    return Uint8Array.from(bytes);
  }
  return utf8Encoder.encode(piece);
}

function surfaceOf(kind: VocabularyKind, piece: string): string | undefined {
  if (kind === 'plain') return piece;
  try {
    return utf8.decode(bytesOf(kind, piece));
  } catch {
    return undefined;
  }
}

function detectKind(pieces: readonly (string | undefined)[]): VocabularyKind {
  let sp = 0;
  let bl = 0;
  for (const p of pieces) {
    if (p === undefined) continue;
    if (p.startsWith('\u2581')) sp++;
    else if (p.startsWith('\u0120') || p === '\u010a') bl++;
  }
  if (sp === 0 && bl === 0) return 'plain';
  return sp >= bl ? 'sentencepiece' : 'byte-level';
}

/**
 * Creates a vocabulary from pieces (and optionally an encoder).
 *
 * @param source The pieces and what else is known of the tokenizer.
 * @returns The vocabulary.
 * @throws {RuleLMError} On an empty vocabulary, a bad id or a bad `kind`.
 * @example
 * ```ts
 * const vocabulary = createVocabulary({ pieces: ['<unk>', '<s>', '</s>', '▁I', 'I'], eosTokenIds: 2 });
 * vocabulary.idsWithSurface(' I'); // [3]
 * ```
 */
export /* @__NO_SIDE_EFFECTS__ */ function createVocabulary(source: VocabularySource): Vocabulary {
  if (typeof source !== 'object' || source === null) fail('source', 'an object with `pieces`', source);
  assertOptions('source', source, ['pieces', 'kind', 'eosTokenIds', 'specialTokenIds', 'encode']);
  const raw = source.pieces;
  let pieces: (string | undefined)[];
  if (Array.isArray(raw)) {
    pieces = raw.map((p, i) => (p === undefined || typeof p === 'string' ? p : fail(`pieces[${i}]`, 'a string', p)));
  } else if (raw instanceof Map || (typeof raw === 'object' && raw !== null)) {
    pieces = [];
    const entries = raw instanceof Map ? [...(raw as ReadonlyMap<string, number>).entries()] : Object.entries(raw);
    for (const [piece, id] of entries) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`pieces[${JSON.stringify(piece)}]`, 'a token id', id);
      pieces[id] = piece;
    }
  } else {
    fail('pieces', 'an array of pieces or a map from piece to id', raw);
  }
  if (pieces.length === 0) fail('pieces', 'a non-empty vocabulary', raw);
  const kind = source.kind ?? detectKind(pieces);
  assertOneOf('kind', kind, ['sentencepiece', 'byte-level', 'plain'] as const);
  const eos = source.eosTokenIds;
  const eosTokenIds = eos === undefined ? [] : [...toTokenIds('eosTokenIds', typeof eos === 'number' ? [eos] : eos)];
  const special = new Set(source.specialTokenIds === undefined ? [] : toTokenIds('specialTokenIds', source.specialTokenIds, { allowEmpty: true }));
  const encode = source.encode;
  if (encode !== undefined && typeof encode !== 'function') fail('encode', 'a function', encode);
  const size = pieces.length;
  let surfaces: (string | undefined)[] | undefined;
  let bySurface: Map<string, number[]> | undefined;
  const allSurfaces = (): (string | undefined)[] => {
    if (!surfaces) {
      surfaces = new Array<string | undefined>(size);
      for (let id = 0; id < size; id++) {
        const p = pieces[id];
        surfaces[id] = p === undefined || special.has(id) ? undefined : surfaceOf(kind, p);
      }
    }
    return surfaces;
  };
  return {
    kind,
    size,
    eosTokenIds,
    encode,
    piece: (id) => pieces[id],
    surface: (id) => allSurfaces()[id],
    bytes(id: number): Uint8Array | undefined {
      const p = pieces[id];
      return p === undefined || special.has(id) ? undefined : bytesOf(kind, p);
    },
    idsWithSurface(text: string): readonly number[] {
      if (!bySurface) {
        const regular = new Map<string, number[]>();
        const fallback = new Map<string, number[]>();
        allSurfaces().forEach((s, id) => {
          if (s === undefined) return;
          const map = kind === 'sentencepiece' && BYTE_PIECE.test(pieces[id] as string) ? fallback : regular;
          const list = map.get(s);
          if (list) list.push(id);
          else map.set(s, [id]);
        });
        for (const [s, ids] of fallback) if (!regular.has(s)) regular.set(s, ids);
        bySurface = regular;
      }
      return bySurface.get(text) ?? [];
    },
  };
}

const fromTokenizer = new WeakMap<object, Vocabulary>();

function isVocabulary(value: object): value is Vocabulary {
  const v = value as Vocabulary;
  return typeof v.idsWithSurface === 'function' && typeof v.surface === 'function' && typeof v.bytes === 'function';
}

/**
 * Returns the vocabulary of a tokenizer: a rulelm {@link Vocabulary} as it is, or a
 * transformers.js tokenizer (anything with `get_vocab()` and `encode()`), read once and cached.
 *
 * @param tokenizer A vocabulary or a transformers.js tokenizer.
 * @returns The vocabulary.
 * @throws {RuleLMError} When `tokenizer` is neither.
 */
export function toVocabulary(tokenizer: Vocabulary | TokenizerLike): Vocabulary {
  // transformers.js tokenizers are callable objects, so functions are accepted too.
  if ((typeof tokenizer !== 'object' && typeof tokenizer !== 'function') || tokenizer === null) {
    fail('tokenizer', 'a transformers.js tokenizer or a rulelm vocabulary', tokenizer);
  }
  if (isVocabulary(tokenizer)) return tokenizer;
  const cached = fromTokenizer.get(tokenizer);
  if (cached) return cached;
  if (typeof tokenizer.get_vocab !== 'function' || typeof tokenizer.encode !== 'function') {
    throw new RuleLMError('`tokenizer` must be a transformers.js tokenizer (with get_vocab() and encode()) or a rulelm vocabulary', {
      argument: 'tokenizer',
    });
  }
  const eos = tokenizer.eos_token_id;
  const vocabulary = createVocabulary({
    pieces: tokenizer.get_vocab(),
    ...(typeof eos === 'number' ? { eosTokenIds: eos } : {}),
    ...(tokenizer.all_special_ids ? { specialTokenIds: tokenizer.all_special_ids } : {}),
    encode: (text: string) => tokenizer.encode(text, { add_special_tokens: false }),
  });
  fromTokenizer.set(tokenizer, vocabulary);
  return vocabulary;
}
