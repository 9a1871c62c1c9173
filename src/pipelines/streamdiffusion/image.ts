import { SdliveError } from '../../errors.js';
import type { Frame } from '../../io/frame.js';
import type { ImageProcessors, TensorF32 } from '../../models/sd-models.js';
import type { OutputBuffers } from '../pipeline.js';
import { assertFinite } from './tensor.js';

/** RGBA8 frame -> [1, 3, H, W] in [-1, 1] (alpha dropped). */
export function frameToImage(frame: Frame): TensorF32 {
  const { width, height, data } = frame;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0, q = c; p < plane; p++, q += 4) out[base + p] = data[q]! * (2 / 255) - 1;
  }
  return { data: out, dims: [1, 3, height, width] };
}

/**
 * [1, 3, H, W] in [-1, 1] -> RGBA8 frame: (x/2 + 0.5) clamped to [0, 1], x255 rounded, alpha 255.
 * Uint8ClampedArray clamps and rounds half to even, as numpy's round does in the reference.
 */
export function imageToFrame(image: TensorF32, timestamp: number): Frame {
  const [, , height, width] = image.dims as [number, number, number, number];
  const plane = width * height;
  const data = new Uint8Array(plane * 4).fill(255);
  const clamped = new Uint8ClampedArray(data.buffer);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0, q = c; p < plane; p++, q += 4) clamped[q] = (image.data[base + p]! + 1) * 127.5;
  }
  return { width, height, data, timestamp };
}

/** `buffer` when it fits a [1,3,H,W] image of the frame's size, else a new one. */
function imageBuffer(buffer: TensorF32 | undefined, { width, height }: Frame): TensorF32 {
  return buffer?.data.length === 3 * width * height ? buffer : { data: new Float32Array(3 * width * height), dims: [1, 3, height, width] };
}

/** Times one stage of a frame (the pipeline's stage timer). */
export type StageTime = <T>(stage: string, work: () => T | Promise<T>) => Promise<T>;

/**
 * Frame <-> image tensor for the pipeline: through the model's processor sessions when it has them (stages
 * `to_tensor` / `to_frame`, onnxruntime time; buffers reused across frames), else frameToImage / imageToFrame in
 * JS (stages `preprocess` / `postprocess`).
 */
export class FrameConverter {
  private image: TensorF32 | undefined;
  private decoded: TensorF32 | undefined;
  private readonly outputs: Uint8Array[] = [];

  constructor(
    private readonly processors: ImageProcessors | undefined,
    private readonly handOver?: OutputBuffers,
  ) {}

  /** The frame as [1,3,H,W] in [-1,1]; with processors the tensor is overwritten by the next call. */
  async toImage(frame: Frame, time: StageTime): Promise<TensorF32> {
    const p = this.processors;
    if (!p) return time('preprocess', () => frameToImage(frame));
    this.image = imageBuffer(this.image, frame);
    const image = this.image;
    await time('to_tensor', () => p.toImage(frame.data, image));
    return image;
  }

  /** A [1,3,H,W] buffer for the decoder's output, reused from frame to frame (it is consumed by toFrame). */
  decodeBuffer(frame: Frame): TensorF32 {
    this.decoded = imageBuffer(this.decoded, frame);
    return this.decoded;
  }

  /**
   * The decoded image as a frame, or SDL_ERR_NONFINITE when it holds a NaN or an Inf. With processors the frame
   * goes into a buffer taken from `handOver` (the engine's, no copy), else two buffers alternate: the one of
   * `keep` (the last frame returned) is never written.
   */
  async toFrame(image: TensorF32, timestamp: number, keep: Frame | undefined, time: StageTime): Promise<Frame> {
    const p = this.processors;
    if (!p) {
      assertFinite(image, 'the decoded image');
      return time('postprocess', () => imageToFrame(image, timestamp));
    }
    const [, , height, width] = image.dims as [number, number, number, number];
    return this.render({ width, height, timestamp }, keep, time, (rgba) => p.toRgba(image, rgba));
  }

  /** A frame that `write` fills (false: the image held a NaN or an Inf), in the buffer toFrame would use. */
  async render(size: Omit<Frame, 'data'>, keep: Frame | undefined, time: StageTime, write: (rgba: Uint8Array) => Promise<boolean>): Promise<Frame> {
    const { width, height } = size;
    const data = this.outputBuffer(4 * width * height, keep?.data);
    if (!(await time('to_frame', () => write(data)))) {
      throw new SdliveError('SDL_ERR_NONFINITE', `the decoded image [1,3,${height},${width}] has a non-finite value`);
    }
    return { ...size, data };
  }

  private outputBuffer(length: number, kept: Uint8Array | undefined): Uint8Array {
    if (this.handOver) return this.handOver.take(length);
    const i = this.outputs[0] === kept ? 1 : 0;
    if (this.outputs[i]?.length !== length) this.outputs[i] = new Uint8Array(length);
    return this.outputs[i]!;
  }
}
