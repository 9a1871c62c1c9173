import * as ort from 'onnxruntime-node';
import { createSession } from '../providers.js';
import type { ImageProcessors, TensorF32 } from '../sd-models.js';
import { postprocessGraph, preprocessGraph, PROCESSOR_OPSET } from './graphs.js';

/**
 * The processor graphs (graphs.ts) as sessions. Outputs are bound to the caller's buffers: no output copy, and
 * a caller that reuses its buffers costs no fresh multi-megabyte allocation per frame.
 */
export class OnnxImageProcessors implements ImageProcessors {
  private readonly finite = new Uint8Array(1);

  private constructor(
    private readonly pre: ort.InferenceSession,
    private readonly post: ort.InferenceSession,
  ) {}

  /** Both sessions with the model's session options (its execution provider). */
  static async create(options: ort.InferenceSession.SessionOptions): Promise<OnnxImageProcessors> {
    const pre = await createSession(preprocessGraph().toBytes(PROCESSOR_OPSET), options);
    try {
      return new OnnxImageProcessors(pre, await createSession(postprocessGraph().toBytes(PROCESSOR_OPSET), options));
    } catch (e) {
      await pre.release();
      throw e;
    }
  }

  async toImage(rgba: Uint8Array, image: TensorF32): Promise<void> {
    const [, , height, width] = image.dims as [number, number, number, number];
    await this.pre.run({ rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]) }, { image: new ort.Tensor('float32', image.data, image.dims) });
  }

  async toRgba(image: TensorF32, rgba: Uint8Array): Promise<boolean> {
    const [, , height, width] = image.dims as [number, number, number, number];
    await this.post.run(
      { image: new ort.Tensor('float32', image.data, image.dims) },
      { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]), finite: new ort.Tensor('bool', this.finite, []) },
    );
    return this.finite[0] === 1;
  }

  async release(): Promise<void> {
    await Promise.all([this.pre.release(), this.post.release()]);
  }
}
