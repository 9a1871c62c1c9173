import * as ort from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import type { ModelIo, ModelSessions, Port } from './dialect.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { ONNX_DTYPE } from './onnx/model-proto.js';
import { FEEDBACK_OPSET, feedbackGraph, type FeedbackBorder } from './processors/feedback-graph.js';
import { postprocessGraph, preprocessGraph, PROCESSOR_OPSET } from './processors/graphs.js';
import { createSession } from './providers.js';
import type { Conditioning, DeviceLatentTypes, DeviceModels, DeviceTensor, FeedbackMix, GeneratedGraph, ModelDialect, TensorF32 } from './sd-models.js';
import { floatInput, readFloat, timestepInput } from './tensors.js';
import type { TransferCounter } from './transfers.js';

type FloatType = Port['type'];

class OrtDeviceTensor implements DeviceTensor {
  private disposed = false;

  constructor(readonly tensor: ort.Tensor) {}

  get dims(): readonly number[] {
    return this.tensor.dims;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tensor.location === 'gpu-buffer') this.tensor.dispose();
  }
}

function unwrap(t: DeviceTensor): ort.Tensor {
  if (!(t instanceof OrtDeviceTensor)) throw new SdliveError('SDL_ERR_PIPELINE', 'a device tensor from another model was passed in');
  return t.tensor;
}

function built(key: string, g: GraphBuilder, hostOutputs: readonly string[] = [], opset = PROCESSOR_OPSET): GeneratedGraph {
  return { key, bytes: () => g.toBytes(opset), outputs: g.outputNames(), hostOutputs };
}

const feedbackGraphs = new Map<FeedbackBorder, GeneratedGraph>();

function deviceFeedbackGraph(border: FeedbackBorder): GeneratedGraph {
  let graph = feedbackGraphs.get(border);
  if (!graph) feedbackGraphs.set(border, (graph = built(`feedback:${border}`, feedbackGraph(border), [], FEEDBACK_OPSET)));
  return graph;
}

function rankDims(rank: number): string[] {
  return Array.from({ length: rank }, (_, i) => `d${i}`);
}

/** Identity: run on webgpu with a host input it uploads, with a host output it downloads. */
function identityGraph(type: ort.Tensor.Type, rank: number, to: 'device' | 'host'): GeneratedGraph {
  const dtype = type as keyof typeof ONNX_DTYPE;
  const g = new GraphBuilder('sdlive_transfer', 0);
  g.output(g.op('Identity', [g.input('x', dtype, rankDims(rank))]), 'y', dtype, rankDims(rank));
  return built(`identity:${type}:${rank}:${to}`, g, to === 'host' ? ['y'] : []);
}

/** x -> Cast(x * scale + offset): an image between the processors' float32 [-1,1] and what an export takes or gives. */
function imageAdapter(from: FloatType, to: FloatType, scale: number, offset: number): GeneratedGraph {
  const g = new GraphBuilder('sdlive_image_adapter', 0);
  const dims = [1, 3, 'height', 'width'];
  let x = g.input('x', from, dims);
  if (from !== 'float32') x = g.op('Cast', [x], { to: ONNX_DTYPE.float32 });
  x = g.op('Add', [g.op('Mul', [x, g.scalar(scale)]), g.scalar(offset)]);
  if (to !== 'float32') x = g.op('Cast', [x], { to: ONNX_DTYPE[to] });
  g.output(x, 'y', to, dims);
  return built(`image-adapter:${from}:${to}:${scale}:${offset}`, g);
}

/** Uploads kept while in use: an entry not asked for in the last KEEP lookups is disposed. */
const KEEP = 64;

class Resident {
  private readonly entries = new Map<unknown, { tensor: Promise<DeviceTensor>; used: number }>();
  private clock = 0;

  get(key: unknown, make: () => Promise<DeviceTensor>): Promise<DeviceTensor> {
    this.clock++;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { tensor: make(), used: 0 }));
    entry.used = this.clock;
    for (const [k, e] of this.entries) {
      if (this.clock - e.used <= KEEP) continue;
      this.entries.delete(k);
      void e.tensor.then((t) => t.dispose(), () => undefined);
    }
    return entry.tensor;
  }

  clear(): void {
    for (const e of this.entries.values()) void e.tensor.then((t) => t.dispose(), () => undefined);
    this.entries.clear();
  }
}

const typeOf = (meta: readonly ort.InferenceSession.ValueMetadata[], name: string): FloatType => {
  const m = meta.find((v) => v.name === name);
  return m?.isTensor && m.type === 'float16' ? 'float16' : 'float32';
};

