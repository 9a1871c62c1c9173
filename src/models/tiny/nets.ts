import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';
import type { TinyVariant } from './variants.js';

/**
 * Four tiny random-weight nets with the real exports' I/O. Small enough that encode + UNet(b=2) + decode at
 * 512x512 runs in tens of milliseconds on two CPU cores; every output depends on every input.
 */
export const OPSET = 17;
const TOKEN_TABLE = 512;
const TOKEN_DIM = 16;
const MAX_TOKENS = 77;
const UNET_CHANNELS = 16;
const VAE_CHANNELS = 8;
const TIME_FREQS = 8;
const TIMESTEP_COND = 256;

const floatType = (v: TinyVariant) => (v.fp16 ? 'float16' : 'float32');

/** Casts an fp16 boundary value to float32 inside the graph (the nets compute in float32). */
function fromBoundary(g: GraphBuilder, v: TinyVariant, x: string): string {
  return v.fp16 ? g.op('Cast', [x], { to: ONNX_DTYPE.float32 }) : x;
}

function toBoundary(g: GraphBuilder, v: TinyVariant, x: string): string {
  return v.fp16 ? g.op('Cast', [x], { to: ONNX_DTYPE.float16 }) : x;
}

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

/** SDXL's encoders as exported with output_hidden_states: CLIP ViT-L (12 layers) and OpenCLIP bigG (32 layers). */
export const SDXL_ENCODERS = { first: { width: 768, layers: 12 }, second: { width: 1280, layers: 32 } } as const;
const POOLED_WIDTH = SDXL_ENCODERS.second.width;
const TIME_IDS = 6;

/** Token and position embeddings of the ids: [B, T, TOKEN_DIM]. */
function tokenFeatures(g: GraphBuilder, idsType: 'int32' | 'int64'): string {
  const ids = g.input('input_ids', idsType, ['batch_size', 'sequence_length']);
  const tableSize = idsType === 'int32' ? Int32Array.of(TOKEN_TABLE) : int64(TOKEN_TABLE);
  const row = g.op('Mod', [ids, g.constant([], tableSize)]);
  const token = g.op('Gather', [g.random([TOKEN_TABLE, TOKEN_DIM], 1), row], { axis: 0 });
  return g.op('Tanh', [g.op('Add', [token, g.random([MAX_TOKENS, TOKEN_DIM], 0.5)])]);
}

/**
 * A CLIP text encoder with every layer's output, as optimum exports SDXL's: hidden_states.0 (embeddings) to
 * hidden_states.<layers>, and last_hidden_state (after a final scaling, so it differs from the last layer).
 * Each layer is a per-channel affine + Tanh: cheap at full width.
 */
function hiddenStateEncoder(g: GraphBuilder, idsType: 'int32' | 'int64', width: number, layers: number) {
  const states = [g.linear(tokenFeatures(g, idsType), TOKEN_DIM, width)];
  for (let k = 1; k <= layers; k++) states.push(g.op('Tanh', [g.op('Add', [g.op('Mul', [states[k - 1]!, g.random([width], 1.5)]), g.random([width], 0.3)])]));
  const last = g.op('Mul', [states.at(-1)!, g.random([width], 1)]);
  return { states, last, pooled: g.op('ReduceMean', [last], { axes: [1], keepdims: 0 }) };
}

function hiddenStateOutputs(g: GraphBuilder, states: readonly string[], width: number): void {
  states.forEach((h, k) => g.output(h, `hidden_states.${k}`, 'float32', ['batch_size', 'sequence_length', width]));
}

/** SDXL's text_encoder (CLIP ViT-L): last_hidden_state, pooler_output, hidden_states.0..12. */
export function sdxlFirstEncoderGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 105);
  const { width, layers } = SDXL_ENCODERS.first;
  const { states, last, pooled } = hiddenStateEncoder(g, v.idsType, width, layers);
  g.output(last, 'last_hidden_state', 'float32', ['batch_size', 'sequence_length', width]);
  g.output(pooled, 'pooler_output', 'float32', ['batch_size', width]);
  hiddenStateOutputs(g, states, width);
  return g;
}

/** SDXL's text_encoder_2 (OpenCLIP bigG with projection), int64 ids: text_embeds, last_hidden_state, hidden_states.0..32. */
export function sdxlSecondEncoderGraph(): GraphBuilder {
  const g = new GraphBuilder('text_encoder_2', 106);
  const { width, layers } = SDXL_ENCODERS.second;
  const { states, last, pooled } = hiddenStateEncoder(g, 'int64', width, layers);
  g.output(g.op('Mul', [pooled, g.random([width], 1)]), 'text_embeds', 'float32', ['batch_size', width]);
  g.output(last, 'last_hidden_state', 'float32', ['batch_size', 'sequence_length', width]);
  hiddenStateOutputs(g, states, width);
  return g;
}

export function textEncoderGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 101);
  const hidden = g.linear(tokenFeatures(g, v.idsType), TOKEN_DIM, v.textWidth);
  const pooled = g.op('ReduceMean', [hidden], { axes: [1], keepdims: 0 });
  const type = floatType(v);
  g.output(toBoundary(g, v, hidden), 'last_hidden_state', type, ['batch_size', 'sequence_length', v.textWidth]);
  g.output(toBoundary(g, v, pooled), 'pooler_output', type, ['batch_size', v.textWidth]);
  return g;
}

