import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';
import { createSession } from '../providers.js';
import type { WeightLayout } from './targets.js';

export type WeightDtype = 'float32' | 'float16';

/** What one LoRA adds to a weight: factor * up [out, rank] @ down [rank, in] (factor = scale * alpha / rank). */
export interface LowRankUpdate {
  up: Float32Array;
  down: Float32Array;
  rank: number;
  factor: number;
}

/**
 * W + up @ down as an ONNX graph: onnxruntime's multi-threaded MatMul makes an SD 1.5 LoRA of rank 64 (tens of
 * GFLOP) a matter of seconds, where a JS loop takes minutes. `in_out` weights (W^T) get down^T @ up^T. A float16
 * weight is summed in float32 and rounded once.
 */
function updateGraph(layout: WeightLayout, dtype: WeightDtype): Uint8Array {
  const g = new GraphBuilder(`lora_${layout}_${dtype}`, 0);
  const weight = g.input('weight', dtype, ['rows', 'cols']);
  const up = g.input('up', 'float32', ['out', 'rank']);
  const down = g.input('down', 'float32', ['rank', 'in']);
  const product = layout === 'out_in' ? g.op('MatMul', [up, down]) : g.op('MatMul', [g.op('Transpose', [down]), g.op('Transpose', [up])]);
  const w32 = dtype === 'float32' ? weight : g.op('Cast', [weight], { to: ONNX_DTYPE.float32 });
  const sum = g.op('Add', [w32, product]);
  g.output(dtype === 'float32' ? sum : g.op('Cast', [sum], { to: ONNX_DTYPE.float16 }), 'fused', dtype, ['rows', 'cols']);
  return g.toBytes(17);
}

/**
 * Several updates as one: sum_l factor_l * up_l @ down_l = [f_1 up_1 | f_2 up_2 | ...] @ [down_1; down_2; ...],
 * so every LoRA on a weight costs one MatMul and one rounding.
 */
function stacked(updates: readonly LowRankUpdate[], out: number): { up: Float32Array; down: Float32Array; rank: number } {
  const rank = updates.reduce((n, u) => n + u.rank, 0);
  const up = new Float32Array(out * rank);
  const down = new Float32Array(updates.reduce((n, u) => n + u.down.length, 0));
  let [column, row] = [0, 0];
  for (const u of updates) {
    for (let o = 0; o < out; o++) for (let r = 0; r < u.rank; r++) up[o * rank + column + r] = u.factor * u.up[o * u.rank + r]!;
    down.set(u.down, row);
    column += u.rank;
    row += u.down.length;
  }
  return { up, down, rank };
}

/** One session per layout and dtype, made on first use, on the CPU (fusing happens once, before the model loads). */
export class WeightUpdater {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  /** `bytes`: the weight's little-endian elements as stored, [rows, cols]; returns the fused bytes, same layout and dtype. */
  async apply(bytes: Uint8Array, dtype: WeightDtype, layout: WeightLayout, dims: [number, number], updates: readonly LowRankUpdate[]): Promise<Uint8Array> {
    const session = await this.session(layout, dtype);
    const [rows, cols] = dims;
    const [out, inputs] = layout === 'out_in' ? [rows, cols] : [cols, rows];
    const { up, down, rank } = stacked(updates, out);
    const copy = new Uint8Array(bytes).buffer;
    const result = await session.run({
      weight: new ort.Tensor(dtype, dtype === 'float32' ? new Float32Array(copy) : new Uint16Array(copy), [rows, cols]),
      up: new ort.Tensor('float32', up, [out, rank]),
      down: new ort.Tensor('float32', down, [rank, inputs]),
    });
    const fused = result.fused!.data as Float32Array | Uint16Array;
    return new Uint8Array(fused.buffer, fused.byteOffset, fused.byteLength);
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release().catch(() => undefined);
    this.sessions.clear();
  }

  private session(layout: WeightLayout, dtype: WeightDtype): Promise<ort.InferenceSession> {
    const key = `${layout}:${dtype}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = createSession(updateGraph(layout, dtype), { executionProviders: ['cpu'] });
      this.sessions.set(key, session);
    }
    return session;
  }
}
