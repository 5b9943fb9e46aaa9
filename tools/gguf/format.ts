/**
 * The GGUF file format (version 3), as llama.cpp reads it: a header, typed metadata key/values,
 * tensor descriptions, then the tensor data, each tensor aligned. Only what the writer needs:
 * F32 tensors; scalar, string and array metadata.
 *
 * Layout (little-endian): `"GGUF"`, `u32 version`, `u64 tensorCount`, `u64 metadataCount`, the
 * metadata (`string key`, `u32 type`, value), the tensor infos (`string name`, `u32 nDims`,
 * `u64 dims[nDims]` innermost first, `u32 type`, `u64 offset` into the data section), zero padding
 * to `general.alignment` (32 by default), the data. A string is `u64 length` + UTF-8 bytes.
 * Source: llama.cpp's `ggml/include/gguf.h` and its GGUF specification (read, not copied).
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * Throws the converter's error for input it cannot convert.
 *
 * @param message What is wrong.
 * @throws {Error} Always: `rulelm gguf: <message>`.
 */
export function fail(message: string): never {
  throw new Error(`rulelm gguf: ${message}`);
}

/** GGUF metadata value types (the numbering of the format). */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** A metadata value: a scalar with its type, or an array of one element type. */
export type GgufValue =
  | { readonly type: 'u32' | 'i32' | 'f32' | 'u64'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'string[]'; readonly value: readonly string[] }
  | { readonly type: 'f32[]'; readonly value: ArrayLike<number> }
  | { readonly type: 'i32[]'; readonly value: ArrayLike<number> };

/** An F32 tensor: `dims` in GGUF order (innermost, i.e. the row length, first). */
export interface GgufTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** GGML tensor type F32. */
const GGML_TYPE_F32 = 0;
/** Alignment of the data section and of each tensor (llama.cpp's default `general.alignment`). */
export const GGUF_ALIGNMENT = 32;

// A growable little-endian byte buffer for the header part.
class Bytes {
  #buffer = Buffer.alloc(1 << 16);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const next = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + n));
    this.#buffer.copy(next, 0, 0, this.#length);
    this.#buffer = next;
  }

  // Writes one little-endian number of `size` bytes with the Buffer method `write`.
  #number(size: number, write: (buffer: Buffer, offset: number) => unknown): void {
    this.#reserve(size);
    write(this.#buffer, this.#length);
    this.#length += size;
  }

  u8(value: number): void {
    this.#number(1, (b, o) => b.writeUInt8(value, o));
  }

  u32(value: number): void {
    this.#number(4, (b, o) => b.writeUInt32LE(value, o));
  }

  i32(value: number): void {
    this.#number(4, (b, o) => b.writeInt32LE(value, o));
  }

  u64(value: number): void {
    this.#number(8, (b, o) => b.writeBigUInt64LE(BigInt(value), o));
  }

  f32(value: number): void {
    this.#number(4, (b, o) => b.writeFloatLE(value, o));
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.#reserve(bytes.length);
    bytes.copy(this.#buffer, this.#length);
    this.#length += bytes.length;
  }

  pad(alignment: number): void {
    while (this.#length % alignment !== 0) this.u8(0);
  }

  view(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

// The numeric value types: their GGUF type code and writer.
const NUMBERS: Record<'u32' | 'i32' | 'u64' | 'f32', readonly [number, (out: Bytes, value: number) => void]> = {
  u32: [GgufType.UINT32, (out, value) => out.u32(value)],
  i32: [GgufType.INT32, (out, value) => out.i32(value)],
  u64: [GgufType.UINT64, (out, value) => out.u64(value)],
  f32: [GgufType.FLOAT32, (out, value) => out.f32(value)],
};

function writeValue(out: Bytes, value: GgufValue): void {
  if (value.type === 'bool') {
    out.u32(GgufType.BOOL);
    out.u8(value.value ? 1 : 0);
  } else if (value.type === 'string') {
    out.u32(GgufType.STRING);
    out.string(value.value);
  } else if (value.type === 'string[]') {
    out.u32(GgufType.ARRAY);
    out.u32(GgufType.STRING);
    out.u64(value.value.length);
    for (const s of value.value) out.string(s);
  } else if (value.type === 'f32[]' || value.type === 'i32[]') {
    const [code, write] = NUMBERS[value.type === 'f32[]' ? 'f32' : 'i32'];
    out.u32(GgufType.ARRAY);
    out.u32(code);
    out.u64(value.value.length);
    for (let i = 0; i < value.value.length; i++) write(out, value.value[i] as number);
  } else {
    const [code, write] = NUMBERS[value.type];
    out.u32(code);
    write(out, value.value);
  }
}

/**
 * Encodes the header part of a GGUF file (everything before the tensor data, padded), and the
 * data offset of each tensor.
 *
 * @param metadata Key/values, in order (`general.architecture` first, as llama.cpp expects).
 * @param tensors The tensors, in file order.
 * @returns The header bytes and each tensor's offset in the data section.
 * @throws {RangeError} When a tensor's data length differs from the product of its dims.
 */
export function encodeGgufHeader(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): { header: Buffer; offsets: number[] } {
  const out = new Bytes();
  out.u32(0x46554747); // "GGUF" little-endian
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.size);
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) throw new RangeError(`tensor ${tensor.name}: dims ${JSON.stringify(tensor.dims)} hold ${count} values, but the data has ${tensor.data.length}`);
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const d of tensor.dims) out.u64(d);
    out.u32(GGML_TYPE_F32);
    out.u64(offset);
    offsets.push(offset);
    offset += Math.ceil((count * 4) / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  out.pad(GGUF_ALIGNMENT);
  return { header: Buffer.from(out.view()), offsets };
}

/**
 * Writes a GGUF file (through a temporary file renamed into place, so a reader never sees half a
 * file).
 *
 * @param path The output path.
 * @param metadata Key/values, in order.
 * @param tensors F32 tensors, in file order.
 * @returns The file size in bytes.
 */
export function writeGguf(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): number {
  const { header } = encodeGgufHeader(metadata, tensors);
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  let size = 0;
  try {
    size += writeSync(fd, header);
    const zeros = Buffer.alloc(GGUF_ALIGNMENT);
    for (const tensor of tensors) {
      const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      size += writeSync(fd, bytes);
      const padding = (GGUF_ALIGNMENT - (bytes.length % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
      if (padding > 0) size += writeSync(fd, zeros, 0, padding);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return size;
}
