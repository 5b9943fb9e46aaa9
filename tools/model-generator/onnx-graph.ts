/**
 * A small builder for ONNX graphs (opset 17, default domain) and a model writer.
 *
 * The `ModelProto` is encoded with the `onnx-proto` package. Weights are produced only when the
 * model is written: as `rawData` inside the `.onnx` file, or, for models too large for one
 * protobuf message, streamed one tensor at a time into an external data file.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type * as OnnxProto from 'onnx-proto';

/**
 * onnx-proto's `onnx` namespace (the ONNX protobuf messages), for the generator and tools/gguf.
 * onnx-proto is CommonJS that replaces `module.exports`, so Node's ES module loader sees only its
 * default export, while its type declarations declare named exports: it is loaded with `require`.
 */
export const onnx: typeof OnnxProto.onnx = (createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx;

/** ONNX tensor element types used by the generator. */
export type ElemType = 'float32' | 'int64' | 'bool';

const ELEM_TYPE_CODES: Record<ElemType, OnnxProto.onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

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
  /** Size of the data in bytes. */
  readonly byteLength: number;
  /** Produces the data (little-endian, row-major); called once per write. */
  readonly produce: () => Uint8Array;
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
    for (const init of this.initializers) if (init.type === 'float32') count += init.byteLength / 4;
    return count;
  }

  /**
   * Total size of all initializer data in bytes.
   * @returns The size.
   */
  get initializerBytes(): number {
    return this.initializers.reduce((sum, init) => sum + init.byteLength, 0);
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
      byteLength: count * 4,
      produce: () => {
        const data = new Float32Array(count);
        fill(data);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
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
    this.initializers.push({ name, type, dims, inline: true, byteLength: bytes.byteLength, produce: () => bytes });
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
   * Encodes the graph as an ONNX `ModelProto` with `onnx-proto`. All weights stored inside the model
   * are produced, so the whole model is in memory (about twice the weights' size at the peak).
   * @param externalData - If given, weights (not small constants) are referenced in this file (a
   *   name relative to the model file) instead of stored inside the model, at the offsets
   *   {@link GraphBuilder.writeModel} writes them to (multiples of 4096 bytes).
   * @returns The encoded model.
   * @throws {Error} If a weight produces a different number of bytes than its shape declares.
   */
  encode(externalData?: string): Uint8Array {
    const external = externalData === undefined ? new Map<Initializer, number>() : this.externalLayout();
    const tensor = (init: Initializer): OnnxProto.onnx.ITensorProto => {
      const header = { dims: [...init.dims], dataType: ELEM_TYPE_CODES[init.type], name: init.name };
      const offset = external.get(init);
      if (externalData === undefined || offset === undefined) return { ...header, rawData: produce(init) };
      const location = { location: externalData, offset: String(offset), length: String(init.byteLength) };
      return {
        ...header,
        externalData: Object.entries(location).map(([key, value]) => ({ key, value })),
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      };
    };
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'rulelm-model-generator',
      producerVersion: '1',
      graph: {
        node: this.nodes.map(nodeProto),
        name: this.name,
        initializer: this.initializers.map(tensor),
        input: this.inputs.map(valueInfoProto),
        output: this.outputs.map(valueInfoProto),
      },
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /**
   * Writes the model to disk. External weights are streamed one tensor at a time; weights inside
   * the model are encoded in memory (see {@link GraphBuilder.encode}).
   * @param path - Path of the `.onnx` file.
   * @param externalData - Whether to store the weights in `<path>_data` next to the model (required
   *   when the model would exceed protobuf's 2 GiB limit).
   * @returns Sizes of the written files.
   * @throws {Error} If a weight produces a different number of bytes than its shape declares.
   */
  writeModel(path: string, externalData: boolean): WrittenModel {
    if (!externalData) {
      const model = this.encode();
      writeFileSync(path, model);
      return { modelBytes: model.byteLength, externalDataBytes: 0 };
    }
    const dataPath = `${path}_data`;
    const model = this.encode(basename(dataPath));
    writeFileSync(path, model);
    const externalDataBytes = writeExternalData(dataPath, this.externalLayout());
    return { modelBytes: model.byteLength, externalDataPath: dataPath, externalDataBytes };
  }

  /**
   * Places the weights (all initializers except small constants) in the external data file, in
   * order, each at the next multiple of {@link EXTERNAL_DATA_ALIGNMENT} bytes.
   * @returns The byte offset of each external initializer, in file order.
   */
  private externalLayout(): Map<Initializer, number> {
    const offsets = new Map<Initializer, number>();
    let end = 0;
    for (const init of this.initializers) {
      if (init.inline) continue;
      const offset = Math.ceil(end / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
      offsets.set(init, offset);
      end = offset + init.byteLength;
    }
    return offsets;
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

/**
 * Produces an initializer's data and checks its size.
 * @param init - The initializer.
 * @returns The data.
 * @throws {Error} If the data has a different size than the initializer declares.
 */
function produce(init: Initializer): Uint8Array {
  const bytes = init.produce();
  if (bytes.byteLength !== init.byteLength) {
    throw new Error(`initializer "${init.name}" produced ${bytes.byteLength} bytes, but declared ${init.byteLength}`);
  }
  return bytes;
}

/**
 * Writes external initializers to a data file, zero-padding up to each one's offset.
 * @param path - Destination file (created or truncated).
 * @param layout - The initializers and their offsets, in file order (increasing, non-overlapping).
 * @returns The number of bytes written.
 * @throws {Error} If a weight has the wrong size or writing fails.
 */
function writeExternalData(path: string, layout: ReadonlyMap<Initializer, number>): number {
  const fd = openSync(path, 'w');
  let written = 0;
  const write = (bytes: Uint8Array): void => {
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    written += bytes.byteLength;
  };
  try {
    for (const [init, offset] of layout) {
      if (offset > written) write(new Uint8Array(offset - written));
      write(produce(init));
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/**
 * Converts a node to its ONNX message; the node is named `<op>_node_<index>`.
 * @param node - The node.
 * @param index - Its position in the graph.
 * @returns The `NodeProto` fields.
 */
function nodeProto(node: Node, index: number): OnnxProto.onnx.INodeProto {
  const { AttributeType } = onnx.AttributeProto;
  const attribute = Object.entries(node.attributes).map(([name, attr]): OnnxProto.onnx.IAttributeProto => {
    if (attr.kind === 'float') return { name, f: attr.value, type: AttributeType.FLOAT };
    if (attr.kind === 'int') return { name, i: attr.value, type: AttributeType.INT };
    return { name, ints: [...attr.value], type: AttributeType.INTS };
  });
  return { input: [...node.inputs], output: [...node.outputs], name: `${node.op}_node_${index}`, opType: node.op, attribute };
}

/**
 * Converts a graph input or output to its ONNX message (a tensor type with fixed or symbolic dimensions).
 * @param info - The input or output.
 * @returns The `ValueInfoProto` fields.
 */
function valueInfoProto(info: ValueInfo): OnnxProto.onnx.IValueInfoProto {
  const dim = info.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: info.name, type: { tensorType: { elemType: ELEM_TYPE_CODES[info.type], shape: { dim } } } };
}
