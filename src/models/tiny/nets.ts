import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE, type Dim, type OnnxDtype } from '../onnx/model-proto.js';
import type { VaeKind } from '../vae-graph.js';
import { addResiduals, unetResidualSpecs } from './controlnet-nets.js';
import type { TinyVariant } from './variants.js';

/**
 * Four tiny random-weight nets with the real exports' I/O. Small enough that encode + UNet(b=2) + decode at
 * 512x512 runs in tens of milliseconds on two CPU cores; every output depends on every input. Linear and Conv
 * layers are named as torch.onnx.export names them (node /<module path>/MatMul, weight onnx::MatMul_<n>), for LoRAs.
 */
export const OPSET = 17;
const TOKEN_TABLE = 512;
const TOKEN_DIM = 16;
const MAX_TOKENS = 77;
const UNET_CHANNELS = 16;
const VAE_CHANNELS = 8;
const TIME_FREQS = 8;
const TIMESTEP_COND = 256;
/** The module path real exports carry in node names (here the encoders' one projection; LoRAs find it by it). */
const TEXT_PROJECTION = 'text_model/encoder/layers.0/self_attn/out_proj';

export interface TensorSpec {
  name: string;
  type: OnnxDtype;
  shape: readonly Dim[];
}

/**
 * Names, dtypes and shapes at each net's boundary (what an exporter decides); the nets inside are always the same.
 * The text width is textOut's last dim, the VAE encoder's latent channels (4, or 8 for latent_parameters) vaeLatent's.
 */
export interface NetIo {
  textIds: TensorSpec;
  textOut: TensorSpec;
  unetSample: TensorSpec;
  unetTimestep: TensorSpec;
  unetEmbeddings: TensorSpec;
  unetOut: TensorSpec;
  vaeImage: TensorSpec;
  vaeLatent: TensorSpec;
  decoderLatent: TensorSpec;
  decoderImage: TensorSpec;
  /** The raw TAESD nets' [0,1] images instead of [-1,1]. */
  vaeRange: 'zero_one' | 'minus_one_one';
  /** A com.microsoft GroupNorm in the UNet, as the CUDA/DirectML-optimised exports fuse it (no CPU kernel). */
  fusedGroupNorm?: boolean;
  /** ControlNet residual inputs of the UNet (down ones in block order, the mid one last), see controlnet-nets.ts. */
  unetResiduals?: readonly TensorSpec[];
  /** More float UNet inputs ([B, n], e.g. LCM's timestep_cond), each feeding the conditioning. */
  unetExtras?: readonly TensorSpec[];
  /**
   * Which VAE the decoder's graph looks like (vae-graph.ts reads it): the AutoencoderTiny wrapper by default;
   * the full SD VAE adds attention (Softmax) and ends with a Conv, as taesd.py's raw decoder does.
   */
  vaeKind?: VaeKind;
}

/** The I/O of a built-in tiny variant. */
export function tinyNetIo(v: TinyVariant): NetIo {
  const float = v.fp16 ? 'float16' : 'float32';
  const latentChannels = v.vaeOutput === 'latent_parameters' ? 8 : 4;
  const image = ['batch_size', 3, 'height', 'width'];
  const latent = ['batch_size', 4, 'latent_height', 'latent_width'];
  const extra = (name: string, width: number): TensorSpec => ({ name, type: float, shape: ['batch_size', width] });
  return {
    textIds: { name: 'input_ids', type: v.idsType, shape: ['batch_size', 'sequence_length'] },
    textOut: { name: 'last_hidden_state', type: float, shape: ['batch_size', 'sequence_length', v.textWidth] },
    unetSample: { name: 'sample', type: float, shape: ['batch_size', 4, 'height', 'width'] },
    unetTimestep: { name: 'timestep', type: v.timestep.type, shape: v.timestep.rank === 0 ? [] : [v.timestep.type === 'int64' ? 'steps' : 'batch_size'] },
    unetEmbeddings: { name: 'encoder_hidden_states', type: float, shape: ['batch_size', 'sequence_length', v.textWidth] },
    unetOut: { name: 'out_sample', type: float, shape: ['batch_size', 4, 'height', 'width'] },
    vaeImage: { name: 'sample', type: float, shape: image },
    vaeLatent: { name: v.vaeOutput, type: float, shape: ['batch_size', latentChannels, 'latent_height', 'latent_width'] },
    decoderLatent: { name: 'latent_sample', type: float, shape: latent },
    decoderImage: { name: 'sample', type: float, shape: image },
    vaeRange: v.vaeRange,
    ...(v.controlnet ? { unetResiduals: unetResidualSpecs(float) } : {}),
    unetExtras: [
      ...(v.family === 'sdxl' ? [extra('text_embeds', POOLED_WIDTH), extra('time_ids', TIME_IDS)] : []),
      ...(v.timestepCond ? [extra('timestep_cond', TIMESTEP_COND)] : []),
    ],
  };
}

