import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import type { Port } from './dialect.js';
import { createSession, sessionOptions, type ProviderOptions } from './providers.js';
import type { TensorF32 } from './sd-models.js';
import { concatBatch, floatInput, padBatch, padList, readFloat, sliceBatch, timestepInput } from './tensors.js';

/**
 * ControlNet residuals for one UNet call, [B, ...] each: one per UNet down-block feature map (12 for SD 1.x/2.x,
 * 9 for SDXL) and the mid block's. Never written after being made.
 */
export interface ControlResiduals {
  readonly down: readonly TensorF32[];
  readonly mid: TensorF32;
}

/** A residual input or output as the graph declares it (the shape gives the zeros' size where it is fixed). */
export interface ResidualPort extends Port {
  shape: readonly (number | string)[];
}

/** The residual inputs of a UNet, or the outputs of a ControlNet, down ones in block order. */
export interface ResidualPorts {
  down: ResidualPort[];
  mid: ResidualPort;
}

type TensorMeta = ort.InferenceSession.TensorValueMetadata;

function dialectError(file: string, what: string, field = 'model'): SdliveError {
  return new SdliveError('SDL_ERR_MODEL_DIALECT', `${file}: ${what}`, field);
}

/**
 * The block index of a down residual, whatever the exporter's naming: down_block_additional_residual_3,
 * down_block_3_additional_residual (TensorStack), down_block_res_samples_3, down_block_res_sample.3 -> 3.
 */
function downIndex(name: string): number | undefined {
  if (!name.startsWith('down_block')) return undefined;
  const digits = /\d+/.exec(name.slice('down_block'.length));
  return digits ? Number(digits[0]) : undefined;
}

export const isResidualName = (name: string): boolean => downIndex(name) !== undefined || name.startsWith('mid_block');

function residualPort(file: string, m: TensorMeta): ResidualPort {
  if (m.type !== 'float32' && m.type !== 'float16') throw dialectError(file, `${m.name} is ${m.type}; expected float32 or float16`);
  if (m.shape.length !== 4) throw dialectError(file, `${m.name} has rank ${m.shape.length}; a residual is [batch, channels, height, width]`);
  return { name: m.name, type: m.type, shape: m.shape };
}

/** The residual values among `list` (ordered by block index), or undefined when there are none. */
export function residualPorts(file: string, list: readonly ort.InferenceSession.ValueMetadata[]): ResidualPorts | undefined {
  const all = list.filter((m): m is TensorMeta => m.isTensor && isResidualName(m.name));
  if (all.length === 0) return undefined;
  const down = all.filter((m) => downIndex(m.name) !== undefined).sort((a, b) => downIndex(a.name)! - downIndex(b.name)!);
  const mids = all.filter((m) => m.name.startsWith('mid_block'));
  const names = all.map((m) => m.name).join(', ');
  if (mids.length !== 1 || down.length === 0) throw dialectError(file, `residuals ${names}: expected down_block_* ones and exactly one mid_block_* one`);
  const indices = down.map((m) => downIndex(m.name)!);
  if (indices.some((v, i) => v !== indices[0]! + i)) throw dialectError(file, `down residual indices ${indices.join(', ')} are not consecutive`);
  return { down: down.map((m) => residualPort(file, m)), mid: residualPort(file, mids[0]!) };
}

/**
 * The dims of a residual for `batch` slots on a [.., h, w] latent: the channels the graph fixes, and its fixed
 * spatial size or, where that is dynamic, diffusers' layout: three feature maps per down block (two resnets and
 * the downsampler, conv_in first), each block halving the size; the mid block at the last one's size.
 */
export function residualDims(port: ResidualPort, index: number, batch: number, latent: { height: number; width: number }): number[] {
  const channels = port.shape[1];
  if (typeof channels !== 'number') throw new SdliveError('SDL_ERR_MODEL_DIALECT', `${port.name}: the channel count is dynamic; re-export with fixed channels`, 'model');
  const factor = 2 ** Math.floor(index / 3);
  const fixed = (axis: number, size: number) => (typeof port.shape[axis] === 'number' ? (port.shape[axis] as number) : Math.ceil(size / factor));
  return [batch, channels, fixed(2, latent.height), fixed(3, latent.width)];
}

