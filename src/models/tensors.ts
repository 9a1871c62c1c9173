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

/** Distinct timestep lists kept: a schedule's few lists repeat every frame; more means the schedule changed. */
const TIMESTEP_LISTS_KEPT = 16;

/** timestepInput made once per distinct list: float16 timesteps are not converted again every frame. */
export class TimestepInputs {
  private readonly made = new Map<string, ort.Tensor>();

  constructor(
    private readonly type: 'int64' | 'float32' | 'float16',
    private readonly rank: 0 | 1,
  ) {}

  input(values: readonly number[]): ort.Tensor {
    const key = values.join(',');
    let input = this.made.get(key);
    if (!input) {
      if (this.made.size >= TIMESTEP_LISTS_KEPT) this.made.clear();
      input = timestepInput(this.type, this.rank, values);
      this.made.set(key, input);
    }
    return input;
  }
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

interface Batch<A extends Float32Array | Int32Array> {
  data: A;
  dims: number[];
}

/** `t` grown to `size` items by repeating its last one (static-batch exports take exactly `size`). */
export function padBatch<A extends Float32Array | Int32Array>(t: Batch<A>, size: number | undefined): Batch<A> {
  const batch = t.dims[0]!;
  if (size === undefined || size <= batch) return t;
  const n = t.data.length / batch;
  const data = new (t.data.constructor as new (length: number) => A)(size * n);
  data.set(t.data);
  for (let i = batch; i < size; i++) data.set(t.data.subarray((batch - 1) * n), i * n);
  return { data, dims: [size, ...t.dims.slice(1)] };
}

/**
 * padBatch(sliceBatch(t, from, to), size) of tensors that stay the same over many calls (a prompt's conditioning):
 * the same part every time, so an input made from it (its float16 form) is made once, not per call.
 */
export class BatchParts {
  private readonly made = new WeakMap<TensorF32, Map<string, TensorF32>>();

  part(t: TensorF32, from: number, to: number, size: number | undefined): TensorF32 {
    let parts = this.made.get(t);
    if (!parts) {
      parts = new Map();
      this.made.set(t, parts);
    }
    const key = `${from}:${to}:${size}`;
    let part = parts.get(key);
    if (!part) {
      part = padBatch(sliceBatch(t, from, to), size);
      parts.set(key, part);
    }
    return part;
  }
}

/** `items` grown to `size` by repeating the last one. */
export function padList<T>(items: readonly T[], size: number | undefined): T[] {
  return [...items, ...Array.from({ length: Math.max(0, (size ?? 0) - items.length) }, () => items.at(-1)!)];
}

/**
 * Runs `run` on items [from, to) in groups of `perCall`, each padded to `fixed` items when the model fixes its
 * batch, and joins the first (to - from) items of each result.
 */
export async function inBatches(batch: number, perCall: number, fixed: number | undefined, run: (from: number, to: number, size: number | undefined) => Promise<TensorF32>): Promise<TensorF32> {
  const parts: TensorF32[] = [];
  for (let from = 0; from < batch; from += perCall) {
    const to = Math.min(batch, from + perCall);
    parts.push(sliceBatch(await run(from, to, fixed), 0, to - from));
  }
  return parts.length === 1 ? parts[0]! : concatBatch(parts);
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