/** A boundary value as float32 inside the graph (the nets compute in float32). */
export function fromBoundary(g: GraphBuilder, spec: TensorSpec): string {
  const x = g.input(spec.name, spec.type, spec.shape);
  return spec.type === 'float32' ? x : g.op('Cast', [x], { to: ONNX_DTYPE.float32 });
}

export function toBoundary(g: GraphBuilder, x: string, spec: TensorSpec): void {
  g.output(spec.type === 'float32' ? x : g.op('Cast', [x], { to: ONNX_DTYPE[spec.type] }), spec.name, spec.type, spec.shape);
}

export const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

export function widthOf(spec: TensorSpec): number {
  const width = spec.shape.at(-1);
  if (typeof width !== 'number') throw new Error(`${spec.name}: the last dim must be the fixed text width`);
  return width;
}

/** SDXL's encoders as exported with output_hidden_states: CLIP ViT-L (12 layers) and OpenCLIP bigG (32 layers). */
export const SDXL_ENCODERS = { first: { width: 768, layers: 12 }, second: { width: 1280, layers: 32 } } as const;
const POOLED_WIDTH = SDXL_ENCODERS.second.width;
const TIME_IDS = 6;
const TOKEN_IDS = ['batch_size', 'sequence_length'];

/** Token and position embeddings of the ids: [B, T, TOKEN_DIM]. */
function tokenFeatures(g: GraphBuilder, ids: TensorSpec): string {
  const input = g.input(ids.name, ids.type, ids.shape);
  const tableSize = ids.type === 'int32' ? Int32Array.of(TOKEN_TABLE) : int64(TOKEN_TABLE);
  const row = g.op('Mod', [input, g.constant([], tableSize)]);
  const token = g.op('Gather', [g.random([TOKEN_TABLE, TOKEN_DIM], 1), row], { axis: 0 });
  return g.op('Tanh', [g.op('Add', [token, g.random([MAX_TOKENS, TOKEN_DIM], 0.5)])]);
}

/**
 * A CLIP text encoder with every layer's output, as optimum exports SDXL's: hidden_states.0 (embeddings) to
 * hidden_states.<layers>, and last_hidden_state (after a final scaling, so it differs from the last layer).
 * Each layer is a per-channel affine + Tanh: cheap at full width.
 */
function hiddenStateEncoder(g: GraphBuilder, ids: TensorSpec, width: number, layers: number) {
  const states = [g.linear(tokenFeatures(g, ids), TOKEN_DIM, width, TEXT_PROJECTION)];
  for (let k = 1; k <= layers; k++) states.push(g.op('Tanh', [g.op('Add', [g.op('Mul', [states[k - 1]!, g.random([width], 1.5)]), g.random([width], 0.3)])]));
  const last = g.op('Mul', [states.at(-1)!, g.random([width], 1)]);
  return { states, last, pooled: g.op('ReduceMean', [last], { axes: [1], keepdims: 0 }) };
}

function hiddenStateOutputs(g: GraphBuilder, states: readonly string[], width: number): void {
  states.forEach((h, k) => g.output(h, `hidden_states.${k}`, 'float32', ['batch_size', 'sequence_length', width]));
}

