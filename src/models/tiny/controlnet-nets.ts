import { GraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxDtype } from '../onnx/model-proto.js';
import { fromBoundary, int64, timeEmbedding, toBoundary, widthOf, type NetIo, type TensorSpec } from './nets.js';

/**
 * SD 1.x's ControlNet residuals scaled down 40x: 320, 640, 1280 channels -> 8, 16, 32, the same 12 down feature
 * maps (three per block, each block halving the size) and the mid block at the last size.
 */
export const TINY_RESIDUAL_CHANNELS = [8, 8, 8, 8, 16, 16, 16, 32, 32, 32, 32, 32] as const;
const MID_CHANNELS = 32;
const FEATURES = 8;

const level = (i: number) => Math.floor(i / 3);

function residualSpec(name: string, type: OnnxDtype, channels: number, at: number): TensorSpec {
  return { name, type, shape: ['batch_size', channels, `latent_height_${at}`, `latent_width_${at}`] };
}

/** The residual specs under the given names, down ones then the mid one. */
function residualSpecs(type: OnnxDtype, down: (i: number) => string, mid: string): TensorSpec[] {
  const last = level(TINY_RESIDUAL_CHANNELS.length - 1);
  return [...TINY_RESIDUAL_CHANNELS.map((c, i) => residualSpec(down(i), type, c, level(i))), residualSpec(mid, type, MID_CHANNELS, last)];
}

/** The UNet's inputs as TensorStack's ControlNet UNets name them. */
export function unetResidualSpecs(type: OnnxDtype): TensorSpec[] {
  return residualSpecs(type, (i) => `down_block_${i}_additional_residual`, 'mid_block_additional_residual');
}

/** The ControlNet's outputs, as diffusers' ControlNetOutput fields name them. */
export function controlNetOutputSpecs(type: OnnxDtype): TensorSpec[] {
  return residualSpecs(type, (i) => `down_block_res_sample_${i}`, 'mid_block_res_sample');
}

const channelsOf = (spec: TensorSpec) => spec.shape[1] as number;

/** Every residual projected to `channels`, upsampled to h's size and added to h ([B, channels, h, w]). */
export function addResiduals(g: GraphBuilder, h: string, specs: readonly TensorSpec[], channels: number): string {
  const last = specs.length - 1;
  return specs.reduce((acc, spec, i) => {
    const factor = 2 ** level(i === last ? last - 1 : i);
    const projected = g.conv(fromBoundary(g, spec), channelsOf(spec), channels, 1);
    const up = factor === 1 ? projected : g.op('Resize', [projected, '', g.constant([4], Float32Array.of(1, 1, factor, factor))], { mode: 'nearest' });
    return g.op('Add', [acc, up]);
  }, h);
}

export interface TinyControlNetOptions {
  /** The export takes conditioning_scale (TensorStack's do; others leave the scaling to the caller). */
  scaleInput: boolean;
}

/**
 * A tiny ControlNet with the real I/O: sample, timestep and encoder_hidden_states as the UNet of `io` takes them,
 * controlnet_cond [B,3,H,W] in [0,1] (stride-2 convs down to the latent size, as the real conditioning embedding),
 * optional conditioning_scale [] multiplying every output. A down tower gives the 12 feature maps, each through a
 * 1x1 conv (the real ControlNet's zero convs, random here), and a mid one.
 */
export function controlNetGraph(io: NetIo, options: TinyControlNetOptions): GraphBuilder {
  const g = new GraphBuilder('controlnet', options.scaleInput ? 505 : 506);
  const sample = fromBoundary(g, io.unetSample);
  const temb = g.linear(timeEmbedding(g, io), 16, FEATURES);
  const width = widthOf(io.unetEmbeddings);
  const text = g.linear(g.op('ReduceMean', [fromBoundary(g, io.unetEmbeddings)], { axes: [1], keepdims: 0 }), width, FEATURES);
  const embedding = g.op('Reshape', [g.op('Add', [temb, text]), g.constant([4], int64(-1, FEATURES, 1, 1))]);
  let cond = fromBoundary(g, { name: 'controlnet_cond', type: io.unetSample.type, shape: ['batch_size', 3, 'height', 'width'] });
  for (const cin of [3, FEATURES, FEATURES]) cond = g.op('Relu', [g.conv(cond, cin, FEATURES, 3, 2)]);
  let h = g.op('Relu', [g.op('Add', [g.op('Add', [g.conv(sample, 4, FEATURES), cond]), embedding])]);
  const outputs = controlNetOutputSpecs(io.unetSample.type);
  const scale = options.scaleInput ? fromBoundary(g, { name: 'conditioning_scale', type: io.unetSample.type, shape: [] }) : undefined;
  let channels = FEATURES;
  outputs.forEach((spec, i) => {
    const cout = channelsOf(spec);
    const downsample = i > 0 && i < outputs.length - 1 && i % 3 === 0;
    h = g.op('Relu', [g.conv(h, channels, cout, 3, downsample ? 2 : 1)]);
    channels = cout;
    const residual = g.conv(h, cout, cout, 1);
    toBoundary(g, scale ? g.op('Mul', [residual, scale]) : residual, spec);
  });
  return g;
}
