import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';
import { createSession } from '../providers.js';
import type { TensorF32 } from '../sd-models.js';
import { PROCESSOR_OPSET } from './graphs.js';

/**
 * Canny edges as one ONNX graph, run on the model's execution provider:
 *   rgba uint8 [1,H,W,4], low and high float scalars -> edges float32 [1,3,H,W], 1 on an edge, 0 elsewhere
 * 1. luma Y = 0.299 R + 0.587 G + 0.114 B in [0,1];
 * 2. 5x5 Gaussian blur (sigma 1.4, OpenCV's aperture for Canny) with the border pixels repeated;
 * 3. Sobel gx, gy (border repeated); strength = sqrt(gx^2 + gy^2) / 4: 1 for an unblurred black-to-white step,
 *    about 0.57 d for a sharp step of d (0..1) after the blur (OpenCV's thresholds on 0..255 images with the
 *    L2 gradient are about 1020 times these);
 * 4. non-maximum suppression: the gradient direction in four bins (0, 45, 90, 135 degrees, from |gy| vs
 *    tan(22.5)|gx|, and the sign of gx*gy); a pixel stays when it exceeds its neighbour before it along the
 *    gradient and is at least its neighbour after it (a two-pixel plateau keeps one pixel);
 * 5. double threshold and hysteresis: pixels >= high are edges; pixels >= low join when they touch an edge,
 *    HYSTERESIS_STEPS times 3x3 dilation (ONNX has no unbounded flood fill: a weak run longer than that
 *    from its strong pixel is cut there).
 */
export const HYSTERESIS_STEPS = 8;
const TAN_22_5 = Math.tan(Math.PI / 8);

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

function gaussianKernel(size: number, sigma: number): Float32Array {
  const half = (size - 1) / 2;
  const row = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const sum = row.reduce((a, b) => a + b, 0);
  return Float32Array.from({ length: size * size }, (_, k) => (row[Math.floor(k / size)]! * row[k % size]!) / (sum * sum));
}

function padEdge(g: GraphBuilder, x: string, p: number): string {
  return g.op('Pad', [x, g.constant([8], int64(0, 0, p, p, 0, 0, p, p))], { mode: 'edge' });
}

function luma(g: GraphBuilder, rgba: string): string {
  const planar = g.op('Cast', [g.op('Transpose', [rgba], { perm: [0, 3, 1, 2] })], { to: ONNX_DTYPE.float32 });
  const weights = g.constant([1, 4, 1, 1], Float32Array.of(0.299 / 255, 0.587 / 255, 0.114 / 255, 0));
  return g.op('Conv', [planar, weights], { kernel_shape: [1, 1] });
}

/** [1,1,H,W] -> gx, gy [1,1,H,W] (Sobel, border repeated). */
function sobel(g: GraphBuilder, y: string): [string, string] {
  const kernels = g.constant([2, 1, 3, 3], Float32Array.of(-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1));
  const both = g.op('Conv', [padEdge(g, y, 1), kernels], { kernel_shape: [3, 3] });
  const channel = (c: number) => g.op('Slice', [both, g.constant([1], int64(c)), g.constant([1], int64(c + 1)), g.constant([1], int64(1))]);
  return [channel(0), channel(1)];
}

/** The 8 neighbours of every pixel (zero outside), as channels of one one-hot Conv: [1,8,H,W]. */
const NEIGHBOURS = { left: [1, 0], up: [0, 1], upLeft: [0, 0], upRight: [0, 2], right: [1, 2], down: [2, 1], downRight: [2, 2], downLeft: [2, 0] } as const;