/** SDXL's text_encoder (CLIP ViT-L): last_hidden_state, pooler_output, hidden_states.0..12. */
export function sdxlFirstEncoderGraph(io: NetIo): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 105);
  const { width, layers } = SDXL_ENCODERS.first;
  const { states, last, pooled } = hiddenStateEncoder(g, io.textIds, width, layers);
  g.output(last, 'last_hidden_state', 'float32', ['batch_size', 'sequence_length', width]);
  g.output(pooled, 'pooler_output', 'float32', ['batch_size', width]);
  hiddenStateOutputs(g, states, width);
  return g;
}

/** SDXL's text_encoder_2 (OpenCLIP bigG with projection), int64 ids: text_embeds, last_hidden_state, hidden_states.0..32. */
export function sdxlSecondEncoderGraph(): GraphBuilder {
  const g = new GraphBuilder('text_encoder_2', 106);
  const { width, layers } = SDXL_ENCODERS.second;
  const { states, last, pooled } = hiddenStateEncoder(g, { name: 'input_ids', type: 'int64', shape: TOKEN_IDS }, width, layers);
  g.output(g.op('Mul', [pooled, g.random([width], 1)]), 'text_embeds', 'float32', ['batch_size', width]);
  g.output(last, 'last_hidden_state', 'float32', ['batch_size', 'sequence_length', width]);
  hiddenStateOutputs(g, states, width);
  return g;
}

export function textEncoderGraph(io: NetIo): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 101);
  const { textOut } = io;
  const width = widthOf(textOut);
  const hidden = g.linear(tokenFeatures(g, io.textIds), TOKEN_DIM, width, TEXT_PROJECTION);
  const pooled = g.op('ReduceMean', [hidden], { axes: [1], keepdims: 0 });
  toBoundary(g, hidden, textOut);
  toBoundary(g, pooled, { name: 'pooler_output', type: textOut.type, shape: [textOut.shape[0]!, width] });
  return g;
}

/** Sinusoidal features of the timestep, projected to the UNet width: [B or 1, C]. */
export function timeEmbedding(g: GraphBuilder, io: NetIo): string {
  const t = fromBoundary(g, io.unetTimestep);
  const column = g.op('Reshape', [t, g.constant([2], int64(-1, 1))]);
  const freqs = Float32Array.from({ length: TIME_FREQS }, (_, i) => Math.exp((-Math.log(1000) * i) / TIME_FREQS));
  const phase = g.op('Mul', [column, g.constant([1, TIME_FREQS], freqs)]);
  return g.linear(g.op('Sin', [phase]), TIME_FREQS, UNET_CHANNELS, 'time_embedding/linear_1');
}

/** com.microsoft GroupNorm works on NHWC: onnxruntime has CUDA and DirectML kernels for it, none on the CPU. */
function fusedGroupNorm(g: GraphBuilder, x: string): string {
  const nhwc = g.op('Transpose', [x], { perm: [0, 2, 3, 1] });
  const attrs = { activation: 0, epsilon: { float: 1e-5 }, groups: 4 };
  const normed = g.op('GroupNorm', [nhwc, g.random([UNET_CHANNELS], 1), g.random([UNET_CHANNELS], 0.1)], attrs, undefined, 'com.microsoft');
  return g.op('Transpose', [normed], { perm: [0, 3, 1, 2] });
}

export function unetGraph(io: NetIo): GraphBuilder {
  const g = new GraphBuilder('unet', 202);
  const sample = fromBoundary(g, io.unetSample);
  const temb = timeEmbedding(g, io);
  const ehs = fromBoundary(g, io.unetEmbeddings);
  const width = widthOf(io.unetEmbeddings);
  const text = g.linear(g.op('ReduceMean', [ehs], { axes: [1], keepdims: 0 }), width, UNET_CHANNELS, 'down_blocks.0/attentions.0/transformer_blocks.0/attn2/to_k');
  let embedding = g.op('Add', [temb, text]);
  for (const extra of io.unetExtras ?? []) {
    const x = fromBoundary(g, extra);
    // time_ids are pixel sizes (512, 1024): scaled to the range of the other inputs.
    const scaled = extra.name === 'time_ids' ? g.op('Mul', [x, g.scalar(1 / 1024)]) : x;
    embedding = g.op('Add', [embedding, g.linear(scaled, widthOf(extra), UNET_CHANNELS)]);
  }
  const cond = g.op('Reshape', [embedding, g.constant([4], int64(-1, UNET_CHANNELS, 1, 1))]);
  let h = g.op('Relu', [g.op('Add', [g.conv(sample, 4, UNET_CHANNELS, 3, 1, 'conv_in'), cond])]);
  if (io.unetResiduals) h = addResiduals(g, h, io.unetResiduals, UNET_CHANNELS);
  if (io.fusedGroupNorm) h = fusedGroupNorm(g, h);
  h = g.op('Relu', [g.conv(h, UNET_CHANNELS, UNET_CHANNELS, 3, 1, 'down_blocks.0/resnets.0/conv1')]);
  toBoundary(g, g.conv(h, UNET_CHANNELS, 4, 3, 1, 'conv_out'), io.unetOut);
  return g;
}