/** Sinusoidal features of the timestep, projected to the UNet width: [B or 1, C]. */
function timeEmbedding(g: GraphBuilder, v: TinyVariant): string {
  const shape = v.timestep.rank === 0 ? [] : [v.timestep.type === 'int64' ? 'steps' : 'batch_size'];
  const raw = g.input('timestep', v.timestep.type, shape);
  const t = v.timestep.type === 'float32' ? raw : g.op('Cast', [raw], { to: ONNX_DTYPE.float32 });
  const column = g.op('Reshape', [t, g.constant([2], int64(-1, 1))]);
  const freqs = Float32Array.from({ length: TIME_FREQS }, (_, i) => Math.exp((-Math.log(1000) * i) / TIME_FREQS));
  const phase = g.op('Mul', [column, g.constant([1, TIME_FREQS], freqs)]);
  return g.linear(g.op('Sin', [phase]), TIME_FREQS, UNET_CHANNELS);
}

/** SDXL's text_embeds [B,1280] and time_ids [B,6], an LCM UNet's timestep_cond [B,256], each projected and added. */
function addedConditioning(g: GraphBuilder, v: TinyVariant, cond: string): string {
  const type = floatType(v);
  const added: [string, number][] = [
    ...(v.family === 'sdxl' ? [['text_embeds', POOLED_WIDTH], ['time_ids', TIME_IDS]] as [string, number][] : []),
    ...(v.timestepCond ? [['timestep_cond', TIMESTEP_COND]] as [string, number][] : []),
  ];
  let out = cond;
  for (const [name, width] of added) {
    const x = fromBoundary(g, v, g.input(name, type, ['batch_size', width]));
    // time_ids are pixel sizes (512, 1024): scaled to the range of the other inputs.
    const scaled = name === 'time_ids' ? g.op('Mul', [x, g.scalar(1 / 1024)]) : x;
    out = g.op('Add', [out, g.linear(scaled, width, UNET_CHANNELS)]);
  }
  return out;
}

export function unetGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('unet', 202);
  const type = floatType(v);
  const sample = fromBoundary(g, v, g.input('sample', type, ['batch_size', 4, 'height', 'width']));
  const temb = timeEmbedding(g, v);
  const ehs = fromBoundary(g, v, g.input('encoder_hidden_states', type, ['batch_size', 'sequence_length', v.textWidth]));
  const text = g.linear(g.op('ReduceMean', [ehs], { axes: [1], keepdims: 0 }), v.textWidth, UNET_CHANNELS);
  const cond = g.op('Reshape', [addedConditioning(g, v, g.op('Add', [temb, text])), g.constant([4], int64(-1, UNET_CHANNELS, 1, 1))]);
  let h = g.op('Relu', [g.op('Add', [g.conv(sample, 4, UNET_CHANNELS), cond])]);
  h = g.op('Relu', [g.conv(h, UNET_CHANNELS, UNET_CHANNELS)]);
  g.output(toBoundary(g, v, g.conv(h, UNET_CHANNELS, 4)), 'out_sample', type, ['batch_size', 4, 'height', 'width']);
  return g;
}

/** Three stride-2 convs: [B,3,H,W] -> [B,4 or 8,H/8,W/8]. */
export function vaeEncoderGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('vae_encoder', 303);
  const type = floatType(v);
  let h = fromBoundary(g, v, g.input('sample', type, ['batch_size', 3, 'height', 'width']));
  h = g.op('Relu', [g.conv(h, 3, VAE_CHANNELS, 3, 2)]);
  h = g.op('Relu', [g.conv(h, VAE_CHANNELS, VAE_CHANNELS, 3, 2)]);
  const channels = v.vaeOutput === 'latent_parameters' ? 8 : 4;
  const latent = g.conv(h, VAE_CHANNELS, channels, 3, 2);
  g.output(toBoundary(g, v, latent), v.vaeOutput, type, ['batch_size', channels, 'latent_height', 'latent_width']);
  return g;
}

/**
 * Nearest x2 upsamples with convs up to H/2, the RGB projection there, a last upsample to H (cheap on 3 channels),
 * Tanh at the end (then to [0,1] for the zero_one variant).
 */
export function vaeDecoderGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('vae_decoder', 404);
  const type = floatType(v);
  let h = fromBoundary(g, v, g.input('latent_sample', type, ['batch_size', 4, 'latent_height', 'latent_width']));
  h = g.op('Relu', [g.conv(h, 4, VAE_CHANNELS)]);
  const scales = g.constant([4], Float32Array.of(1, 1, 2, 2));
  const upsample = (x: string) => g.op('Resize', [x, '', scales], { mode: 'nearest' });
  for (let i = 0; i < 2; i++) h = g.op('Relu', [g.conv(upsample(h), VAE_CHANNELS, VAE_CHANNELS)]);
  h = upsample(g.conv(h, VAE_CHANNELS, 3));
  let image = g.op('Tanh', [h]);
  if (v.vaeRange === 'zero_one') image = g.op('Add', [g.op('Mul', [image, g.scalar(0.5)]), g.scalar(0.5)]);
  g.output(toBoundary(g, v, image), 'sample', type, ['batch_size', 3, 'height', 'width']);
  return g;
}

/** The variant's model files, path -> graph. */
export function tinyNets(v: TinyVariant): [string, GraphBuilder][] {
  const text: [string, GraphBuilder][] = v.family === 'sdxl'
    ? [['text_encoder/model.onnx', sdxlFirstEncoderGraph(v)], ['text_encoder_2/model.onnx', sdxlSecondEncoderGraph()]]
    : [['text_encoder/model.onnx', textEncoderGraph(v)]];
  return [...text, ['unet/model.onnx', unetGraph(v)], ['vae_encoder/model.onnx', vaeEncoderGraph(v)], ['vae_decoder/model.onnx', vaeDecoderGraph(v)]];
}
