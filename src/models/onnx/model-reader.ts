/** Just enough of an ONNX ModelProto reader to list a graph's nodes (names, op types, wiring) and its initializers. */

export interface NodeSummary {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (Gemm's transB, ...); other kinds are not read. */
  ints: Record<string, number>;
}

export interface GraphSummary {
  nodes: NodeSummary[];
  outputs: string[];
}

/** An initializer's element bytes: a byte range of the model file itself, or of an external data file beside it. */
export interface InitializerSummary {
  name: string;
  /** TensorProto.DataType (1 float32, 10 float16, ...). */
  dataType: number;
  dims: number[];
  /** raw_data or packed float_data: little-endian elements, patchable in place. Absent for other encodings. */
  bytes?: { file?: string; offset: number; length: number };
}

export interface WeightGraph extends GraphSummary {
  initializers: InitializerSummary[];
}

const utf8 = new TextDecoder();

type OnLen = (field: number, value: Uint8Array) => void;
type OnVarint = (field: number, value: number) => void;

/** Walks one message's fields; `onLen` receives length-delimited fields (strings, bytes, sub-messages), `onVarint` integers. */
function fields(buf: Uint8Array, onLen: OnLen, onVarint: OnVarint = () => undefined): void {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = buf[at++];
      if (byte === undefined) throw new Error('truncated ONNX file');
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const [field, wire] = [Math.floor(tag / 8), tag % 8];
    if (wire === 0) onVarint(field, varint());
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      onLen(field, buf.subarray(at, at + length));
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** A packed repeated varint field's values. */
function packedVarints(buf: Uint8Array): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 1;
  for (const byte of buf) {
    value += (byte & 0x7f) * shift;
    shift *= 128;
    if (byte < 0x80) {
      values.push(value);
      [value, shift] = [0, 1];
    }
  }
  return values;
}

function readAttribute(buf: Uint8Array, into: Record<string, number>): void {
  let name = '';
  let int: number | undefined;
  fields(buf, (f, v) => {
    if (f === 1) name = utf8.decode(v);
  }, (f, v) => {
    if (f === 3) int = v;
  });
  if (int !== undefined) into[name] = int;
}

function readNode(buf: Uint8Array): NodeSummary {
  const node: NodeSummary = { name: '', opType: '', domain: '', inputs: [], outputs: [], ints: {} };
  fields(buf, (field, value) => {
    if (field === 1) node.inputs.push(utf8.decode(value));
    else if (field === 2) node.outputs.push(utf8.decode(value));
    else if (field === 3) node.name = utf8.decode(value);
    else if (field === 4) node.opType = utf8.decode(value);
    else if (field === 5) readAttribute(value, node.ints);
    else if (field === 7) node.domain = utf8.decode(value);
  });
  return node;
}

function readEntry(buf: Uint8Array): [string, string] {
  const kv = ['', ''];
  fields(buf, (f, v) => {
    if (f === 1 || f === 2) kv[f - 1] = utf8.decode(v);
  });
  return [kv[0]!, kv[1]!];
}

/** `model` is the whole file: offsets are taken against its start. */
function readInitializer(buf: Uint8Array, model: Uint8Array): InitializerSummary {
  const t: InitializerSummary = { name: '', dataType: 0, dims: [] };
  const external: Record<string, string> = {};
  const inFile = (v: Uint8Array) => ({ offset: v.byteOffset - model.byteOffset, length: v.length });
  fields(buf, (f, v) => {
    if (f === 1) t.dims.push(...packedVarints(v));
    else if (f === 8) t.name = utf8.decode(v);
    else if (f === 9 || f === 4) t.bytes = inFile(v);
    else if (f === 13) {
      const [key, value] = readEntry(v);
      external[key] = value;
    }
  }, (f, v) => {
    if (f === 1) t.dims.push(v);
    else if (f === 2) t.dataType = v;
  });
  if (external.location !== undefined) {
    t.bytes = { file: external.location, offset: Number(external.offset ?? 0), length: Number(external.length ?? 0) };
  }
  return t;
}

function walkGraph(model: Uint8Array, withInitializers: boolean): WeightGraph {
  const graph: WeightGraph = { nodes: [], outputs: [], initializers: [] };
  fields(model, (field, value) => {
    if (field !== 7) return;
    fields(value, (f, v) => {
      if (f === 1) graph.nodes.push(readNode(v));
      else if (f === 5 && withInitializers) graph.initializers.push(readInitializer(v, model));
      else if (f === 12) {
        fields(v, (vf, name) => {
          if (vf === 1) graph.outputs.push(utf8.decode(name));
        });
      }
    });
  });
  return graph;
}

/** The main graph's nodes and output names (field numbers from onnx.proto). */
export function readGraph(model: Uint8Array): GraphSummary {
  const { nodes, outputs } = walkGraph(model, false);
  return { nodes, outputs };
}

/** The main graph's nodes, outputs and initializers, each with where its bytes lie. */
export function readWeightGraph(model: Uint8Array): WeightGraph {
  return walkGraph(model, true);
}
