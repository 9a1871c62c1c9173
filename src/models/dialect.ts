import type { InferenceSession } from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import { isResidualName, residualPorts, type ResidualPorts } from './controlnet.js';
import type { ModelDialect } from './sd-models.js';

export const MODEL_FILES = {
  text: 'text_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeEncoder: 'vae_encoder/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
} as const;
export type ModelRole = keyof typeof MODEL_FILES;
/** SDXL's second text encoder (OpenCLIP bigG), beside the four files in SDXL folders only. */
export const SECOND_TEXT_ENCODER = 'text_encoder_2/model.onnx';
type Role = ModelRole | 'text2';
export type ModelSessions = Record<ModelRole, InferenceSession> & { text2?: InferenceSession };

type TensorMeta = InferenceSession.TensorValueMetadata;
type FloatType = 'float32' | 'float16';

export interface Port {
  name: string;
  type: FloatType;
}

/** SDXL's second encoder: its ids (padded with its own pad id), its penultimate hidden state and pooled output. */
export interface SecondEncoderIo {
  ids: string;
  idsType: 'int32' | 'int64';
  padId: number;
  hidden: string;
  pooled: string;
}

/** The names and types the loader feeds and reads, resolved once at load. */
export interface ModelIo {
  textIds: string;
  /** last_hidden_state, or for SDXL the first encoder's penultimate hidden state. */
  textOut: string;
  text2?: SecondEncoderIo;
  unetSample: Port;
  unetTimestep: string;
  /** Every UNet input besides sample and timestep, fed from the Conditioning entry of the same name. */
  unetConditioning: Port[];
  unetOut: string;
  /** A ControlNet-ready UNet's additional residual inputs (fed zeros while no ControlNet is active). */
  unetResiduals?: ResidualPorts;
  /** The UNet's fixed batch (static-shape exports): calls always carry exactly this many slots. */
  unetFixedBatch: number | undefined;
  /** The text encoder's fixed batch ([1,77] web exports). */
  textFixedBatch: number | undefined;
  vaeImage: Port;
  vaeLatent: string;
  decoderLatent: Port;
  decoderImage: string;
}

export interface DetectOptions {
  width: number;
  height: number;
  vaeRange: ModelDialect['vaeRange'];
  vaeScaling: number;
  padId: number | undefined;
  bosId: number;
  eosId: number;
  /** tokenizer_2's pad id (SDXL; OpenCLIP pads with "!", id 0). */
  text2PadId?: number;
}

const UNET_INPUTS = ['sample', 'timestep', 'encoder_hidden_states'];
/** The UNet inputs fed from the Conditioning record (SDXL's text_embeds and time_ids, LCM's timestep_cond). */
const CONDITIONING_INPUTS = ['encoder_hidden_states', 'text_embeds', 'time_ids', 'timestep_cond'];
const SDXL_INPUTS = ['text_embeds', 'time_ids'];
/** LCM's timestep_cond width when the graph leaves it dynamic (time_cond_proj_dim of every LCM UNet seen). */
const TIMESTEP_COND_WIDTH = 256;

function dialectError(role: Role, what: string): SdliveError {
  return new SdliveError('SDL_ERR_MODEL_DIALECT', `${role === 'text2' ? SECOND_TEXT_ENCODER : MODEL_FILES[role]}: ${what}`, 'model');
}

function tensors(list: readonly InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.filter((m): m is TensorMeta => m.isTensor);
}

/** The value named by the first of `names` present, else the only/first one, else a dialect error. */
function pick(role: Role, list: readonly InferenceSession.ValueMetadata[], names: readonly string[], what: string): TensorMeta {
  const all = tensors(list);
  const found = names.map((n) => all.find((m) => m.name === n)).find((m) => m !== undefined) ?? all[0];
  if (!found) throw dialectError(role, `has no ${what}`);
  return found;
}

function floatPort(role: ModelRole, m: TensorMeta): Port {
  if (m.type !== 'float32' && m.type !== 'float16') throw dialectError(role, `input ${m.name} is ${m.type}; expected float32 or float16`);
  return { name: m.name, type: m.type };
}

const fixedDim = (d: number | string | undefined): number | undefined => (typeof d === 'number' ? d : undefined);
const shapeText = (m: TensorMeta) => `[${m.shape.join(',')}]`;

