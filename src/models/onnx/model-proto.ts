import { ProtoWriter } from './proto-writer.js';

/** ONNX element types used by sdlive's graphs (TensorProto.DataType numbers). */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;
export type OnnxDtype = keyof typeof ONNX_DTYPE;

/** A dimension: a fixed size or a symbolic name (dim_param) for dynamic axes. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dtype: OnnxDtype;
  shape: readonly Dim[];
}

export interface TensorData {
  name: string;
  dtype: OnnxDtype;
  dims: readonly number[];
  /** Little-endian element bytes (raw_data). */
  raw: Uint8Array;
  /** Where the bytes live instead, in a file beside the model (the >2 GB layout: model.onnx_data). */
  external?: { location: string; offset: number };
}

export type AttrValue = number | readonly number[] | string | { float: number };

export interface NodeDef {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attrs: Readonly<Record<string, AttrValue>>;
  /** Operator domain, e.g. 'com.microsoft' for onnxruntime's contrib ops; the default ONNX domain when absent. */
  domain?: string;
}

export interface ModelDef {
  graphName: string;
  nodes: readonly NodeDef[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers: readonly TensorData[];
  opset: number;
  metadata: Readonly<Record<string, string>>;
}

const IR_VERSION = 8;
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

/** Serialises a model to ONNX ModelProto bytes (field numbers from onnx.proto). */
export function encodeModel(m: ModelDef): Uint8Array {
  const w = new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, 'sdlive')
    .string(3, '1')
    .message(7, (g) => writeGraph(g, m))
    .message(8, (o) => o.string(1, '').varint(2, m.opset));
  for (const domain of new Set(m.nodes.flatMap((n) => (n.domain ? [n.domain] : [])))) w.message(8, (o) => o.string(1, domain).varint(2, 1));
  for (const [key, value] of Object.entries(m.metadata)) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}

function writeGraph(g: ProtoWriter, m: ModelDef): void {
  for (const n of m.nodes) g.message(1, (w) => writeNode(w, n));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.message(5, (w) => writeTensor(w, t));
  for (const v of m.inputs) g.message(11, (w) => writeValueInfo(w, v));
  for (const v of m.outputs) g.message(12, (w) => writeValueInfo(w, v));
}

function writeNode(w: ProtoWriter, n: NodeDef): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  if (n.domain) w.string(7, n.domain);
  for (const [name, value] of Object.entries(n.attrs)) w.message(5, (a) => writeAttr(a, name, value));
}

function writeAttr(a: ProtoWriter, name: string, value: AttrValue): void {
  a.string(1, name);
  if (typeof value === 'string') a.bytes(4, new TextEncoder().encode(value)).varint(20, ATTR_TYPE.string);
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: wrap non-integer numbers as { float }`);
    a.varint(3, value).varint(20, ATTR_TYPE.int);
  } else if ('float' in value) a.float(2, value.float).varint(20, ATTR_TYPE.float);
  else {
    for (const v of value) a.varint(8, v);
    a.varint(20, ATTR_TYPE.ints);
  }
}

function writeTensor(w: ProtoWriter, t: TensorData): void {
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, ONNX_DTYPE[t.dtype]).string(8, t.name);
  if (!t.external) {
    w.bytes(9, t.raw);
    return;
  }
  const { location, offset } = t.external;
  for (const [key, value] of [['location', location], ['offset', String(offset)], ['length', String(t.raw.length)]]) {
    w.message(13, (e) => e.string(1, key!).string(2, value!));
  }
  w.varint(14, 1);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, ONNX_DTYPE[v.dtype]).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
      }),
    ),
  );
}
