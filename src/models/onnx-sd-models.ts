import * as ort from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';
import { mapConditioning } from '../pipelines/streamdiffusion/conditioning.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import { type ControlResiduals, mapResiduals, residualDims, type ResidualPort } from './controlnet.js';
import { MODEL_FILES, type ModelIo, type ModelRole, type ModelSessions, type Port, type SecondEncoderIo } from './dialect.js';
import type { OnnxDevice } from './onnx-device.js';
import { zeros } from '../pipelines/streamdiffusion/tensor.js';
import type { OnnxImageProcessors } from './processors/image-processors.js';
import type { Conditioning, DeviceModels, ImageProcessors, ModelDialect, SdModels, TensorF32, Transfers, UnetInputs } from './sd-models.js';
import { affine, BatchParts, concatLastAxis, floatInput, inBatches, leadingChannels, padBatch, padList, readFloat, sliceBatch, TimestepInputs } from './tensors.js';
import type { ClipTokenizer } from './tokenizer/clip-tokenizer.js';
import { TransferCounter } from './transfers.js';

function usageError(what: string): SdliveError {
  return new SdliveError('SDL_ERR_PIPELINE', what);
}

/** SdModels on onnxruntime-node sessions: every dialect difference is converted here, at the boundary. */
function idsTensor(type: 'int32' | 'int64', ids: Int32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor(type, type === 'int64' ? BigInt64Array.from(ids, (v) => BigInt(v)) : ids, dims);
}

export class OnnxSdModels implements SdModels {
  private disposed = false;
  private zeros: { key: string; feeds: Record<string, ort.Tensor> } | undefined;
  private readonly conditioningInputs = new WeakMap<TensorF32, ort.Tensor>();
  private readonly conditioningParts = new BatchParts();
  /** The decoder returns float32 in [-1,1]: what vaeDecode returns, as it is. */
  private readonly decodesFinalImage: boolean;
  private readonly timesteps: TimestepInputs;
  /** The pixel sessions (they count their runs' transfers): what the pipeline converts frames with. */
  readonly processors: ImageProcessors;
  /** The device path, where the loader switched it on (see onnx-device.ts). */
  readonly device: DeviceModels | undefined;

  constructor(
    readonly dialect: ModelDialect,
    readonly provider: ExecutionProvider,
    private readonly io: ModelIo,
    private readonly sessions: ModelSessions,
    private readonly pixelSessions: OnnxImageProcessors,
    private readonly tokenizer: ClipTokenizer,
    private readonly log: Logger,
    private readonly counter = new TransferCounter(),
    /** On webgpu the UNet and VAE outputs stay on the GPU: host-path calls copy them down through `onDevice.device`. */
    private readonly onDevice?: { device: OnnxDevice; devicePath: boolean },
  ) {
    this.processors = pixelSessions;
    this.device = onDevice?.devicePath ? onDevice.device : undefined;
    const image = sessions.vaeDecoder.outputMetadata.find((m) => m.name === io.decoderImage);
    this.decodesFinalImage = image?.isTensor === true && image.type === 'float32' && dialect.vaeRange === 'minus_one_one';
    this.timesteps = new TimestepInputs(dialect.unetTimestep.type, dialect.unetTimestep.rank);
  }

