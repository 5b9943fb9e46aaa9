/**
 * A small builder for ONNX graphs (opset 17, default domain) and a streaming model writer.
 */
import { basename } from 'node:path';
import { type Chunk, type LazyBytes, ProtoWriter, writeChunks } from './protobuf';

/** ONNX tensor element types used by the generator. */
export type ElemType = 'float32' | 'int64' | 'bool';

const ELEM_TYPE_CODES: Record<ElemType, number> = { float32: 1, int64: 7, bool: 9 };

/** The ONNX opset version of generated graphs. */
export const OPSET_VERSION = 17;
/** The ONNX IR version matching {@link OPSET_VERSION}. */
export const IR_VERSION = 8;

/** A node attribute; create one with {@link int}, {@link ints} or {@link float}. */
export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number };

/**
 * Creates an integer attribute.
 * @param value - The integer.
 * @returns The attribute.
 */
export function int(value: number): Attribute {
  return { kind: 'int', value };
}

/**
 * Creates an integer-list attribute.
 * @param value - The integers.
 * @returns The attribute.
 */
export function ints(value: readonly number[]): Attribute {
  return { kind: 'ints', value };
}

/**
 * Creates a float attribute.
 * @param value - The number (stored as float32).
 * @returns The attribute.
 */
export function float(value: number): Attribute {
  return { kind: 'float', value };
}

/** A graph input or output: a name, element type and shape (numbers or symbolic dimension names). */
export interface ValueInfo {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly (number | string)[];
}

interface Node {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, Attribute>>;
}

interface Initializer {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: LazyBytes;
  /** Small constants stay inline so that ONNX Runtime can use them for shape inference. */
  readonly inline: boolean;
}

/** Where {@link GraphBuilder.writeModel} put the weights. */
export interface WrittenModel {
  /** Size of the `.onnx` file in bytes. */
  readonly modelBytes: number;
  /** Path of the external data file, if weights were written externally. */
  readonly externalDataPath?: string;
  /** Size of the external data file in bytes (0 when weights are inside the model). */
  readonly externalDataBytes: number;
}

const EXTERNAL_DATA_ALIGNMENT = 4096;