/** Three stride-2 convs: [B,3,H,W] -> [B,4 or 8,H/8,W/8]. */
export function vaeEncoderGraph(io: NetIo): GraphBuilder {
  const g = new GraphBuilder('vae_encoder', 303);
  let h = fromBoundary(g, io.vaeImage);
  h = g.op('Relu', [g.conv(h, 3, VAE_CHANNELS, 3, 2)]);
  h = g.op('Relu', [g.conv(h, VAE_CHANNELS, VAE_CHANNELS, 3, 2)]);
  const channels = io.vaeLatent.shape[1];
  if (channels !== 4 && channels !== 8) throw new Error(`${io.vaeLatent.name}: 4 or 8 latent channels`);
  toBoundary(g, g.conv(h, VAE_CHANNELS, channels, 3, 2), io.vaeLatent);
  return g;
}

/**
 * Nearest x2 upsamples with convs up to H/2, the RGB projection there, a last upsample to H (cheap on 3 channels),
 * Tanh at the end (then to [0,1] for the zero_one variant).
 */
export function vaeDecoderGraph(io: NetIo): GraphBuilder {
  const g = new GraphBuilder('vae_decoder', 404);
  let h = fromBoundary(g, io.decoderLatent);
  h = g.op('Relu', [g.conv(h, 4, VAE_CHANNELS)]);
  if (io.vaeKind === 'autoencoder-kl') h = g.op('Mul', [h, g.op('Softmax', [h], { axis: 1 })]);
  const scales = g.constant([4], Float32Array.of(1, 1, 2, 2));
  const upsample = (x: string) => g.op('Resize', [x, '', scales], { mode: 'nearest' });
  for (let i = 0; i < 2; i++) h = g.op('Relu', [g.conv(upsample(h), VAE_CHANNELS, VAE_CHANNELS)]);
  h = upsample(g.conv(h, VAE_CHANNELS, 3));
  let image = g.op('Tanh', [h]);
  if (io.vaeRange === 'zero_one') image = g.op('Add', [g.op('Mul', [image, g.scalar(0.5)]), g.scalar(0.5)]);
  if (io.vaeKind === 'autoencoder-kl' || io.vaeKind === 'taesd-raw') image = g.conv(image, 3, 3, 1);
  toBoundary(g, image, io.decoderImage);
  return g;
}

export const TINY_NETS = {
  text: textEncoderGraph,
  unet: unetGraph,
  vaeEncoder: vaeEncoderGraph,
  vaeDecoder: vaeDecoderGraph,
} as const;

/** The variant's model files, path -> graph: SDXL's two text encoders, or the one of every other family. */
export function tinyNets(v: TinyVariant): [string, GraphBuilder][] {
  const io = tinyNetIo(v);
  const text: [string, GraphBuilder][] = v.family === 'sdxl'
    ? [['text_encoder/model.onnx', sdxlFirstEncoderGraph(io)], ['text_encoder_2/model.onnx', sdxlSecondEncoderGraph()]]
    : [['text_encoder/model.onnx', textEncoderGraph(io)]];
  return [...text, ['unet/model.onnx', unetGraph(io)], ['vae_encoder/model.onnx', vaeEncoderGraph(io)], ['vae_decoder/model.onnx', vaeDecoderGraph(io)]];
}