  takeTransfers(): Transfers {
    return this.counter.take();
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  async encodeText(ids: Int32Array, batch: number): Promise<Conditioning> {
    const { maxTokens, textInputType } = this.dialect;
    if (ids.length !== batch * maxTokens) throw usageError(`encodeText: ${ids.length} ids for batch ${batch} x ${maxTokens} tokens`);
    const rows = (from: number, to: number) => ({ data: ids.subarray(from * maxTokens, to * maxTokens), dims: [to - from, maxTokens] });
    const first = inBatches(batch, this.io.textFixedBatch ?? batch, this.io.textFixedBatch, async (from, to, size) => {
      const part = padBatch(rows(from, to), size);
      const out = await this.run('text', { [this.io.textIds]: idsTensor(textInputType, Int32Array.from(part.data), part.dims) }, [this.io.textOut]);
      return readFloat(out[this.io.textOut]!);
    });
    if (!this.io.text2) return { encoder_hidden_states: await first };
    const [hidden, out2] = await Promise.all([first, this.runSecondEncoder(this.io.text2, ids, batch)]);
    return {
      encoder_hidden_states: concatLastAxis(hidden, readFloat(out2[this.io.text2.hidden]!)),
      text_embeds: readFloat(out2[this.io.text2.pooled]!),
    };
  }

  async unet(inputs: UnetInputs): Promise<TensorF32> {
    const { sample, timestep, conditioning } = inputs;
    const batch = sample.dims[0]!;
    const unbatched = Object.entries(conditioning).find(([, t]) => t.dims[0] !== batch);
    if (timestep.length !== batch || unbatched) {
      throw usageError(`unet: batch ${batch} with ${timestep.length} timesteps${unbatched ? ` and ${unbatched[0]} [${unbatched[1].dims}]` : ''}`);
    }
    const fixed = this.io.unetFixedBatch;
    const batched = this.dialect.batchedTimestep;
    const oneCall = batched || timestep.every((t) => t === timestep[0]);
    if (fixed === undefined && oneCall) return this.unetCall({ ...inputs, timestep: batched ? timestep : [timestep[0]!] });
    // Slots go together when the call can carry their timesteps; a fixed batch is filled by repeating the last slot.
    const perCall = oneCall ? (fixed ?? batch) : 1;
    return inBatches(batch, perCall, fixed, (from, to, size) => {
      const steps = padList(timestep.slice(from, to), size);
      const part = (t: TensorF32) => padBatch(sliceBatch(t, from, to), size);
      const conditioningPart = (t: TensorF32) => this.conditioningParts.part(t, from, to, size);
      const residuals = inputs.residuals && mapResiduals(inputs.residuals, part);
      return this.unetCall({ sample: part(sample), timestep: batched ? steps : [steps[0]!], conditioning: mapConditioning(conditioning, conditioningPart), ...(residuals ? { residuals } : {}) });
    });
  }

  async vaeEncode(images: TensorF32): Promise<TensorF32> {
    // A frame's image comes with the encoder's input already made by the preprocess graph (dtype and range).
    const input = this.pixelSessions.encoderInput(images) ?? this.pixelSessions.encoderInputOf(images);
    const out = await this.run('vaeEncoder', { [this.io.vaeImage.name]: input });
    const mean = leadingChannels(await this.pixelSessions.readFloat(out[this.io.vaeLatent]!), this.dialect.latentChannels);
    return affine(mean, this.dialect.vaeScaling, 0);
  }

  async vaeDecode(latents: TensorF32, into?: TensorF32): Promise<TensorF32> {
    const input = affine(latents, 1 / this.dialect.vaeScaling, 0);
    const feeds = { [this.io.decoderLatent.name]: await this.pixelSessions.floatInput(this.io.decoderLatent.type, input) };
    // A host buffer bound to a webgpu session whose outputs stay on the GPU is left unwritten: never bind one there.
    const bindable = this.provider === 'webgpu' ? undefined : into;
    // A float32 [-1,1] image needs no conversion: onnxruntime writes it straight into the caller's buffer.
    if (bindable && this.decodesFinalImage) {
      await this.run('vaeDecoder', feeds, { [this.io.decoderImage]: new ort.Tensor('float32', bindable.data, bindable.dims) });
      return bindable;
    }
    // Any other image (float16, [0,1]) goes to the postprocess graph as the decoder wrote it.
    if (bindable) {
      const target = this.pixelSessions.decoderTarget(bindable);
      await this.run('vaeDecoder', feeds, { [this.io.decoderImage]: target });
      return this.pixelSessions.decoded(target);
    }
    return this.pixelSessions.fromDecoder((await this.run('vaeDecoder', feeds))[this.io.decoderImage]!);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const warn = (e: unknown) => this.log.warn({ err: String(e) }, 'session release failed');
    for (const s of Object.values(this.sessions)) await s.release().catch(warn);
    await this.pixelSessions.release().catch(warn);
    await this.onDevice?.device.release().catch(warn);
  }

  /**
   * The conditioning changes only with the prompt and the parameters (tensors are never written after they are
   * made), so its onnxruntime input, an fp16 conversion on fp16 exports, is made once per tensor, not per frame.
   */
  private conditioningInput(port: Port, conditioning: Conditioning): ort.Tensor {
    const t = conditioning[port.name];
    if (!t) throw usageError(`unet: ${MODEL_FILES.unet} takes ${port.name}, which the conditioning does not hold`);
    let input = this.conditioningInputs.get(t);
    if (!input) {
      input = floatInput(port.type, t);
      this.conditioningInputs.set(t, input);
    }
    return input;
  }

  private async unetCall({ sample, timestep, conditioning, residuals }: UnetInputs): Promise<TensorF32> {
    const { unetSample, unetConditioning, unetTimestep, unetOut } = this.io;
    const out = await this.run('unet', {
      [unetSample.name]: await this.pixelSessions.floatInput(unetSample.type, sample),
      [unetTimestep]: this.timesteps.input(timestep),
      ...Object.fromEntries(unetConditioning.map((port) => [port.name, this.conditioningInput(port, conditioning)])),
      ...this.residualInputs(sample, residuals),
    });
    return this.pixelSessions.readFloat(out[unetOut]!);
  }

  /** The residual inputs: the given residuals, or zeros of the UNet's residual shapes (no ControlNet active). */
  private residualInputs(sample: TensorF32, residuals: ControlResiduals | undefined): Record<string, ort.Tensor> {
    const ports = this.io.unetResiduals;
    if (!ports) {
      if (residuals) throw usageError(`unet: ${MODEL_FILES.unet} takes no ControlNet residuals (it has no down_block_*/mid_block_* inputs)`);
      return {};
    }
    const all = [...ports.down, ports.mid];
    if (!residuals) return this.zeroResiduals(sample, all);
    const given = [...residuals.down, residuals.mid];
    if (given.length !== all.length) throw usageError(`unet: ${given.length} residuals for ${all.length} residual inputs`);
    return Object.fromEntries(all.map((port, i) => [port.name, floatInput(port.type, given[i]!)]));
  }

  /** Zero residuals for the sample's batch and size, made once per shape (the mid block sits at the last down size). */
  private zeroResiduals(sample: TensorF32, ports: readonly ResidualPort[]): Record<string, ort.Tensor> {
    const [batch, , height, width] = sample.dims as [number, number, number, number];
    const key = `${batch}x${height}x${width}`;
    if (this.zeros?.key !== key) {
      const level = (i: number) => (i === ports.length - 1 ? ports.length - 2 : i);
      this.zeros = { key, feeds: Object.fromEntries(ports.map((port, i) => [port.name, floatInput(port.type, zeros(residualDims(port, level(i), batch, { height, width })))])) };
    }
    return this.zeros.feeds;
  }

  /** SDXL's OpenCLIP encoder on the same tokens, padded with its own pad id after EOS. */
  private runSecondEncoder(io: SecondEncoderIo, ids: Int32Array, batch: number): Promise<ort.InferenceSession.ReturnType> {
    const { maxTokens, eosId } = this.dialect;
    const repadded = Int32Array.from(ids);
    for (let row = 0; row < batch; row++) {
      const tokens = repadded.subarray(row * maxTokens, (row + 1) * maxTokens);
      const eos = tokens.indexOf(eosId, 1);
      if (eos >= 0) tokens.fill(io.padId, eos + 1);
    }
    return this.run('text2', { [io.ids]: idsTensor(io.idsType, repadded, [batch, maxTokens]) }, [io.hidden, io.pooled]);
  }

  private async run(role: ModelRole | 'text2', feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor> | string[]): Promise<ort.InferenceSession.ReturnType> {
    if (this.disposed) throw usageError('the models were disposed');
    const session = this.sessions[role];
    if (!session) throw usageError(`no ${role} session`);
    const out = await this.counter.run(session, feeds, fetches);
    return this.onDevice ? this.onDevice.device.hostResults(out) : out;
  }
}