/**
 * DeviceModels on onnxruntime sessions. On webgpu the UNet and VAE sessions were opened with every output as
 * gpu-buffer (load.ts) and every generated graph here keeps its outputs there too, except the host flags; on the
 * CPU provider the same calls pass host tensors along. Every run goes through the TransferCounter.
 */
export class OnnxDevice implements DeviceModels {
  readonly types: DeviceLatentTypes;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly resident = new Resident();
  private readonly onDevice: boolean;
  private readonly pre = built('preprocess', preprocessGraph());
  private readonly post = built('postprocess', postprocessGraph(), ['rgba', 'finite']);

  constructor(
    provider: ExecutionProvider,
    private readonly options: ort.InferenceSession.SessionOptions,
    private readonly models: ModelSessions,
    private readonly io: ModelIo,
    private readonly dialect: ModelDialect,
    private readonly counter: TransferCounter,
  ) {
    this.onDevice = provider === 'webgpu';
    this.types = {
      latent: typeOf(models.vaeEncoder.outputMetadata, io.vaeLatent),
      sample: io.unetSample.type,
      pred: typeOf(models.unet.outputMetadata, io.unetOut),
      decoderLatent: io.decoderLatent.type,
    };
  }

  upload(t: TensorF32): Promise<DeviceTensor> {
    return this.uploadTensor(new ort.Tensor('float32', t.data, t.dims));
  }

  constant(t: TensorF32): Promise<DeviceTensor> {
    return this.resident.get(`f32:${t.dims.join('x')}:${t.data.join(',')}`, () => this.upload(t));
  }

  async download(t: DeviceTensor): Promise<TensorF32> {
    const tensor = unwrap(t);
    if (tensor.location === 'cpu') return readFloat(tensor);
    const out = await this.runGraph(identityGraph(tensor.type, tensor.dims.length, 'host'), { x: tensor });
    return readFloat(out.y!);
  }