/** Collects inputs, outputs, nodes and initializers of one ONNX graph. */
export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly constants = new Map<string, string>();
  private readonly names = new Set<string>();
  private counter = 0;

  /**
   * Creates a graph builder.
   * @param name - The graph's name.
   */
  constructor(readonly name: string) {}

  /**
   * Total number of float32 weights in initializers.
   * @returns The count.
   */
  get parameterCount(): number {
    let count = 0;
    for (const init of this.initializers) if (init.type === 'float32') count += init.data.byteLength / 4;
    return count;
  }

  /**
   * Total size of all initializer data in bytes.
   * @returns The size.
   */
  get initializerBytes(): number {
    return this.initializers.reduce((sum, init) => sum + init.data.byteLength, 0);
  }

  /**
   * Declares a graph input.
   * @param info - Name, element type and shape.
   * @returns The input's value name.
   */
  input(info: ValueInfo): string {
    this.claim(info.name);
    this.inputs.push(info);
    return info.name;
  }

  /**
   * Declares an existing value as a graph output.
   * @param info - Name (of a value produced by a node), element type and shape.
   */
  output(info: ValueInfo): void {
    this.outputs.push(info);
  }

  /**
   * Adds a float32 weight whose data is produced only when the model is written.
   * @param name - Unique initializer name.
   * @param dims - Shape.
   * @param fill - Fills the (zeroed) data array; must be deterministic.
   * @returns The initializer's value name.
   */
  weight(name: string, dims: readonly number[], fill: (data: Float32Array) => void): string {
    this.claim(name);
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({
      name,
      type: 'float32',
      dims,
      inline: false,
      data: {
        byteLength: count * 4,
        produce: () => {
          const data = new Float32Array(count);
          fill(data);
          return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        },
      },
    });
    return name;
  }

  /**
   * Adds (or reuses) a small constant tensor.
   * @param type - `'int64'` or `'float32'`.
   * @param values - The values, row-major.
   * @param dims - Shape; defaults to a 1-D tensor, use `[]` for a scalar.
   * @returns The constant's value name.
   */
  constant(type: 'int64' | 'float32', values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${type}[${dims.join(',')}]${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.fresh('const');
    const bytes =
      type === 'int64'
        ? new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
        : new Uint8Array(Float32Array.from(values).buffer);
    this.initializers.push({ name, type, dims, inline: true, data: { byteLength: bytes.byteLength, produce: () => bytes } });
    this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node with one output.
   * @param op - Operator type, e.g. `'MatMul'`.
   * @param inputs - Input value names (use `''` for an omitted optional input).
   * @param attributes - Node attributes.
   * @param output - Name of the output value; a fresh name is generated if omitted.
   * @returns The output's value name.
   */
  op(op: string, inputs: readonly string[], attributes: Readonly<Record<string, Attribute>> = {}, output?: string): string {
    const out = output ?? this.fresh(op);
    if (output !== undefined) this.claim(output);
    this.nodes.push({ op, inputs, outputs: [out], attributes });
    return out;
  }

  /**
   * Encodes the graph as an ONNX `ModelProto`.
   * @param externalData - If given, weights (not small constants) are stored in this file (a name
   *   relative to the model file) instead of inside the model; offsets are aligned to 4096 bytes.
   * @returns The encoded model (weights still lazy).
   */
  encode(externalData?: string): ProtoWriter {
    const graph = new ProtoWriter();
    this.nodes.forEach((node, index) => graph.message(1, encodeNode(node, index)));
    graph.string(2, this.name);
    let offset = 0;
    for (const init of this.initializers) {
      const tensor = new ProtoWriter();
      for (const dim of init.dims) tensor.int(1, dim);
      tensor.int(2, ELEM_TYPE_CODES[init.type]).string(8, init.name);
      if (externalData === undefined || init.inline) {
        tensor.bytes(9, init.data);
      } else {
        offset = Math.ceil(offset / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
        const entries: [string, string][] = [
          ['location', externalData],
          ['offset', String(offset)],
          ['length', String(init.data.byteLength)],
        ];
        for (const [key, value] of entries) tensor.message(13, new ProtoWriter().string(1, key).string(2, value));
        tensor.int(14, 1);
        offset += init.data.byteLength;
      }
      graph.message(5, tensor);
    }
    for (const info of this.inputs) graph.message(11, encodeValueInfo(info));
    for (const info of this.outputs) graph.message(12, encodeValueInfo(info));

    return new ProtoWriter()
      .int(1, IR_VERSION)
      .string(2, 'rulelm-model-generator')
      .string(3, '1')
      .message(7, graph)
      .message(8, new ProtoWriter().string(1, '').int(2, OPSET_VERSION));
  }

  /**
   * Writes the model to disk, streaming the weights.
   * @param path - Path of the `.onnx` file.
   * @param externalData - Whether to store the weights in `<path>_data` next to the model (required
   *   when the model would exceed protobuf's 2 GiB limit).
   * @returns Sizes of the written files.
   */
  writeModel(path: string, externalData: boolean): WrittenModel {
    if (!externalData) {
      return { modelBytes: writeChunks(path, this.encode().toChunks()), externalDataBytes: 0 };
    }
    const dataPath = `${path}_data`;
    const modelBytes = writeChunks(path, this.encode(basename(dataPath)).toChunks());
    const dataChunks: Chunk[] = this.initializers.filter((init) => !init.inline).map((init) => init.data);
    const externalDataBytes = writeChunks(dataPath, dataChunks, EXTERNAL_DATA_ALIGNMENT);
    return { modelBytes, externalDataPath: dataPath, externalDataBytes };
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`duplicate value name "${name}"`);
    this.names.add(name);
  }
}

function encodeNode(node: Node, index: number): ProtoWriter {
  const proto = new ProtoWriter();
  for (const input of node.inputs) proto.string(1, input);
  for (const output of node.outputs) proto.string(2, output);
  proto.string(3, `${node.op}_node_${index}`).string(4, node.op);
  for (const [name, attr] of Object.entries(node.attributes)) {
    const a = new ProtoWriter().string(1, name);
    if (attr.kind === 'float') a.float(2, attr.value).int(20, 1);
    else if (attr.kind === 'int') a.int(3, attr.value).int(20, 2);
    else {
      for (const v of attr.value) a.int(8, v);
      a.int(20, 7);
    }
    proto.message(5, a);
  }
  return proto;
}

function encodeValueInfo(info: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.dims) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.int(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoWriter().int(1, ELEM_TYPE_CODES[info.type]).message(2, shape);
  return new ProtoWriter().string(1, info.name).message(2, new ProtoWriter().message(1, tensorType));
}
