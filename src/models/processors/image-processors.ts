import * as ort from 'onnxruntime-node';
import type { ModelIo, ModelSessions } from '../dialect.js';
import { createSession } from '../providers.js';
import type { FeedbackMix, ImageProcessors, ModelDialect, TensorF32 } from '../sd-models.js';
import { affine, floatInput, readFloat } from '../tensors.js';
import { TransferCounter } from '../transfers.js';
import { FEEDBACK_OPSET, feedbackGraph, type FeedbackBorder } from './feedback-graph.js';
import { FLOAT_PORTS, isFloatImage, postprocessGraph, preprocessGraph, PROCESSOR_OPSET, type ImagePort, type ProcessorPorts } from './graphs.js';

type FloatType = ImagePort['type'];

function outputType(session: ort.InferenceSession, name: string): FloatType {
  const meta = session.outputMetadata.find((m) => m.name === name);
  return meta?.isTensor && meta.type === 'float16' ? 'float16' : 'float32';
}

/** The ports the processor graphs are built for, from the loaded sessions. */
export function processorPorts(sessions: ModelSessions, io: ModelIo, range: ModelDialect['vaeRange']): ProcessorPorts {
  const latents = [io.unetSample.type, io.decoderLatent.type, outputType(sessions.vaeEncoder, io.vaeLatent), outputType(sessions.unet, io.unetOut)];
  return {
    encoder: { type: io.vaeImage.type, range },
    decoder: { type: outputType(sessions.vaeDecoder, io.decoderImage), range },
    halfCasts: latents.includes('float16'),
  };
}

/** A tensor of `dims` whose data is computed when it is first read, then kept. */
function lazyTensor(dims: number[], compute: () => Float32Array): TensorF32 {
  let data: Float32Array | undefined;
  return {
    dims,
    get data() {
      data ??= compute();
      return data;
    },
  };
}

/** A zeroed tensor of `dims` in `type`. */
function buffer(type: FloatType, dims: readonly number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return type === 'float16' ? new ort.Tensor('float16', new Uint16Array(n), dims) : new ort.Tensor('float32', new Float32Array(n), dims);
}

/** What a run feeds the branch of its graph it does not use: one element (no provider is asked for an empty tensor). */
const IDLE_RGBA = new ort.Tensor('uint8', new Uint8Array(4), [1, 1, 1, 4]);
const IDLE_IMAGE = { float32: buffer('float32', [1, 3, 1, 1]), float16: buffer('float16', [1, 3, 1, 1]) };
const IDLE_FLAT = { float32: buffer('float32', [1]), float16: buffer('float16', [1]) };

/** A float32 [-1,1] image as `port` takes it, converted in JS (images that did not come through the graphs). */
function imageForPort(port: ImagePort, image: TensorF32): ort.Tensor {
  return floatInput(port.type, port.range === 'zero_one' ? affine(image, 0.5, 0.5) : image);
}

/**
 * The processor graphs (graphs.ts) as sessions. Outputs are bound to the caller's buffers: no output copy, and
 * a caller that reuses its buffers costs no fresh multi-megabyte allocation per frame. Built for the model's
 * VAE ports, they also hand the encoder its input and take the decoder's output as the export has them (float16,
 * [0,1]), and on fp16 exports cast the latents: no image and no latent is converted in JS per frame.
 */
export class OnnxImageProcessors implements ImageProcessors {
  private readonly finite = new Uint8Array(1);
  /** image (toImage's buffer) -> the encoder's input made with it. */
  private readonly encoderInputs = new WeakMap<TensorF32, ort.Tensor>();
  /** vaeDecode's `into` -> the buffer the decoder writes in its own dtype and range. */
  private readonly decoderTargets = new WeakMap<TensorF32, ort.Tensor>();
  /** decoded() images -> the decoder output they read. */
  private readonly decodedImages = new WeakMap<TensorF32, ort.Tensor>();
  /** The inputs a run of one branch feeds the other branch of the graph. */
  private readonly idle: { pre: Record<string, ort.Tensor>; post: Record<string, ort.Tensor> };
  /** The image feedback sessions, one per border mode, made on first use (a model that never feeds back makes none). */
  private readonly feedbackSessions = new Map<FeedbackBorder, Promise<ort.InferenceSession>>();