  async toImage(rgba: Uint8Array, width: number, height: number): Promise<DeviceTensor> {
    const out = await this.runGraph(this.pre, { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]) });
    return this.encoderImage(new OrtDeviceTensor(out.image!));
  }

  async feedbackImage(frame: Uint8Array, previous: Uint8Array, mix: FeedbackMix): Promise<DeviceTensor> {
    const rgba = (data: Uint8Array) => new ort.Tensor('uint8', data, [1, mix.height, mix.width, 4]);
    const value = async (data: Float32Array, dims: number[]) => unwrap(await this.constant({ data, dims }));
    const { input, feedback, offset } = mix.gains;
    const [theta, inputGain, feedbackGain, shift] = await Promise.all([value(mix.theta, [1, 2, 3]), ...[input, feedback, offset].map((v) => value(Float32Array.of(v), []))]);
    const out = await this.runGraph(deviceFeedbackGraph(mix.border), { frame: rgba(frame), previous: rgba(previous), theta: theta!, input_gain: inputGain!, feedback_gain: feedbackGain!, offset: shift! });
    const mixed = new OrtDeviceTensor(out.mixed!);
    try {
      return await this.encoderImage(new OrtDeviceTensor((await this.runGraph(this.pre, { rgba: out.mixed! })).image!));
    } finally {
      mixed.dispose();
    }
  }

  async imageInput(image: TensorF32): Promise<DeviceTensor> {
    return this.encoderImage(await this.upload(image));
  }

  async vaeEncode(image: DeviceTensor): Promise<DeviceTensor> {
    return this.only(await this.counter.run(this.models.vaeEncoder, { [this.io.vaeImage.name]: unwrap(image) }), this.io.vaeLatent);
  }

  async unet(sample: DeviceTensor, timestep: readonly number[], conditioning: Conditioning): Promise<DeviceTensor> {
    const { unetSample, unetTimestep, unetConditioning, unetOut } = this.io;
    const { type, rank } = this.dialect.unetTimestep;
    const steps = await this.resident.get(`timestep:${timestep.join(',')}`, () => this.uploadTensor(timestepInput(type, rank, timestep)));
    const entries = await Promise.all(unetConditioning.map(async (port) => [port.name, unwrap(await this.conditioningInput(port, conditioning))] as const));
    const feeds = { [unetSample.name]: unwrap(sample), [unetTimestep]: unwrap(steps), ...Object.fromEntries(entries) };
    return this.only(await this.counter.run(this.models.unet, feeds), unetOut);
  }

  async vaeDecode(latents: DeviceTensor): Promise<DeviceTensor> {
    const out = await this.counter.run(this.models.vaeDecoder, { [this.io.decoderLatent.name]: unwrap(latents) });
    const image = this.only(out, this.io.decoderImage);
    const from = typeOf(this.models.vaeDecoder.outputMetadata, this.io.decoderImage);
    const zeroOne = this.dialect.vaeRange === 'zero_one';
    if (from === 'float32' && !zeroOne) return image;
    return this.adapt(image, imageAdapter(from, 'float32', zeroOne ? 2 : 1, zeroOne ? -1 : 0));
  }

  async toRgba(image: DeviceTensor, rgba: Uint8Array): Promise<boolean> {
    const [, , height, width] = image.dims as [number, number, number, number];
    const finite = new Uint8Array(1);
    const fetches = { rgba: new ort.Tensor('uint8', rgba, [1, height, width, 4]), finite: new ort.Tensor('bool', finite, []) };
    await this.counter.run(await this.session(this.post), { image: unwrap(image) }, fetches);
    return finite[0] === 1;
  }

  async run(graph: GeneratedGraph, feeds: Readonly<Record<string, DeviceTensor>>): Promise<{ device: Record<string, DeviceTensor>; flags: Record<string, boolean> }> {
    const out = await this.runGraph(graph, Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, unwrap(t)])));
    const device: Record<string, DeviceTensor> = {};
    const flags: Record<string, boolean> = {};
    for (const [name, t] of Object.entries(out)) {
      if (graph.hostOutputs.includes(name)) flags[name] = (t.data as Uint8Array)[0] === 1;
      else device[name] = new OrtDeviceTensor(t);
    }
    return { device, flags };
  }

  /** Host copies of a host-path run's device outputs (a gpu-buffer cannot be read in onnxruntime-node 1.30). */
  async hostResults(out: ort.InferenceSession.ReturnType): Promise<ort.InferenceSession.ReturnType> {
    const entries = await Promise.all(Object.entries(out).map(async ([name, t]) => {
      if (t.location !== 'gpu-buffer') return [name, t] as const;
      try {
        return [name, (await this.runGraph(identityGraph(t.type, t.dims.length, 'host'), { x: t })).y!] as const;
      } finally {
        t.dispose();
      }
    }));
    return Object.fromEntries(entries);
  }

  async release(): Promise<void> {
    this.resident.clear();
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.release().catch(() => undefined);
  }

  private async uploadTensor(t: ort.Tensor): Promise<DeviceTensor> {
    if (!this.onDevice) return new OrtDeviceTensor(t);
    return new OrtDeviceTensor((await this.runGraph(identityGraph(t.type, t.dims.length, 'device'), { x: t })).y!);
  }

  private conditioningInput(port: Port, conditioning: Conditioning): Promise<DeviceTensor> {
    const t = conditioning[port.name];
    if (!t) throw new SdliveError('SDL_ERR_PIPELINE', `unet: the UNet takes ${port.name}, which the conditioning does not hold`);
    return this.resident.get(t, () => this.uploadTensor(floatInput(port.type, t)));
  }

  /** The processors' [-1,1] float32 image as the encoder takes it (a zero_one TAESD: x/2 + 1/2; fp16 exports: cast). */
  private encoderImage(image: DeviceTensor): Promise<DeviceTensor> {
    const zeroOne = this.dialect.vaeRange === 'zero_one';
    const to = this.io.vaeImage.type;
    if (to === 'float32' && !zeroOne) return Promise.resolve(image);
    return this.adapt(image, imageAdapter('float32', to, zeroOne ? 0.5 : 1, zeroOne ? 0.5 : 0));
  }

  private async adapt(image: DeviceTensor, adapter: GeneratedGraph): Promise<DeviceTensor> {
    try {
      return new OrtDeviceTensor((await this.runGraph(adapter, { x: unwrap(image) })).y!);
    } finally {
      image.dispose();
    }
  }

  /** Output `name` of a model session; any other output is disposed. */
  private only(out: ort.InferenceSession.ReturnType, name: string): DeviceTensor {
    for (const [k, t] of Object.entries(out)) if (k !== name && t.location === 'gpu-buffer') t.dispose();
    return new OrtDeviceTensor(out[name]!);
  }

  private async runGraph(graph: GeneratedGraph, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    return this.counter.run(await this.session(graph), feeds);
  }

  /** One session per graph key; on webgpu its outputs stay on the device unless they are host outputs. */
  private session(graph: GeneratedGraph): Promise<ort.InferenceSession> {
    let session = this.sessions.get(graph.key);
    if (!session) {
      const bytes = graph.bytes();
      const location = Object.fromEntries(graph.outputs.map((o) => [o, graph.hostOutputs.includes(o) ? 'cpu' : 'gpu-buffer'] as const));
      session = createSession(bytes, this.onDevice ? { ...this.options, preferredOutputLocation: location } : this.options);
      this.sessions.set(graph.key, session);
    }
    return session;
  }
}
