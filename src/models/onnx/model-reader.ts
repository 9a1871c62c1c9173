/** Just enough of an ONNX ModelProto reader to list a graph's nodes (op types and wiring) and outputs. */

export interface NodeSummary {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

export interface GraphSummary {
  nodes: NodeSummary[];
  outputs: string[];
}

const utf8 = new TextDecoder();

/** Walks one message's fields; `onLen` receives length-delimited fields (strings, bytes, sub-messages). */
function fields(buf: Uint8Array, onLen: (field: number, value: Uint8Array) => void): void {
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
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      onLen(field, buf.subarray(at, at + length));
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function readNode(buf: Uint8Array): NodeSummary {
  const node: NodeSummary = { opType: '', domain: '', inputs: [], outputs: [] };
  fields(buf, (field, value) => {
    if (field === 1) node.inputs.push(utf8.decode(value));
    else if (field === 2) node.outputs.push(utf8.decode(value));
    else if (field === 4) node.opType = utf8.decode(value);
    else if (field === 7) node.domain = utf8.decode(value);
  });
  return node;
}

/** The main graph's nodes and output names (field numbers from onnx.proto). */
export function readGraph(model: Uint8Array): GraphSummary {
  const graph: GraphSummary = { nodes: [], outputs: [] };
  fields(model, (field, value) => {
    if (field !== 7) return;
    fields(value, (f, v) => {
      if (f === 1) graph.nodes.push(readNode(v));
      else if (f === 12) {
        fields(v, (vf, name) => {
          if (vf === 1) graph.outputs.push(utf8.decode(name));
        });
      }
    });
  });
  return graph;
}
