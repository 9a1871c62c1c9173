import type { InferenceSession } from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { ModelDialect } from './sd-models.js';

export const MODEL_FILES = {
  text: 'text_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeEncoder: 'vae_encoder/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
} as const;
export type ModelRole = keyof typeof MODEL_FILES;

type TensorMeta = InferenceSession.TensorValueMetadata;
type FloatType = 'float32' | 'float16';

export interface Port {
  name: string;
  type: FloatType;
}

/** The names and types the loader feeds and reads, resolved once at load. */
export interface ModelIo {
  textIds: string;
  textOut: string;
  unetSample: Port;
  unetTimestep: string;
  /** Every UNet input besides sample and timestep, fed from the Conditioning entry of the same name. */
  unetConditioning: Port[];
  unetOut: string;
  /** False when the UNet's batch axis is fixed to 1 (then slots always run one by one). */
  unetBatchable: boolean;
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
}

const UNET_INPUTS = ['sample', 'timestep', 'encoder_hidden_states'];
const UNSUPPORTED_INPUTS: Record<string, string> = {
  timestep_cond: 'an LCM-distilled UNet (timestep_cond) is not supported: export the plain UNet',
  text_embeds: 'an SDXL UNet (text_embeds, time_ids) is not supported: use SD-Turbo, SD 2.x or SD 1.x',
  time_ids: 'an SDXL UNet (text_embeds, time_ids) is not supported: use SD-Turbo, SD 2.x or SD 1.x',
};

function dialectError(role: ModelRole, what: string): SdliveError {
  return new SdliveError('SDL_ERR_MODEL_DIALECT', `${MODEL_FILES[role]}: ${what}`, 'model');
}

function tensors(list: readonly InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.filter((m): m is TensorMeta => m.isTensor);
}

/** The value named by the first of `names` present, else the only/first one, else a dialect error. */
function pick(role: ModelRole, list: readonly InferenceSession.ValueMetadata[], names: readonly string[], what: string): TensorMeta {
  const all = tensors(list);
  const found = names.map((n) => all.find((m) => m.name === n)).find((m) => m !== undefined) ?? all[0];
  if (!found) throw dialectError(role, `has no ${what}`);
  return found;
}

function floatPort(role: ModelRole, m: TensorMeta): Port {
  if (m.type !== 'float32' && m.type !== 'float16') throw dialectError(role, `input ${m.name} is ${m.type}; expected float32 or float16`);
  return { name: m.name, type: m.type };
}

/** A fixed spatial size in the export must match the requested one (web exports are often fixed to 512x512). */
function checkSpatial(role: ModelRole, m: TensorMeta, expectH: number, expectW: number, opts: DetectOptions): void {
  const [h, w] = [m.shape[2], m.shape[3]];
  const fixed = (d: number | string | undefined, want: number) => typeof d === 'number' && d !== want;
  if (fixed(h, expectH) || fixed(w, expectW)) {
    throw dialectError(role, `${m.name} is fixed to ${String(h)}x${String(w)} but width x height = ${opts.width}x${opts.height} needs ${expectH}x${expectW}: set width/height to match the export or re-export with dynamic axes`);
  }
}

function timestepDialect(m: TensorMeta): ModelDialect['unetTimestep'] {
  if (m.type !== 'int64' && m.type !== 'float32' && m.type !== 'float16') throw dialectError('unet', `timestep is ${m.type}; expected int64, float32 or float16`);
  if (m.shape.length > 1) throw dialectError('unet', `timestep has rank ${m.shape.length}; expected a scalar or [batch]`);
  return { type: m.type, rank: m.shape.length === 0 ? 0 : 1 };
}

function unetIo(unet: InferenceSession, opts: DetectOptions) {
  const names = tensors(unet.inputMetadata).map((m) => m.name);
  const unsupported = names.find((n) => UNSUPPORTED_INPUTS[n]);
  if (unsupported) throw dialectError('unet', UNSUPPORTED_INPUTS[unsupported]!);
  const missing = UNET_INPUTS.filter((n) => !names.includes(n));
  if (missing.length) throw dialectError('unet', `missing input(s) ${missing.join(', ')} (has ${names.join(', ')})`);
  const [sample, timestep, ehs] = UNET_INPUTS.map((n) => pick('unet', unet.inputMetadata, [n], n)) as [TensorMeta, TensorMeta, TensorMeta];
  checkSpatial('unet', sample, opts.height / 8, opts.width / 8, opts);
  const ts = timestepDialect(timestep);
  const unetBatchable = sample.shape[0] !== 1;
  return {
    sample, ehs, ts, unetBatchable,
    batchedTimestep: ts.rank === 1 && timestep.shape[0] !== 1 && unetBatchable,
    out: pick('unet', unet.outputMetadata, ['out_sample', 'latent'], 'output'),
  };
}

function textIo(text: InferenceSession) {
  const ids = pick('text', text.inputMetadata, ['input_ids'], 'input');
  if (ids.type !== 'int32' && ids.type !== 'int64') throw dialectError('text', `${ids.name} is ${ids.type}; expected int32 or int64 token ids`);
  const out = pick('text', text.outputMetadata, ['last_hidden_state', 'text_embeddings'], 'output');
  return { ids, idsType: ids.type, out, maxTokens: typeof ids.shape[1] === 'number' ? ids.shape[1] : 77 };
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

/** Reads the dialect from the sessions' input/output metadata (names, dtypes, ranks). */
export function detectDialect(s: Record<ModelRole, InferenceSession>, opts: DetectOptions): { dialect: ModelDialect; io: ModelIo } {
  const text = textIo(s.text);
  const unet = unetIo(s.unet, opts);
  const vaeImage = pick('vaeEncoder', s.vaeEncoder.inputMetadata, ['sample', 'images'], 'input');
  checkSpatial('vaeEncoder', vaeImage, opts.height, opts.width, opts);
  const vaeLatent = pick('vaeEncoder', s.vaeEncoder.outputMetadata, ['latent_sample', 'latent_parameters', 'latent'], 'output');
  const decoderLatent = pick('vaeDecoder', s.vaeDecoder.inputMetadata, ['latent_sample', 'latent'], 'input');
  const decoderImage = pick('vaeDecoder', s.vaeDecoder.outputMetadata, ['sample', 'images'], 'output');
  const textWidth = textWidthOf(text.out, unet.ehs);
  const unetSample = floatPort('unet', unet.sample);
  const dialect: ModelDialect = {
    textWidth,
    bosId: opts.bosId,
    eosId: opts.eosId,
    padId: opts.padId ?? (textWidth === 768 ? opts.eosId : 0),
    maxTokens: text.maxTokens,
    textInputType: text.idsType,
    unetTimestep: unet.ts,
    batchedTimestep: unet.batchedTimestep,
    fp16: unetSample.type === 'float16',
    vaeEncoderOutput: vaeEncoderOutputKind(vaeLatent.name),
    vaeRange: opts.vaeRange,
    vaeScaling: opts.vaeScaling,
    latentChannels: typeof unet.sample.shape[1] === 'number' ? unet.sample.shape[1] : 4,
  };
  const io: ModelIo = {
    textIds: text.ids.name,
    textOut: text.out.name,
    unetSample,
    unetTimestep: 'timestep',
    unetConditioning: [floatPort('unet', unet.ehs)],
    unetOut: unet.out.name,
    unetBatchable: unet.unetBatchable,
    vaeImage: floatPort('vaeEncoder', vaeImage),
    vaeLatent: vaeLatent.name,
    decoderLatent: floatPort('vaeDecoder', decoderLatent),
    decoderImage: decoderImage.name,
  };
  return { dialect, io };
}
