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

const floatType = (v: TinyVariant) => (v.fp16 ? 'float16' : 'float32');

/** Casts an fp16 boundary value to float32 inside the graph (the nets compute in float32). */
function fromBoundary(g: GraphBuilder, v: TinyVariant, x: string): string {
  return v.fp16 ? g.op('Cast', [x], { to: ONNX_DTYPE.float32 }) : x;
}

function toBoundary(g: GraphBuilder, v: TinyVariant, x: string): string {
  return v.fp16 ? g.op('Cast', [x], { to: ONNX_DTYPE.float16 }) : x;
}

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

export function textEncoderGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 101);
  const ids = g.input('input_ids', v.idsType, ['batch_size', 'sequence_length']);
  const tableSize = v.idsType === 'int32' ? Int32Array.of(TOKEN_TABLE) : int64(TOKEN_TABLE);
  const row = g.op('Mod', [ids, g.constant([], tableSize)]);
  const token = g.op('Gather', [g.random([TOKEN_TABLE, TOKEN_DIM], 1), row], { axis: 0 });
  const h = g.op('Tanh', [g.op('Add', [token, g.random([MAX_TOKENS, TOKEN_DIM], 0.5)])]);
  const hidden = g.linear(h, TOKEN_DIM, v.textWidth);
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

export function unetGraph(v: TinyVariant): GraphBuilder {
  const g = new GraphBuilder('unet', 202);
  const type = floatType(v);
  const sample = fromBoundary(g, v, g.input('sample', type, ['batch_size', 4, 'height', 'width']));
  const temb = timeEmbedding(g, v);
  const ehs = fromBoundary(g, v, g.input('encoder_hidden_states', type, ['batch_size', 'sequence_length', v.textWidth]));
  const text = g.linear(g.op('ReduceMean', [ehs], { axes: [1], keepdims: 0 }), v.textWidth, UNET_CHANNELS);
  const cond = g.op('Reshape', [g.op('Add', [temb, text]), g.constant([4], int64(-1, UNET_CHANNELS, 1, 1))]);
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

export const TINY_NETS = {
  'text_encoder/model.onnx': textEncoderGraph,
  'unet/model.onnx': unetGraph,
  'vae_encoder/model.onnx': vaeEncoderGraph,
  'vae_decoder/model.onnx': vaeDecoderGraph,
} as const;