function neighbours(g: GraphBuilder, m: string): Record<keyof typeof NEIGHBOURS, string> {
  const names = Object.keys(NEIGHBOURS) as (keyof typeof NEIGHBOURS)[];
  const w = new Float32Array(names.length * 9);
  names.forEach((n, k) => (w[k * 9 + NEIGHBOURS[n][0] * 3 + NEIGHBOURS[n][1]] = 1));
  const all = g.op('Conv', [m, g.constant([names.length, 1, 3, 3], w)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const channel = (c: number) => g.op('Slice', [all, g.constant([1], int64(c)), g.constant([1], int64(c + 1)), g.constant([1], int64(1))]);
  return Object.fromEntries(names.map((n, k) => [n, channel(k)])) as Record<keyof typeof NEIGHBOURS, string>;
}

/** m where it is a maximum along its gradient direction, else 0. */
function nonMaximumSuppression(g: GraphBuilder, m: string, gx: string, gy: string): string {
  const n = neighbours(g, m);
  const [ax, ay] = [g.op('Abs', [gx]), g.op('Abs', [gy])];
  const tan = g.scalar(TAN_22_5);
  const horizontal = g.op('LessOrEqual', [ay, g.op('Mul', [ax, tan])]);
  const vertical = g.op('LessOrEqual', [ax, g.op('Mul', [ay, tan])]);
  // y grows downwards: gx*gy > 0 points along the up-left/down-right diagonal.
  const falling = g.op('Greater', [g.op('Mul', [gx, gy]), g.scalar(0)]);
  const pick = (h: string, v: string, d1: string, d2: string) => g.op('Where', [horizontal, h, g.op('Where', [vertical, v, g.op('Where', [falling, d1, d2])])]);
  const before = pick(n.left, n.up, n.upLeft, n.upRight);
  const after = pick(n.right, n.down, n.downRight, n.downLeft);
  const keep = g.op('And', [g.op('Greater', [m, before]), g.op('GreaterOrEqual', [m, after])]);
  return g.op('Where', [keep, m, g.scalar(0)]);
}

function hysteresis(g: GraphBuilder, m: string, low: string, high: string): string {
  const asFloat = (b: string) => g.op('Cast', [b], { to: ONNX_DTYPE.float32 });
  const weak = asFloat(g.op('GreaterOrEqual', [m, low]));
  let edges = asFloat(g.op('GreaterOrEqual', [m, high]));
  for (let i = 0; i < HYSTERESIS_STEPS; i++) {
    const grown = g.op('MaxPool', [edges], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
    edges = g.op('Mul', [grown, weak]);
  }
  return edges;
}

export function cannyGraph(): GraphBuilder {
  const g = new GraphBuilder('sdlive_canny', 0);
  const rgba = g.input('rgba', 'uint8', [1, 'height', 'width', 4]);
  const low = g.input('low', 'float32', []);
  const high = g.input('high', 'float32', []);
  const blurred = g.op('Conv', [padEdge(g, luma(g, rgba), 2), g.constant([1, 1, 5, 5], gaussianKernel(5, 1.4))], { kernel_shape: [5, 5] });
  const [gx, gy] = sobel(g, blurred);
  const strength = g.op('Mul', [g.op('Sqrt', [g.op('Add', [g.op('Mul', [gx, gx]), g.op('Mul', [gy, gy])])]), g.scalar(0.25)]);
  const edges = hysteresis(g, nonMaximumSuppression(g, strength, gx, gy), low, high);
  g.output(g.op('Concat', [edges, edges, edges], { axis: 1 }), 'edges', 'float32', [1, 3, 'height', 'width']);
  return g;
}

/** The canny graph as a session on the model's provider. */
export class CannyEdges {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(options: ort.InferenceSession.SessionOptions): Promise<CannyEdges> {
    return new CannyEdges(await createSession(cannyGraph().toBytes(PROCESSOR_OPSET), options));
  }

  /** RGBA8 [H,W,4] -> edges [1,3,H,W] in {0,1}, written into `into`. */
  async edges(rgba: Uint8Array, thresholds: { low: number; high: number }, into: TensorF32): Promise<TensorF32> {
    const [, , height, width] = into.dims as [number, number, number, number];
    await this.session.run(
      { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]), low: new ort.Tensor('float32', Float32Array.of(thresholds.low), []), high: new ort.Tensor('float32', Float32Array.of(thresholds.high), []) },
      { edges: new ort.Tensor('float32', into.data, into.dims) },
    );
    return into;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
