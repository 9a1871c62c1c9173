import * as ort from 'onnxruntime-node';
import { f16ToF32, f32ToF16 } from './fp16.js';
import type { TensorF32 } from './sd-models.js';

/** A float32 tensor as the model input wants it (float16 inputs get half bit patterns). */
export function floatInput(type: 'float32' | 'float16', t: TensorF32): ort.Tensor {
  return type === 'float16' ? new ort.Tensor('float16', f32ToF16(t.data), t.dims) : new ort.Tensor('float32', t.data, t.dims);
}

/** Any float output as float32 on the engine's side. */
export function readFloat(t: ort.Tensor): TensorF32 {
  const dims = [...t.dims];
  if (t.type === 'float32') return { data: t.data as Float32Array, dims };
  if (t.type === 'float16') return { data: f16ToF32(t.data as Uint16Array), dims };
  throw new Error(`expected a float output, got ${t.type}`);
}

/** Timesteps in the dtype and rank the UNet declares (int64 ids are rounded). */
export function timestepInput(type: 'int64' | 'float32' | 'float16', rank: 0 | 1, values: readonly number[]): ort.Tensor {
  const dims = rank === 0 ? [] : [values.length];
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(Math.round(v))), dims);
  const f = Float32Array.from(values);
  return type === 'float16' ? new ort.Tensor('float16', f32ToF16(f), dims) : new ort.Tensor('float32', f, dims);
}

/** Elements per batch item of an NCHW / [B,...] tensor. */
export function itemSize(dims: readonly number[]): number {
  return dims.slice(1).reduce((a, b) => a * b, 1);
}

/** Batch items [from, to) as a new tensor view. */
export function sliceBatch(t: TensorF32, from: number, to: number): TensorF32 {
  const n = itemSize(t.dims);
  return { data: t.data.subarray(from * n, to * n), dims: [to - from, ...t.dims.slice(1)] };
}

export function concatBatch(parts: readonly TensorF32[]): TensorF32 {
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  const first = parts[0]!;
  return { data, dims: [parts.reduce((n, p) => n + p.dims[0]!, 0), ...first.dims.slice(1)] };
}

/** The first `channels` channels of every item of [B, C, ...] (latent_parameters -> mean). */
export function leadingChannels(t: TensorF32, channels: number): TensorF32 {
  const [batch, total] = [t.dims[0]!, t.dims[1]!];
  if (total === channels) return t;
  const plane = itemSize(t.dims) / total;
  const out = new Float32Array(batch * channels * plane);
  for (let b = 0; b < batch; b++) out.set(t.data.subarray(b * total * plane, (b * total + channels) * plane), b * channels * plane);
  return { data: out, dims: [batch, channels, ...t.dims.slice(2)] };
}

/** x * scale + offset, into a new tensor. */
export function affine(t: TensorF32, scale: number, offset: number): TensorF32 {
  if (scale === 1 && offset === 0) return t;
  return { data: t.data.map((v) => v * scale + offset), dims: t.dims };
}

/** [..., a] and [..., b] with equal leading dims -> [..., a + b] (SDXL's two text encoders side by side). */
export function concatLastAxis(x: TensorF32, y: TensorF32): TensorF32 {
  const [a, b] = [x.dims.at(-1)!, y.dims.at(-1)!];
  const rows = x.data.length / a;
  if (y.data.length / b !== rows) throw new RangeError(`concatLastAxis: [${x.dims}] and [${y.dims}] differ before the last axis`);
  const data = new Float32Array(rows * (a + b));
  for (let r = 0; r < rows; r++) {
    data.set(x.data.subarray(r * a, (r + 1) * a), r * (a + b));
    data.set(y.data.subarray(r * b, (r + 1) * b), r * (a + b) + a);
  }
  return { data, dims: [...x.dims.slice(0, -1), a + b] };
}
