import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';

/**
 * The per-frame pixel work as small ONNX graphs, run by onnxruntime on the model's execution provider (on a GPU
 * the image never has to visit JS arrays). They compute what image.ts's frameToImage / imageToFrame compute:
 *   preprocess   rgba uint8 [1,H,W,4] -> image float32 [1,3,H,W] in [-1,1], exactly (x - 127.5) / 127.5
 *   postprocess  image float32 [1,3,H,W] in [-1,1] -> rgba uint8 [1,H,W,4] (alpha 255), and `finite`
 *                (bool scalar: no NaN/Inf anywhere in the image)
 * Postprocess computes (x + 1) * 127.5 in float32 and rounds half to even (ONNX Round, as Uint8ClampedArray
 * does); imageToFrame computes in float64, so a value within float32 rounding of a .5 boundary may differ by 1.
 */
export const PROCESSOR_OPSET = 17;

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

export function preprocessGraph(): GraphBuilder {
  const g = new GraphBuilder('sdlive_preprocess', 0);
  const rgba = g.input('rgba', 'uint8', [1, 'height', 'width', 4]);
  // Transpose first: slicing the planar layout copies whole planes, slicing the innermost axis goes byte by byte.
  const planar = g.op('Transpose', [rgba], { perm: [0, 3, 1, 2] });
  const rgb = g.op('Slice', [planar, g.constant([1], int64(0)), g.constant([1], int64(3)), g.constant([1], int64(1))]);
  const x = g.op('Cast', [rgb], { to: ONNX_DTYPE.float32 });
  const half = g.scalar(127.5);
  g.output(g.op('Div', [g.op('Sub', [x, half]), half]), 'image', 'float32', [1, 3, 'height', 'width']);
  return g;
}

/**
 * x * scale + offset on the 3 channels of [1,3,H,W] in one pass: BatchNormalization with mean 0, variance 1,
 * epsilon 0 is exactly that affine map (one kernel instead of two elementwise passes).
 */
function affinePerChannel(g: GraphBuilder, x: string, scale: number, offset: number): string {
  const per = (v: number) => g.constant([3], Float32Array.of(v, v, v));
  return g.op('BatchNormalization', [x, per(scale), per(offset), per(0), per(1)], { epsilon: { float: 0 } });
}

/** True when every element is finite: x*0 is 0 for finite x and NaN for NaN and +-Inf, and a sum keeps a NaN. */
export function allFinite(g: GraphBuilder, x: string): string {
  const sum = g.op('ReduceSum', [g.op('Mul', [x, g.scalar(0)])], { keepdims: 0 });
  return g.op('Not', [g.op('IsNaN', [sum])]);
}

export function postprocessGraph(): GraphBuilder {
  const g = new GraphBuilder('sdlive_postprocess', 0);
  const image = g.input('image', 'float32', [1, 3, 'height', 'width']);
  const scaled = affinePerChannel(g, image, 127.5, 127.5);
  // QuantizeLinear with scale 1: round half to even, saturate to [0, 255], uint8, in one pass.
  // Alpha as a 4th plane of 255 before quantizing: webgpu has no uint8 Expand (every frame failed there), and
  // padding the planar layout appends one whole plane (padding the interleaved layout is many times slower).
  const planes = g.op('Pad', [scaled, g.constant([8], int64(0, 0, 0, 0, 0, 1, 0, 0)), g.scalar(255)], { mode: 'constant' });
  const bytes = g.op('QuantizeLinear', [planes, g.scalar(1), g.constant([], Uint8Array.of(0))]);
  g.output(g.op('Transpose', [bytes], { perm: [0, 2, 3, 1] }), 'rgba', 'uint8', [1, 'height', 'width', 4]);
  g.output(allFinite(g, image), 'finite', 'bool', []);
  return g;
}
