/**
 * A minimal protocol-buffers encoder, just enough to write ONNX `ModelProto` files.
 *
 * Large payloads (weights) are kept as {@link LazyBytes} and produced only while the message is
 * written to disk, so a multi-gigabyte model never has to exist in memory as a single buffer.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** Bytes with a known length whose content is produced only when it is written. */
export interface LazyBytes {
  /** Number of bytes {@link LazyBytes.produce} returns. */
  readonly byteLength: number;
  /** Produces the bytes; called once per write. */
  produce(): Uint8Array;
}

/** A piece of an encoded message: literal bytes or lazily produced bytes. */
export type Chunk = Uint8Array | LazyBytes;

const textEncoder = new TextEncoder();

/** Builds one protobuf message; nest messages with {@link ProtoWriter.message}. */
export class ProtoWriter {
  private readonly chunks: Chunk[] = [];
  private buffer = new Uint8Array(64);
  private length = 0;
  private flushedBytes = 0;

  /**
   * Total encoded size of the message in bytes.
   * @returns The size.
   */
  get byteLength(): number {
    return this.flushedBytes + this.length;
  }

  /**
   * Writes a varint field (wire type 0). Negative numbers are encoded as 64-bit two's complement.
   * @param field - Field number.
   * @param value - An integer (safe integer range).
   * @returns This writer.
   */
  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /**
   * Writes a 32-bit float field (wire type 5).
   * @param field - Field number.
   * @param value - The value.
   * @returns This writer.
   */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.raw(bytes);
    return this;
  }

  /**
   * Writes a UTF-8 string field.
   * @param field - Field number.
   * @param value - The string.
   * @returns This writer.
   */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /**
   * Writes a length-delimited bytes field.
   * @param field - Field number.
   * @param value - Literal or lazily produced bytes.
   * @returns This writer.
   */
  bytes(field: number, value: Chunk): this {
    this.tag(field, 2);
    this.varint(value.byteLength);
    if (value instanceof Uint8Array) this.raw(value);
    else this.push(value);
    return this;
  }

  /**
   * Writes an embedded message field.
   * @param field - Field number.
   * @param child - The finished child message; it must not be modified afterwards.
   * @returns This writer.
   */
  message(field: number, child: ProtoWriter): this {
    this.tag(field, 2);
    this.varint(child.byteLength);
    for (const chunk of child.toChunks()) {
      if (chunk instanceof Uint8Array) this.raw(chunk);
      else this.push(chunk);
    }
    return this;
  }

  /**
   * Returns the encoded message as chunks (literal bytes copied out of the internal buffer).
   * @returns The chunks, in order.
   */
  toChunks(): Chunk[] {
    return this.length > 0 ? [...this.chunks, this.buffer.slice(0, this.length)] : [...this.chunks];
  }

  /**
   * Encodes the whole message into one buffer, producing all lazy chunks. Only for small messages.
   * @returns The encoded bytes.
   */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const chunk of this.toChunks()) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.produce();
      out.set(bytes, offset);
      offset += bytes.byteLength;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint must be a safe integer, but is ${value}`);
    if (value < 0) {
      let big = BigInt.asUintN(64, BigInt(value));
      while (big >= 0x80n) {
        this.byte(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      this.byte(Number(big));
      return;
    }
    while (value >= 0x80) {
      this.byte((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.byte(value);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.byteLength) return;
    const grown = new Uint8Array(Math.max(this.buffer.byteLength * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private push(chunk: LazyBytes): void {
    if (this.length > 0) {
      this.chunks.push(this.buffer.slice(0, this.length));
      this.flushedBytes += this.length;
      this.length = 0;
    }
    this.chunks.push(chunk);
    this.flushedBytes += chunk.byteLength;
  }
}

/**
 * Writes chunks to a file, producing lazy chunks one at a time.
 * @param path - Destination file (created or truncated).
 * @param chunks - The chunks to write, in order.
 * @param align - If greater than 1, zero padding is inserted before every lazy chunk so that it
 *   starts at a multiple of `align` bytes (used for ONNX external data).
 * @returns The number of bytes written.
 * @throws {Error} If a lazy chunk produces a different number of bytes than it declared.
 */
export function writeChunks(path: string, chunks: Iterable<Chunk>, align = 1): number {
  const fd = openSync(path, 'w');
  let written = 0;
  const write = (bytes: Uint8Array): void => {
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    written += bytes.byteLength;
  };
  try {
    for (const chunk of chunks) {
      if (chunk instanceof Uint8Array) {
        write(chunk);
        continue;
      }
      if (align > 1 && written % align !== 0) write(new Uint8Array(align - (written % align)));
      const bytes = chunk.produce();
      if (bytes.byteLength !== chunk.byteLength) {
        throw new Error(`lazy chunk produced ${bytes.byteLength} bytes, but declared ${chunk.byteLength}`);
      }
      write(bytes);
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
