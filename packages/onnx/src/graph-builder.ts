import { ATTRIBUTE_TYPE, FLOAT, type AttributeProto, type NodeProto, type TensorProto } from './onnx-schema';

/** An ONNX attribute: `int('axis', 1)`, `ints('pads', [1, 1, 1, 1])`, `float('epsilon', 1e-5)`. */
export const int = (name: string, i: number): AttributeProto => ({ name, type: ATTRIBUTE_TYPE.INT, i });
export const ints = (name: string, values: number[]): AttributeProto => ({ name, type: ATTRIBUTE_TYPE.INTS, ints: values });
export const float = (name: string, f: number): AttributeProto => ({ name, type: ATTRIBUTE_TYPE.FLOAT, f });

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** float32 values as the little-endian bytes ONNX's `raw_data` holds. */
export function float32Bytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

/**
 * Collects an ONNX graph's nodes and float32 initializers, in order. Every value name (node
 * output or initializer) must be new: ONNX graphs are in SSA form.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();

  constructor(reserved: readonly string[]) {
    for (const name of reserved) this.claim(name);
  }

  /** A float32 initializer; returns its name. */
  constant(name: string, dims: readonly number[], values: Float32Array): string {
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], data_type: FLOAT, raw_data: float32Bytes(values) });
    return name;
  }

  /** One node with a single output, named `output` (also the node's name); returns `output`. */
  node(opType: string, inputs: string[], output: string, attribute: AttributeProto[] = []): string {
    this.claim(output);
    this.nodes.push({ name: output, op_type: opType, input: inputs, output: [output], attribute });
    return output;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`@selfsup/onnx: value name '${name}' used twice (a bug in the exporter)`);
    this.names.add(name);
  }
}