/** Every residual mapped by `f` (slicing a batch, converting, summing). */
export function mapResiduals(r: ControlResiduals, f: (t: TensorF32) => TensorF32): ControlResiduals {
  return { down: r.down.map(f), mid: f(r.mid) };
}

/** What one ControlNet call takes, laid out per UNet slot ([B, ...]); the image [B,3,H,W] in [0,1]. */
export interface ControlNetInputs {
  sample: TensorF32;
  timestep: readonly number[];
  encoderHiddenStates: TensorF32;
  image: TensorF32;
  scale: number;
}

/** The names ControlNet exports give their inputs (diffusers' forward arguments, kept by every exporter seen). */
const CONTROLNET_INPUTS = ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond'] as const;
const SCALE_INPUT = 'conditioning_scale';

/** A ControlNet ONNX file's I/O as read from its session. */
interface ControlNetIo {
  ports: Record<'sample' | 'encoder_hidden_states' | 'controlnet_cond', Port>;
  timestep: { type: 'int64' | 'float32' | 'float16'; rank: 0 | 1; batched: boolean };
  scale: Port | undefined;
  outputs: ResidualPorts;
  /** A static-shape export's batch: calls carry exactly this many slots (the last one repeated). */
  fixedBatch: number | undefined;
  /** The encoder_hidden_states width the export fixes (768 for SD 1.x ControlNets). */
  textWidth: number | undefined;
}

function floatMeta(file: string, m: TensorMeta): Port {
  if (m.type !== 'float32' && m.type !== 'float16') throw dialectError(file, `input ${m.name} is ${m.type}; expected float32 or float16`);
  return { name: m.name, type: m.type };
}

const fixedDim = (m: TensorMeta, axis: number) => (typeof m.shape[axis] === 'number' ? (m.shape[axis] as number) : undefined);

function timestepOf(file: string, m: TensorMeta): ControlNetIo['timestep'] {
  if (m.type !== 'int64' && m.type !== 'float32' && m.type !== 'float16') throw dialectError(file, `timestep is ${m.type}; expected int64, float32 or float16`);
  if (m.shape.length > 1) throw dialectError(file, `timestep has rank ${m.shape.length}; expected a scalar or [batch]`);
  const rank = m.shape.length === 0 ? 0 : 1;
  return { type: m.type, rank, batched: rank === 1 && m.shape[0] !== 1 };
}

/** Reads a ControlNet's I/O from its session: the four inputs, an optional conditioning_scale, the residual outputs. */
export function controlNetIo(file: string, session: ort.InferenceSession): ControlNetIo {
  const inputs = session.inputMetadata.filter((m): m is TensorMeta => m.isTensor);
  const byName = (n: string) => inputs.find((m) => m.name === n);
  const missing = CONTROLNET_INPUTS.filter((n) => !byName(n));
  if (missing.length) throw dialectError(file, `missing input(s) ${missing.join(', ')} (has ${inputs.map((m) => m.name).join(', ')}): not a ControlNet export`);
  const extra = inputs.find((m) => !(CONTROLNET_INPUTS as readonly string[]).includes(m.name) && m.name !== SCALE_INPUT);
  if (extra) throw dialectError(file, `input ${extra.name} is not supported (sdlive feeds ${[...CONTROLNET_INPUTS, SCALE_INPUT].join(', ')})`);
  const outputs = residualPorts(file, session.outputMetadata);
  if (!outputs) throw dialectError(file, `has no down_block_*/mid_block_* residual outputs (outputs: ${session.outputNames.join(', ')})`);
  const scale = byName(SCALE_INPUT);
  const float = (n: string) => floatMeta(file, byName(n)!);
  return {
    ports: { sample: float('sample'), encoder_hidden_states: float('encoder_hidden_states'), controlnet_cond: float('controlnet_cond') },
    timestep: timestepOf(file, byName('timestep')!),
    scale: scale ? floatMeta(file, scale) : undefined,
    outputs,
    fixedBatch: fixedDim(byName('sample')!, 0),
    textWidth: fixedDim(byName('encoder_hidden_states')!, 2),
  };
}

const CONTROLNET_FILES = ['model.onnx', 'controlnet/model.onnx'];

