import { encodeModel, type AttrValue, type Dim, type NodeDef, type OnnxDtype, type TensorData, type ValueInfo } from './model-proto.js';
import { gaussian, mulberry32 } from './prng.js';

/** Uint16Array holds float16 bit patterns. */
type InitData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

function dtypeOf(d: InitData): OnnxDtype {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Uint16Array) return 'float16';
  if (d instanceof Int32Array) return 'int32';
  return d instanceof Uint8Array ? 'uint8' : 'int64';
}

/**
 * Builds an ONNX graph node by node. Values are referred to by name; `op` returns its output's name so graphs read
 * as nested calls. Random weights come from a seeded PRNG: the same calls give the same bytes.
 */
export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: TensorData[] = [];
  private readonly normal: () => number;
  private counter = 0;

  constructor(
    private readonly name: string,
    seed: number,
  ) {
    this.normal = gaussian(mulberry32(seed));
  }

  input(name: string, dtype: OnnxDtype, shape: readonly Dim[]): string {
    this.inputs.push({ name, dtype, shape });
    return name;
  }

  /** Declares a graph output; `value` is renamed to `name` with an Identity when it has another name. */
  output(value: string, name: string, dtype: OnnxDtype, shape: readonly Dim[]): void {
    if (value !== name) this.op('Identity', [value], {}, name);
    this.outputs.push({ name, dtype, shape });
  }

  /** The declared outputs' names, in order. */
  outputNames(): string[] {
    return this.outputs.map((o) => o.name);
  }

  constant(dims: readonly number[], data: InitData, name = this.fresh('const')): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dtype: dtypeOf(data), dims, raw });
    return name;
  }

  /** Gaussian weights with standard deviation `std`. */
  random(dims: readonly number[], std: number, name?: string): string {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = this.normal() * std;
    return this.constant(dims, data, name);
  }

  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, outName?: string, domain?: string, nodeName?: string): string {
    const out = outName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [out], name: nodeName ?? this.fresh(`n_${opType}`), attrs, ...(domain ? { domain } : {}) });
    return out;
  }

  /**
   * Conv with He-initialised random weights and bias, "same" padding for odd kernels. With `module` (a torch module
   * path, segments joined by /: down_blocks.0/resnets.0/conv1) named as torch.onnx.export names it.
   */
  conv(x: string, cin: number, cout: number, kernel = 3, stride = 1, module?: string): string {
    const param = module?.replaceAll('/', '.');
    const w = this.random([cout, cin, kernel, kernel], Math.sqrt(2 / (cin * kernel * kernel)), param && `${param}.weight`);
    const b = this.random([cout], 0.1, param && `${param}.bias`);
    const p = (kernel - 1) >> 1;
    return this.op('Conv', [x, w, b], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [p, p, p, p] }, undefined, undefined, module && `/${module}/Conv`);
  }

  /**
   * x [.., cin] times a random [cin, cout] matrix. With `module`, named as real exports name a Linear: the node
   * /<module>/MatMul, its weight (W transposed) onnx::MatMul_<n>.
   */
  linear(x: string, cin: number, cout: number, module?: string): string {
    const w = this.random([cin, cout], Math.sqrt(1 / cin), module && `onnx::MatMul_${this.counter++}`);
    return this.op('MatMul', [x, w], {}, undefined, undefined, module && `/${module}/MatMul`);
  }

  scalar(value: number): string {
    return this.constant([], Float32Array.of(value));
  }

  toBytes(opset: number, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
    return encodeModel({ ...this.parts(), initializers: this.initializers, opset, metadata });
  }

  /**
   * The model with its weights stored in `dataFile` beside it, as exports over 2 GB ship (model.onnx_data).
   * Small tensors stay inline, as onnx's converter keeps them (shape inference needs them).
   */
  toExternalData(opset: number, dataFile: string, minBytes = 1024): { model: Uint8Array; data: Uint8Array } {
    let offset = 0;
    const initializers = this.initializers.map((t) => {
      if (t.raw.length < minBytes) return t;
      const placed = { ...t, external: { location: dataFile, offset } };
      offset += t.raw.length;
      return placed;
    });
    const data = new Uint8Array(offset);
    for (const t of initializers) if (t.external) data.set(t.raw, t.external.offset);
    return { model: encodeModel({ ...this.parts(), initializers, opset, metadata: {} }), data };
  }

  private parts() {
    return { graphName: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs };
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }
}
