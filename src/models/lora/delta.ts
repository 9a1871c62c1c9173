import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { f16ToF32, f32ToF16 } from '../fp16.js';
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
 * W + factor * up @ down as an ONNX graph: onnxruntime's multi-threaded MatMul makes an SD 1.5 LoRA of rank 64
 * (tens of GFLOP) a matter of seconds, where a JS loop takes minutes. `in_out` weights (W^T) get down^T @ up^T.
 */
function updateGraph(layout: WeightLayout): Uint8Array {
  const g = new GraphBuilder(`lora_${layout}`, 0);
  const weight = g.input('weight', 'float32', ['rows', 'cols']);
  const up = g.input('up', 'float32', ['out', 'rank']);
  const down = g.input('down', 'float32', ['rank', 'in']);
  const factor = g.input('factor', 'float32', []);
  const product = layout === 'out_in' ? g.op('MatMul', [up, down]) : g.op('MatMul', [g.op('Transpose', [down]), g.op('Transpose', [up])]);
  g.output(g.op('Add', [weight, g.op('Mul', [product, factor])]), 'fused', 'float32', ['rows', 'cols']);
  return g.toBytes(17);
}

function toFloat32(bytes: Uint8Array, dtype: WeightDtype): Float32Array {
  const copy = new Uint8Array(bytes).buffer;
  return dtype === 'float32' ? new Float32Array(copy) : f16ToF32(new Uint16Array(copy));
}

/** One session per layout, made on first use, on the CPU (fusing happens once, before the model loads). */
export class WeightUpdater {
  private readonly sessions = new Map<WeightLayout, Promise<ort.InferenceSession>>();

  /**
   * `bytes`: the weight's little-endian elements as stored, [rows, cols]; returns the fused bytes, same layout and
   * dtype. Several updates are summed in float32 and a float16 weight is rounded once, at the end.
   */
  async apply(bytes: Uint8Array, dtype: WeightDtype, layout: WeightLayout, dims: [number, number], updates: readonly LowRankUpdate[]): Promise<Uint8Array> {
    const session = await this.session(layout);
    let current = toFloat32(bytes, dtype);
    const [rows, cols] = dims;
    const [out, inputs] = layout === 'out_in' ? [rows, cols] : [cols, rows];
    for (const u of updates) {
      const result = await session.run({
        weight: new ort.Tensor('float32', current, [rows, cols]),
        up: new ort.Tensor('float32', u.up, [out, u.rank]),
        down: new ort.Tensor('float32', u.down, [u.rank, inputs]),
        factor: new ort.Tensor('float32', Float32Array.of(u.factor), []),
      });
      current = result.fused!.data as Float32Array;
    }
    const fused = dtype === 'float32' ? current : f32ToF16(current);
    return new Uint8Array(fused.buffer, fused.byteOffset, fused.byteLength);
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release().catch(() => undefined);
    this.sessions.clear();
  }

  private session(layout: WeightLayout): Promise<ort.InferenceSession> {
    let session = this.sessions.get(layout);
    if (!session) {
      session = createSession(updateGraph(layout), { executionProviders: ['cpu'] });
      this.sessions.set(layout, session);
    }
    return session;
  }
}