/**
 * A fixed spatial size in the export must match the requested one (web exports are often fixed to 512x512).
 * `pixelsPerCell` is 8 for latents, 1 for images. Returns the fixed size in pixels, if any.
 */
function checkSpatial(role: ModelRole, m: TensorMeta, pixelsPerCell: number, opts: DetectOptions): { width: number; height: number } | undefined {
  const [h, w] = [fixedDim(m.shape[2]), fixedDim(m.shape[3])];
  if (h === undefined && w === undefined) return undefined;
  const size = { width: (w ?? opts.width / pixelsPerCell) * pixelsPerCell, height: (h ?? opts.height / pixelsPerCell) * pixelsPerCell };
  if (size.width !== opts.width || size.height !== opts.height) {
    const needs = `${opts.height / pixelsPerCell}x${opts.width / pixelsPerCell}`;
    const fixed = `${String(m.shape[2])}x${String(m.shape[3])} (${shapeText(m)}, ${size.width}x${size.height} pixels)`;
    throw dialectError(role, `${m.name} is fixed to ${fixed} but width x height = ${opts.width}x${opts.height} needs ${needs}: set width ${size.width} and height ${size.height}, or re-export with dynamic axes`);
  }
  return size;
}

/** The pipeline encodes and decodes one frame per call: a VAE fixed to another batch cannot serve it. */
function checkSingleFrame(role: ModelRole, m: TensorMeta): void {
  const batch = fixedDim(m.shape[0]);
  if (batch !== undefined && batch !== 1) throw dialectError(role, `${m.name} is fixed to ${shapeText(m)}: sdlive runs one frame per call; re-export with batch 1 or a dynamic batch`);
}

function timestepDialect(m: TensorMeta): ModelDialect['unetTimestep'] {
  if (m.type !== 'int64' && m.type !== 'float32' && m.type !== 'float16') throw dialectError('unet', `timestep is ${m.type}; expected int64, float32 or float16`);
  if (m.shape.length > 1) throw dialectError('unet', `timestep has rank ${m.shape.length}; expected a scalar or [batch]`);
  return { type: m.type, rank: m.shape.length === 0 ? 0 : 1 };
}

function unetIo(unet: InferenceSession, opts: DetectOptions) {
  const names = tensors(unet.inputMetadata).map((m) => m.name);
  const unsupported = names.find((n) => !UNET_INPUTS.includes(n) && !CONDITIONING_INPUTS.includes(n) && !isResidualName(n));
  if (unsupported) throw dialectError('unet', `input ${unsupported} is not supported (sdlive feeds ${['sample', 'timestep', ...CONDITIONING_INPUTS].join(', ')} and ControlNet residuals down_block_*, mid_block_*)`);
  const missing = UNET_INPUTS.filter((n) => !names.includes(n));
  if (missing.length) throw dialectError('unet', `missing input(s) ${missing.join(', ')} (has ${names.join(', ')})`);
  const [sample, timestep, ehs] = UNET_INPUTS.map((n) => pick('unet', unet.inputMetadata, [n], n)) as [TensorMeta, TensorMeta, TensorMeta];
  const fixedSize = checkSpatial('unet', sample, 8, opts);
  const ts = timestepDialect(timestep);
  const fixedBatch = unetFixedBatch(sample, ehs, timestep);
  return {
    sample, ehs, ts, fixedBatch, fixedSize, names,
    residuals: residualPorts(MODEL_FILES.unet, unet.inputMetadata),
    conditioning: tensors(unet.inputMetadata).filter((m) => CONDITIONING_INPUTS.includes(m.name)),
    batchedTimestep: ts.rank === 1 && timestep.shape[0] !== 1 && fixedBatch !== 1,
    out: pick('unet', unet.outputMetadata, ['out_sample', 'latent'], 'output'),
  };
}

/** A static batch on sample or encoder_hidden_states, or a timestep fixed to more than one element (int64 [2]). */
function unetFixedBatch(sample: TensorMeta, ehs: TensorMeta, timestep: TensorMeta): number | undefined {
  const fromTimestep = fixedDim(timestep.shape[0]);
  const batches = [fixedDim(sample.shape[0]), fixedDim(ehs.shape[0]), fromTimestep === 1 ? undefined : fromTimestep];
  const fixed = batches.filter((b): b is number => b !== undefined);
  if (new Set(fixed).size > 1) throw dialectError('unet', `sample ${shapeText(sample)}, encoder_hidden_states ${shapeText(ehs)} and timestep ${shapeText(timestep)} fix different batch sizes`);
  return fixed[0];
}

