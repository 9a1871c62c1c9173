import * as ort from 'onnxruntime-node';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import type { ModelIo, ModelRole } from './dialect.js';
import type { OnnxImageProcessors } from './processors/image-processors.js';
import type { ModelDialect, SdModels, TensorF32 } from './sd-models.js';
import { affine, floatInput, inBatches, leadingChannels, padBatch, padList, readFloat, sliceBatch, timestepInput } from './tensors.js';
import type { ClipTokenizer } from './tokenizer/clip-tokenizer.js';

function usageError(what: string): SdliveError {
  return new SdliveError('SDL_ERR_PIPELINE', what);
}

/** SdModels on onnxruntime-node sessions: every dialect difference is converted here, at the boundary. */
export class OnnxSdModels implements SdModels {
  private disposed = false;
  private readonly embeddingInputs = new WeakMap<TensorF32, ort.Tensor>();
  /** The decoder returns float32 in [-1,1]: what vaeDecode returns, as it is. */
  private readonly decodesFinalImage: boolean;

  constructor(
    readonly dialect: ModelDialect,
    readonly provider: ExecutionProvider,
    private readonly io: ModelIo,
    private readonly sessions: Record<ModelRole, ort.InferenceSession>,
    readonly processors: OnnxImageProcessors,
    private readonly tokenizer: ClipTokenizer,
    private readonly log: Logger,
  ) {
    const image = sessions.vaeDecoder.outputMetadata.find((m) => m.name === io.decoderImage);
    this.decodesFinalImage = image?.isTensor === true && image.type === 'float32' && dialect.vaeRange === 'minus_one_one';
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  async encodeText(ids: Int32Array, batch: number): Promise<TensorF32> {
    const { maxTokens, textInputType } = this.dialect;
    if (ids.length !== batch * maxTokens) throw usageError(`encodeText: ${ids.length} ids for batch ${batch} x ${maxTokens} tokens`);
    const rows = (from: number, to: number) => ({ data: ids.subarray(from * maxTokens, to * maxTokens), dims: [to - from, maxTokens] });
    return inBatches(batch, this.io.textFixedBatch ?? batch, this.io.textFixedBatch, async (from, to, size) => {
      const part = padBatch(rows(from, to), size);
      const data = textInputType === 'int64' ? BigInt64Array.from(part.data, (v) => BigInt(v)) : Int32Array.from(part.data);
      const out = await this.run('text', { [this.io.textIds]: new ort.Tensor(textInputType, data, part.dims) });
      return readFloat(out[this.io.textOut]!);
    });
  }

  async unet(latents: TensorF32, timesteps: readonly number[], embeddings: TensorF32): Promise<TensorF32> {
    const batch = latents.dims[0]!;
    if (timesteps.length !== batch || embeddings.dims[0] !== batch) {
      throw usageError(`unet: batch ${batch} with ${timesteps.length} timesteps and ${embeddings.dims[0]} embeddings`);
    }
    const fixed = this.io.unetFixedBatch;
    const batched = this.dialect.batchedTimestep;
    const oneCall = batched || timesteps.every((t) => t === timesteps[0]);
    if (fixed === undefined && oneCall) return this.unetCall(latents, batched ? timesteps : [timesteps[0]!], embeddings);
    // Slots go together when the call can carry their timesteps; a fixed batch is filled by repeating the last slot.
    const perCall = oneCall ? (fixed ?? batch) : 1;
    return inBatches(batch, perCall, fixed, (from, to, size) => {
      const steps = padList(timesteps.slice(from, to), size);
      return this.unetCall(padBatch(sliceBatch(latents, from, to), size), batched ? steps : [steps[0]!], padBatch(sliceBatch(embeddings, from, to), size));
    });
  }

  async vaeEncode(images: TensorF32): Promise<TensorF32> {
    const input = this.dialect.vaeRange === 'zero_one' ? affine(images, 0.5, 0.5) : images;
    const out = await this.run('vaeEncoder', { [this.io.vaeImage.name]: floatInput(this.io.vaeImage.type, input) });
    const mean = leadingChannels(readFloat(out[this.io.vaeLatent]!), this.dialect.latentChannels);
    return affine(mean, this.dialect.vaeScaling, 0);
  }

  async vaeDecode(latents: TensorF32, into?: TensorF32): Promise<TensorF32> {
    const input = affine(latents, 1 / this.dialect.vaeScaling, 0);
    const feeds = { [this.io.decoderLatent.name]: floatInput(this.io.decoderLatent.type, input) };
    // A float32 [-1,1] image needs no conversion: onnxruntime writes it straight into the caller's buffer.
    if (into && this.decodesFinalImage) {
      await this.run('vaeDecoder', feeds, { [this.io.decoderImage]: new ort.Tensor('float32', into.data, into.dims) });
      return into;
    }
    const image = readFloat((await this.run('vaeDecoder', feeds))[this.io.decoderImage]!);
    return this.dialect.vaeRange === 'zero_one' ? affine(image, 2, -1) : image;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const warn = (e: unknown) => this.log.warn({ err: String(e) }, 'session release failed');
    for (const s of Object.values(this.sessions)) await s.release().catch(warn);
    await this.processors.release().catch(warn);
  }

  /**
   * Prompt embeddings change only with the prompt (tensors are never written after they are made), so their
   * onnxruntime input, an fp16 conversion on fp16 exports, is made once per tensor rather than per frame.
   */
  private embeddingInput(embeddings: TensorF32): ort.Tensor {
    let input = this.embeddingInputs.get(embeddings);
    if (!input) {
      input = floatInput(this.io.unetEmbeddings.type, embeddings);
      this.embeddingInputs.set(embeddings, input);
    }
    return input;
  }

  private async unetCall(latents: TensorF32, timesteps: readonly number[], embeddings: TensorF32): Promise<TensorF32> {
    const { unetSample, unetEmbeddings, unetTimestep, unetOut } = this.io;
    const { type, rank } = this.dialect.unetTimestep;
    const out = await this.run('unet', {
      [unetSample.name]: floatInput(unetSample.type, latents),
      [unetTimestep]: timestepInput(type, rank, timesteps),
      [unetEmbeddings.name]: this.embeddingInput(embeddings),
    });
    return readFloat(out[unetOut]!);
  }

  private async run(role: ModelRole, feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    if (this.disposed) throw usageError('the models were disposed');
    return fetches ? this.sessions[role].run(feeds, fetches) : this.sessions[role].run(feeds);
  }
}
