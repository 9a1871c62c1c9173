import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';
import type { ModelDialect } from '../sd-models.js';

/**
 * The per-frame pixel work as small ONNX graphs, run by onnxruntime on the model's execution provider (on a GPU
 * the image never has to visit JS arrays). They compute what image.ts's frameToImage / imageToFrame compute:
 *   preprocess   rgba uint8 [1,H,W,4] -> image float32 [1,3,H,W] in [-1,1], exactly (x - 127.5) / 127.5
 *   postprocess  image float32 [1,3,H,W] in [-1,1] -> rgba uint8 [1,H,W,4] (alpha 255), and `finite`
 *                (bool scalar: no NaN/Inf anywhere in the image)
 * Postprocess computes (x + 1) * 127.5 in float32 and rounds half to even (ONNX Round, as Uint8ClampedArray
 * does); imageToFrame computes in float64, so a value within float32 rounding of a .5 boundary may differ by 1.
 *
 * For a VAE whose image is not float32 in [-1,1] (fp16 exports, [0,1] TAESD), preprocess also writes `vae_input`
 * (the image in the encoder's dtype and range) and postprocess takes the decoder's image as it comes: the range
 * map (x*0.5+0.5, x*2-1: exact products, one rounding, as in JS) and the float16 cast run in the graph. On fp16
 * exports both graphs also carry a flat float32 <-> float16 cast (`to_half` -> `half`, `to_float` -> `float`) for
 * the latents: the branch a run does not use is fed one element.
 */
export const PROCESSOR_OPSET = 17;

/** The image as a VAE port takes or gives it. */
export interface ImagePort {
  type: 'float32' | 'float16';
  range: ModelDialect['vaeRange'];
}

/** What the processor graphs are built for: the encoder's input, the decoder's output, and the latent casts. */
export interface ProcessorPorts {
  encoder: ImagePort;
  decoder: ImagePort;
  halfCasts: boolean;
}

const FLOAT_IMAGE: ImagePort = { type: 'float32', range: 'minus_one_one' };
export const FLOAT_PORTS: ProcessorPorts = { encoder: FLOAT_IMAGE, decoder: FLOAT_IMAGE, halfCasts: false };

export function isFloatImage(port: ImagePort): boolean {
  return port.type === 'float32' && port.range === 'minus_one_one';
}

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));
const IMAGE: readonly (string | number)[] = [1, 3, 'height', 'width'];

/**
 * x * scale + offset on the 3 channels of [1,3,H,W] in one pass: BatchNormalization with mean 0, variance 1,
 * epsilon 0 is exactly that affine map (one kernel instead of two elementwise passes).
 */
function affinePerChannel(g: GraphBuilder, x: string, scale: number, offset: number): string {
  const per = (v: number) => g.constant([3], Float32Array.of(v, v, v));
  return g.op('BatchNormalization', [x, per(scale), per(offset), per(0), per(1)], { epsilon: { float: 0 } });
}

function cast(g: GraphBuilder, x: string, to: ImagePort['type']): string {
  return g.op('Cast', [x], { to: ONNX_DTYPE[to] });
}

/** `input` -> `output`, a flat cast between float32 and float16 (the latents' cast, beside the pixel work). */
function flatCast(g: GraphBuilder, input: string, output: string, from: ImagePort['type'], to: ImagePort['type']): void {
  g.output(cast(g, g.input(input, from, ['n']), to), output, to, ['n']);
}

export function preprocessGraph(ports: ProcessorPorts = FLOAT_PORTS): GraphBuilder {
  const g = new GraphBuilder('sdlive_preprocess', 0);
  const rgba = g.input('rgba', 'uint8', [1, 'height', 'width', 4]);
  // Transpose first: slicing the planar layout copies whole planes, slicing the innermost axis goes byte by byte.
  const planar = g.op('Transpose', [rgba], { perm: [0, 3, 1, 2] });
  const rgb = g.op('Slice', [planar, g.constant([1], int64(0)), g.constant([1], int64(3)), g.constant([1], int64(1))]);
  const x = g.op('Cast', [rgb], { to: ONNX_DTYPE.float32 });
  const half = g.scalar(127.5);
  const image = g.op('Div', [g.op('Sub', [x, half]), half]);
  g.output(image, 'image', 'float32', IMAGE);
  const { encoder } = ports;
  if (!isFloatImage(encoder)) {
    const ranged = encoder.range === 'zero_one' ? affinePerChannel(g, image, 0.5, 0.5) : image;
    g.output(encoder.type === 'float16' ? cast(g, ranged, 'float16') : ranged, 'vae_input', encoder.type, IMAGE);
  }
  if (ports.halfCasts) flatCast(g, 'to_half', 'half', 'float32', 'float16');
  return g;
}

/** True when every element is finite: x*0 is 0 for finite x and NaN for NaN and +-Inf, and a sum keeps a NaN. */
export function allFinite(g: GraphBuilder, x: string): string {
  const sum = g.op('ReduceSum', [g.op('Mul', [x, g.scalar(0)])], { keepdims: 0 });
  return g.op('Not', [g.op('IsNaN', [sum])]);
}

/** The decoder's image as float32 in [-1,1]. */
function fromDecoder(g: GraphBuilder, image: string, decoder: ImagePort): string {
  const float = decoder.type === 'float16' ? cast(g, image, 'float32') : image;
  return decoder.range === 'zero_one' ? affinePerChannel(g, float, 2, -1) : float;
}

export function postprocessGraph(ports: ProcessorPorts = FLOAT_PORTS): GraphBuilder {
  const g = new GraphBuilder('sdlive_postprocess', 0);
  const image = fromDecoder(g, g.input('image', ports.decoder.type, IMAGE), ports.decoder);
  const scaled = affinePerChannel(g, image, 127.5, 127.5);
  // QuantizeLinear with scale 1: round half to even, saturate to [0, 255], uint8, in one pass.
  // Alpha as a 4th plane of 255 before quantizing: webgpu has no uint8 Expand (every frame failed there), and
  // padding the planar layout appends one whole plane (padding the interleaved layout is many times slower).
  const planes = g.op('Pad', [scaled, g.constant([8], int64(0, 0, 0, 0, 0, 1, 0, 0)), g.scalar(255)], { mode: 'constant' });
  const bytes = g.op('QuantizeLinear', [planes, g.scalar(1), g.constant([], Uint8Array.of(0))]);
  g.output(g.op('Transpose', [bytes], { perm: [0, 2, 3, 1] }), 'rgba', 'uint8', [1, 'height', 'width', 4]);
  g.output(allFinite(g, image), 'finite', 'bool', []);
  if (ports.halfCasts) flatCast(g, 'to_float', 'float', 'float16', 'float32');
  return g;
}