function idsInput(role: Role, text: InferenceSession): TensorMeta & { type: 'int32' | 'int64' } {
  const ids = pick(role, text.inputMetadata, ['input_ids'], 'input');
  if (ids.type !== 'int32' && ids.type !== 'int64') throw dialectError(role, `${ids.name} is ${ids.type}; expected int32 or int64 token ids`);
  return { ...ids, type: ids.type };
}

function textIo(text: InferenceSession) {
  const ids = idsInput('text', text);
  const out = pick('text', text.outputMetadata, ['last_hidden_state', 'text_embeddings'], 'output');
  return { ids, idsType: ids.type, out, maxTokens: fixedDim(ids.shape[1]) ?? 77, fixedBatch: fixedDim(ids.shape[0]) };
}

function textWidthOf(textOut: TensorMeta, unetEhs: TensorMeta): number {
  const width = [textOut.shape[2], unetEhs.shape[2]].find((d): d is number => typeof d === 'number');
  if (width === undefined) throw dialectError('unet', 'the text embedding width is dynamic in both the text encoder and the UNet');
  if (typeof unetEhs.shape[2] === 'number' && typeof textOut.shape[2] === 'number' && unetEhs.shape[2] !== textOut.shape[2]) {
    throw dialectError('unet', `encoder_hidden_states is ${unetEhs.shape[2]} wide but the text encoder gives ${textOut.shape[2]}: the folder mixes two models`);
  }
  return width;
}

function vaeEncoderOutputKind(name: string): ModelDialect['vaeEncoderOutput'] {
  return name === 'latent_sample' || name === 'latent_parameters' ? name : 'latent';
}

/** The penultimate of the hidden_states.N outputs (what SDXL conditions on), or the only one an export kept. */
function penultimateHiddenState(role: Role, session: InferenceSession): TensorMeta {
  const index = (m: TensorMeta) => Number(m.name.slice('hidden_states.'.length));
  const states = tensors(session.outputMetadata).filter((m) => /^hidden_states\.\d+$/.test(m.name)).sort((a, b) => index(a) - index(b));
  const chosen = states.at(-2) ?? states[0];
  if (!chosen) throw dialectError(role, `has no hidden_states.N outputs (SDXL takes the penultimate layer's; outputs: ${tensors(session.outputMetadata).map((m) => m.name).join(', ')})`);
  return chosen;
}

/**
 * SDXL is told by the files: a UNet that takes text_embeds and time_ids, and text_encoder_2/ for them. Half
 * of that is a folder mixing two models.
 */
function familyOf(unetInputs: readonly string[], text2: InferenceSession | undefined): ModelDialect['family'] {
  const sdxl = SDXL_INPUTS.filter((n) => unetInputs.includes(n));
  if (sdxl.length === 0 && text2) throw dialectError('text2', 'is present but the UNet takes no text_embeds/time_ids: the folder mixes an SDXL text encoder with another UNet');
  if (sdxl.length === 0) return 'sd';
  if (sdxl.length === 1) throw dialectError('unet', `takes ${sdxl[0]} without ${SDXL_INPUTS.find((n) => n !== sdxl[0])}: not an SDXL UNet`);
  if (!text2) throw dialectError('unet', `is an SDXL UNet (text_embeds, time_ids): it needs ${SECOND_TEXT_ENCODER} and tokenizer_2/ beside it (copy them from the model repository)`);
  return 'sdxl';
}

const staticDim = (m: TensorMeta, axis: number) => (typeof m.shape[axis] === 'number' ? m.shape[axis] : undefined);

/** The two encoders' hidden states side by side must make the UNet's encoder_hidden_states width (768 + 1280 = 2048). */
function sdxlTextWidth(first: TensorMeta, second: TensorMeta, unetEhs: TensorMeta): number {
  const [a, b, unet] = [staticDim(first, 2), staticDim(second, 2), staticDim(unetEhs, 2)];
  const sum = a !== undefined && b !== undefined ? a + b : undefined;
  if (sum !== undefined && unet !== undefined && sum !== unet) {
    throw dialectError('unet', `encoder_hidden_states is ${unet} wide but the two text encoders give ${a} + ${b}: the folder mixes two models`);
  }
  const width = unet ?? sum;
  if (width === undefined) throw dialectError('unet', 'the text embedding width is dynamic in the text encoders and the UNet');
  return width;
}