  private constructor(
    private readonly pre: ort.InferenceSession,
    private readonly post: ort.InferenceSession,
    readonly ports: ProcessorPorts,
    /** Every run's host buffers are counted as transfers (the models' counter). */
    private readonly counter: TransferCounter,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {
    this.idle = ports.halfCasts ? { pre: { to_half: IDLE_FLAT.float32 }, post: { to_float: IDLE_FLAT.float16 } } : { pre: {}, post: {} };
  }

  /** Both sessions with the model's session options (its execution provider). */
  static async create(options: ort.InferenceSession.SessionOptions, ports: ProcessorPorts = FLOAT_PORTS, counter = new TransferCounter()): Promise<OnnxImageProcessors> {
    const pre = await createSession(preprocessGraph(ports).toBytes(PROCESSOR_OPSET), options);
    try {
      return new OnnxImageProcessors(pre, await createSession(postprocessGraph(ports).toBytes(PROCESSOR_OPSET), options), ports, counter, options);
    } catch (e) {
      await pre.release();
      throw e;
    }
  }

  async toImage(rgba: Uint8Array, image: TensorF32): Promise<void> {
    const [, , height, width] = image.dims as [number, number, number, number];
    const fetches: Record<string, ort.Tensor> = { image: new ort.Tensor('float32', image.data, image.dims) };
    if (!isFloatImage(this.ports.encoder)) fetches.vae_input = this.boundTo(this.encoderInputs, image, this.ports.encoder.type);
    await this.counter.run(this.pre, { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]), ...this.idle.pre }, fetches);
  }

  /** The VAE encoder's input written by the last toImage into `image`; undefined when it takes the image as it is. */
  encoderInput(image: TensorF32): ort.Tensor | undefined {
    return this.encoderInputs.get(image);
  }

  /** The encoder's input for an image that did not come from toImage (in JS: not the per-frame path). */
  encoderInputOf(image: TensorF32): ort.Tensor {
    return imageForPort(this.ports.encoder, image);
  }

  /** Where the decoder writes its image for `into` (reused with it), in the decoder's dtype. */
  decoderTarget(into: TensorF32): ort.Tensor {
    return this.boundTo(this.decoderTargets, into, this.ports.decoder.type);
  }

  /**
   * The image the decoder wrote into `target`, for toRgba, which reads `target` itself; its data (float32 in
   * [-1,1]) is converted in JS only if something reads it.
   */
  decoded(target: ort.Tensor): TensorF32 {
    const image = lazyTensor([...target.dims], () => this.fromDecoder(target).data);
    this.decodedImages.set(image, target);
    return image;
  }

  /** A decoder output as float32 in [-1,1], converted in JS (direct vaeDecode calls: not the per-frame path). */
  fromDecoder(output: ort.Tensor): TensorF32 {
    const image = readFloat(output);
    return this.ports.decoder.range === 'zero_one' ? affine(image, 2, -1) : image;
  }

  async toRgba(image: TensorF32, rgba: Uint8Array): Promise<boolean> {
    const [, , height, width] = image.dims as [number, number, number, number];
    await this.counter.run(
      this.post,
      { image: this.decodedImages.get(image) ?? imageForPort(this.ports.decoder, image), ...this.idle.post },
      { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]), finite: new ort.Tensor('bool', this.finite, []) },
    );
    return this.finite[0] === 1;
  }

  async feedback(frame: Uint8Array, previous: Uint8Array, mix: FeedbackMix, out: Uint8Array): Promise<void> {
    const rgba = (data: Uint8Array) => new ort.Tensor('uint8', data, [1, mix.height, mix.width, 4]);
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    const { input, feedback, offset } = mix.gains;
    const feeds = { frame: rgba(frame), previous: rgba(previous), theta: new ort.Tensor('float32', mix.theta, [1, 2, 3]), input_gain: scalar(input), feedback_gain: scalar(feedback), offset: scalar(offset) };
    await this.counter.run(await this.feedbackSession(mix.border), feeds, { mixed: rgba(out) });
  }

  /** `t` in `type` for a session input: float16 through the preprocess graph's cast on fp16 exports. */
  async floatInput(type: FloatType, t: TensorF32): Promise<ort.Tensor> {
    if (type === 'float32' || !this.ports.halfCasts) return floatInput(type, t);
    const out = await this.counter.run(this.pre, { rgba: IDLE_RGBA, to_half: new ort.Tensor('float32', t.data, [t.data.length]) }, ['half']);
    return new ort.Tensor('float16', out.half!.data as Uint16Array, t.dims);
  }

  /** A float session output as float32: float16 through the postprocess graph's cast on fp16 exports. */
  async readFloat(t: ort.Tensor): Promise<TensorF32> {
    if (t.type !== 'float16' || !this.ports.halfCasts) return readFloat(t);
    const out = await this.counter.run(this.post, { image: IDLE_IMAGE[this.ports.decoder.type], to_float: new ort.Tensor('float16', t.data as Uint16Array, [t.size]) }, ['float']);
    return { data: out.float!.data as Float32Array, dims: [...t.dims] };
  }

  async release(): Promise<void> {
    const feedback = await Promise.allSettled(this.feedbackSessions.values());
    this.feedbackSessions.clear();
    await Promise.all([this.pre.release(), this.post.release(), ...feedback.map((s) => (s.status === 'fulfilled' ? s.value.release() : undefined))]);
  }

  /** A failed creation is not kept: a later call tries again. */
  private feedbackSession(border: FeedbackBorder): Promise<ort.InferenceSession> {
    let session = this.feedbackSessions.get(border);
    if (!session) {
      session = createSession(feedbackGraph(border).toBytes(FEEDBACK_OPSET), this.options);
      this.feedbackSessions.set(border, session);
      session.catch(() => this.feedbackSessions.delete(border));
    }
    return session;
  }

  private boundTo(map: WeakMap<TensorF32, ort.Tensor>, key: TensorF32, type: FloatType): ort.Tensor {
    let bound = map.get(key);
    if (!bound) {
      bound = buffer(type, key.dims);
      map.set(key, bound);
    }
    return bound;
  }
}