/** A ControlNet is a .onnx file, or a folder holding model.onnx or controlnet/model.onnx. */
export function controlNetFile(path: string, field = 'model'): string {
  if (!existsSync(path)) throw new SdliveError('SDL_ERR_MODEL_LOAD', `ControlNet ${path} does not exist`, field);
  if (!statSync(path).isDirectory()) return path;
  const file = CONTROLNET_FILES.map((f) => join(path, f)).find((f) => existsSync(f));
  if (!file) throw new SdliveError('SDL_ERR_MODEL_LOAD', `ControlNet folder ${path} holds neither ${CONTROLNET_FILES.join(' nor ')}`, field);
  return file;
}

/** One loaded ControlNet session. */
export class ControlNet {
  private constructor(
    readonly name: string,
    private readonly session: ort.InferenceSession,
    private readonly io: ControlNetIo,
  ) {}

  /** Opens `path` (file or folder) on the model's provider; `field` names the parameter in errors. */
  static async load(name: string, path: string, provider: ExecutionProvider, options: { providerOptions?: ProviderOptions; field?: string } = {}): Promise<ControlNet> {
    const file = controlNetFile(path, options.field);
    const session = await createSession(file, sessionOptions(provider, options.providerOptions)).catch((e: unknown) => {
      throw new SdliveError('SDL_ERR_MODEL_LOAD', `ControlNet ${file}: ${e instanceof Error ? e.message : String(e)}`, options.field ?? 'model');
    });
    try {
      return new ControlNet(name, session, controlNetIo(file, session));
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e instanceof SdliveError ? new SdliveError(e.code, e.message, options.field ?? e.field) : e;
    }
  }

  /** Whether the export takes conditioning_scale (else run() scales its outputs). */
  get takesScale(): boolean {
    return this.io.scale !== undefined;
  }

  get residualCount(): number {
    return this.io.outputs.down.length;
  }

  get textWidth(): number | undefined {
    return this.io.textWidth;
  }

  /**
   * The residuals for every slot, times `scale`. A rank-0 or [1] timestep export runs slot by slot; a static batch
   * export in groups of its batch, the last group filled by repeating its last slot.
   */
  async run(inputs: ControlNetInputs): Promise<ControlResiduals> {
    const batch = inputs.sample.dims[0]!;
    const { fixedBatch, timestep } = this.io;
    const together = timestep.batched || inputs.timestep.every((t) => t === inputs.timestep[0]);
    const perCall = together ? (fixedBatch ?? batch) : 1;
    const names = [...this.io.outputs.down, this.io.outputs.mid].map((p) => p.name);
    const parts: ControlResiduals[] = [];
    for (let from = 0; from < batch; from += perCall) parts.push(await this.call(inputs, from, Math.min(batch, from + perCall), names));
    const joined = parts.length === 1 ? parts[0]! : joinResiduals(parts);
    return this.takesScale || inputs.scale === 1 ? joined : mapResiduals(joined, (t) => ({ data: t.data.map((v) => v * inputs.scale), dims: t.dims }));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private async call(inputs: ControlNetInputs, from: number, to: number, names: string[]): Promise<ControlResiduals> {
    const { ports, timestep, scale, fixedBatch } = this.io;
    const slice = (t: TensorF32) => padBatch(sliceBatch(t, from, to), fixedBatch);
    const steps = padList(inputs.timestep.slice(from, to), fixedBatch);
    const feeds: Record<string, ort.Tensor> = {
      [ports.sample.name]: floatInput(ports.sample.type, slice(inputs.sample)),
      timestep: timestepInput(timestep.type, timestep.rank, timestep.batched ? steps : [steps[0]!]),
      [ports.encoder_hidden_states.name]: floatInput(ports.encoder_hidden_states.type, slice(inputs.encoderHiddenStates)),
      [ports.controlnet_cond.name]: floatInput(ports.controlnet_cond.type, slice(inputs.image)),
      ...(scale ? { [scale.name]: floatInput(scale.type, { data: Float32Array.of(inputs.scale), dims: [] }) } : {}),
    };
    const out = await this.session.run(feeds, names);
    const read = (name: string) => sliceBatch(readFloat(out[name]!), 0, to - from);
    return { down: names.slice(0, -1).map(read), mid: read(names.at(-1)!) };
  }
}

function joinResiduals(parts: readonly ControlResiduals[]): ControlResiduals {
  return { down: parts[0]!.down.map((_, i) => concatBatch(parts.map((p) => p.down[i]!))), mid: concatBatch(parts.map((p) => p.mid)) };
}