function sdxlText(s: ModelSessions, unetEhs: TensorMeta, opts: DetectOptions) {
  const text2 = s.text2!;
  const hidden = penultimateHiddenState('text', s.text);
  const hidden2 = penultimateHiddenState('text2', text2);
  const pooled = tensors(text2.outputMetadata).find((m) => m.name === 'text_embeds');
  if (!pooled) throw dialectError('text2', 'has no text_embeds output (the pooled embedding the SDXL UNet takes)');
  const ids = idsInput('text2', text2);
  const second: SecondEncoderIo = { ids: ids.name, idsType: ids.type, padId: opts.text2PadId ?? 0, hidden: hidden2.name, pooled: pooled.name };
  return { textOut: hidden.name, width: sdxlTextWidth(hidden, hidden2, unetEhs), second };
}

function timestepCondWidth(conditioning: readonly TensorMeta[]): number {
  const cond = conditioning.find((m) => m.name === 'timestep_cond');
  return cond ? (staticDim(cond, 1) ?? TIMESTEP_COND_WIDTH) : 0;
}

/** Reads the dialect from the sessions' input/output metadata (names, dtypes, ranks). */
export function detectDialect(s: ModelSessions, opts: DetectOptions): { dialect: ModelDialect; io: ModelIo } {
  const text = textIo(s.text);
  const unet = unetIo(s.unet, opts);
  const family = familyOf(unet.names, s.text2);
  const sdxl = family === 'sdxl' ? sdxlText(s, unet.ehs, opts) : undefined;
  const vaeImage = pick('vaeEncoder', s.vaeEncoder.inputMetadata, ['sample', 'images'], 'input');
  const vaeLatent = pick('vaeEncoder', s.vaeEncoder.outputMetadata, ['latent_sample', 'latent_parameters', 'latent'], 'output');
  const decoderLatent = pick('vaeDecoder', s.vaeDecoder.inputMetadata, ['latent_sample', 'latent'], 'input');
  const fixedSize = [checkSpatial('vaeEncoder', vaeImage, 1, opts), checkSpatial('vaeDecoder', decoderLatent, 8, opts), unet.fixedSize].find((f) => f);
  checkSingleFrame('vaeEncoder', vaeImage);
  checkSingleFrame('vaeDecoder', decoderLatent);
  const decoderImage = pick('vaeDecoder', s.vaeDecoder.outputMetadata, ['sample', 'images'], 'output');
  const textWidth = sdxl?.width ?? textWidthOf(text.out, unet.ehs);
  const unetSample = floatPort('unet', unet.sample);
  const dialect: ModelDialect = {
    textWidth,
    family,
    timestepCondWidth: timestepCondWidth(unet.conditioning),
    bosId: opts.bosId,
    eosId: opts.eosId,
    padId: opts.padId ?? opts.eosId,
    maxTokens: text.maxTokens,
    textInputType: text.idsType,
    unetTimestep: unet.ts,
    batchedTimestep: unet.batchedTimestep,
    fp16: unetSample.type === 'float16',
    vaeEncoderOutput: vaeEncoderOutputKind(vaeLatent.name),
    vaeRange: opts.vaeRange,
    vaeScaling: opts.vaeScaling,
    latentChannels: fixedDim(unet.sample.shape[1]) ?? 4,
    ...(unet.fixedBatch === undefined ? {} : { unetFixedBatch: unet.fixedBatch }),
    ...(unet.residuals ? { controlResiduals: unet.residuals.down.length } : {}),
    ...(fixedSize ? { fixedSize } : {}),
  };
  const io: ModelIo = {
    textIds: text.ids.name,
    textOut: sdxl?.textOut ?? text.out.name,
    ...(sdxl ? { text2: sdxl.second } : {}),
    unetSample,
    unetTimestep: 'timestep',
    unetConditioning: unet.conditioning.map((m) => floatPort('unet', m)),
    unetOut: unet.out.name,
    ...(unet.residuals ? { unetResiduals: unet.residuals } : {}),
    unetFixedBatch: unet.fixedBatch,
    textFixedBatch: text.fixedBatch,
    vaeImage: floatPort('vaeEncoder', vaeImage),
    vaeLatent: vaeLatent.name,
    decoderLatent: floatPort('vaeDecoder', decoderLatent),
    decoderImage: decoderImage.name,
  };
  return { dialect, io };
}
