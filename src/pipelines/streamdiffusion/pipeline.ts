import { SdliveError } from '../../errors.js';
import { createFrame, type Frame } from '../../io/frame.js';
import type { Conditioning, DeviceModels, DeviceTensor, SdModels, TensorF32 } from '../../models/sd-models.js';
import type { OutputBuffers, Pipeline, PipelineRequirements, ProcessResult, StageTimings } from '../pipeline.js';
import { type Guidance, guidanceConditioning, guidedType } from './cfg.js';
import { callConditioning } from './conditioning.js';
import { DeviceStream, type StreamSource } from './device-stream.js';
import { type ControlRig, ControlImages, controlledUnet } from './controlnet.js';
import { FrameConverter, type StageTime } from './image.js';
import { latentFeedbackAmount } from './feedback.js';
import { ImageFeedback, LatentFeedback } from './image-feedback.js';
import { Derived, ServeWhilePending } from './memo.js';
import { continuesSeeds, seedNoise } from './noise.js';
import { PromptEmbeddings } from './prompt-embeddings.js';
import { slotSchedule, type SlotSchedule } from './schedule.js';
import { promptList, type SeedEntry, seedList, type StreamDiffusionParams } from './schema.js';
import { SimilarityFilter } from './similarity-filter.js';
import { type DenoiseStep, isWarmingUp, sequentialDenoise, stateFor, streamBatch, type StreamState } from './stream-batch.js';
import { axpbySlots, slotView } from './tensor.js';

export interface StreamDiffusionOptions {
  width: number;
  height: number;
  /** u ~ U(0,1) for the similarity filter; fixed in tests. */
  random?: () => number;
  /** Where output frames are written when the engine takes them without a copy (the inference worker). */
  outputBuffers?: OutputBuffers;
  /**
   * A new prompt is encoded while frames go on with the previous one (the engine's setting: a text encoder run,
   * two for SDXL, never stalls the stream). Off, a frame waits for its prompt: every change shows on its frame.
   */
  encodeWhileServing?: boolean;
  /** The loaded ControlNets (controlnet_N parameters) and the canny graph; without them the UNet runs alone. */
  control?: ControlRig;
}

/** Milliseconds per stage of one frame, summed over repeated calls (the UNet runs n times in sequential mode). */
function stageTimer() {
  const stages: Record<string, number> = {};
  const time = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      stages[name] = (stages[name] ?? 0) + performance.now() - t0;
    }
  };
  return { stages, time };
}

/** What the latest frame left behind for the next one. */
interface FrameState {
  stream: StreamState | undefined;
  /** The last frame returned: what a skipped frame shows again. */
  lastOutput: Frame | undefined;
  /** That frame was Stream Batch warm-up output. */
  lastWarmup: boolean;
  /** Capture timestamps of the latest denoised inputs, newest last: Stream Batch outputs an older one's result. */
  captures: number[];
  /** The seed list the stream's init noise was blended from. */
  seeds: readonly SeedEntry[];
}

/** The slot counts a t_index_list can have (the schema allows 1 to 4 entries). */
const SLOT_COUNTS = [1, 2, 3, 4];

/** More than the longest Stream Batch delay (t_index_list has at most 4 steps: 3 frames). */
const CAPTURES_KEPT = 8;

/** One frame's work between the input and the output frame. */
interface FrameWork {
  frame: Frame;
  /** The preprocessed input on the host (img2img on the host path, or with the similarity filter on). */
  image: TensorF32 | undefined;
  state: StreamState;
  step: DenoiseStep;
  params: Readonly<StreamDiffusionParams>;
  time: StageTime;
  /** Stream Batch's delay in frames (n-1; 0 in sequential mode). */
  delay: number;
}

/**
 * StreamDiffusion on a loaded SdModels. Runtime parameters are read on every process() call; what they
 * determine (schedule, noise, embeddings) is derived again only when the parameters feeding it change, and
 * no change touches the model sessions or resets the latent buffer (except a change to other seeds, which zeroes
 * the stock noise, and a t_index_list length change, which resizes the buffers). A seed-weight change over the same
 * seeds (a seed crossfade) re-blends only the init noise: residual CFG carries on.
 */
export class StreamDiffusion implements Pipeline<StreamDiffusionParams> {
  private readonly prompts: PromptEmbeddings;
  private readonly filter: SimilarityFilter;
  private readonly converter: FrameConverter;
  private readonly frameState: FrameState = { stream: undefined, lastOutput: undefined, lastWarmup: false, captures: [], seeds: [] };
  private readonly schedule = new Derived<SlotSchedule>();
  private readonly noise = new Derived<StreamState>();
  private readonly conditioning = new Derived<Promise<Conditioning>>();
  private readonly served = new ServeWhilePending<Conditioning>();
  /** The device path (webgpu): latents, UNet output and stream state stay on the device. */
  private readonly onDevice: DeviceStream | undefined;
  private readonly controlImages: ControlImages | undefined;
  private readonly imageFeedback: ImageFeedback;
  private readonly latentFeedback = new LatentFeedback();
  /** The device path's last x0 as the decoder took it, kept while latent feedback is on (its previous frame). */
  private deviceX0: DeviceTensor | undefined;

  constructor(
    readonly models: SdModels,
    private readonly options: StreamDiffusionOptions,
  ) {
    this.prompts = new PromptEmbeddings(models);
    this.filter = new SimilarityFilter(options.random);
    this.converter = new FrameConverter(models.processors, options.outputBuffers);
    this.imageFeedback = new ImageFeedback(models.processors);
    const { latentChannels, vaeScaling } = models.dialect;
    // ControlNet residuals feed the UNet on the host path: with ControlNets loaded there is no device path.
    this.onDevice = !options.control && models.device ? new DeviceStream(models.device, { channels: latentChannels, height: options.height / 8, width: options.width / 8 }, vaeScaling) : undefined;
    this.controlImages = options.control && new ControlImages(options.control.canny);
  }

  /** The cross-frame state, for inspection; undefined before the first frame. On the device path its tensors are not kept current: see inspectState. */
  get state(): Readonly<StreamState> | undefined {
    return this.frameState.stream;
  }

  /** The cross-frame state with its tensors as they are now (on the device path a download); undefined before the first frame. */
  async inspectState(): Promise<Readonly<StreamState> | undefined> {
    const stream = this.frameState.stream;
    return stream && this.onDevice ? this.onDevice.inspect(stream) : stream;
  }

  get provider(): string {
    return this.models.provider;
  }

  /** The stream from scratch: latent buffer and stock noise zeroed (the seed's init noise stays), warm-up again. */
  reset(): void {
    const stream = this.frameState.stream;
    if (stream) Object.assign(stream, stateFor(stream.initNoise));
    this.onDevice?.reset();
    this.keepDeviceX0(undefined);
    this.imageFeedback.reset();
    this.latentFeedback.reset();
  }

  /**
   * One mid-grey frame (two with image feedback on) through every session at the size and batch in use, before the engine is told the
   * pipeline is ready: a session's first run at a shape is the slow one (allocations, kernel choice; on webgpu
   * shader builds). The prompt's embeddings stay cached; the stream then starts afresh.
   */
  async warmUp(params: Readonly<StreamDiffusionParams>): Promise<void> {
    const grey = createFrame(this.options.width, this.options.height, 0);
    grey.data.fill(128);
    for (const t_index_list of this.warmUpLists(params)) await this.process([grey], { ...params, t_index_list, similarity_filter: false });
    if (params.feedback > 0) await this.process([grey], { ...params, similarity_filter: false });
    this.reset();
    this.frameState.lastOutput = undefined;
  }

  /**
   * The t_index_lists warm-up runs, the configured one last (the stream state ends at its shape). On a GPU provider
   * Stream Batch is also warmed at the other slot counts (1 to 4), so a t_index_list length change during the show
   * does not make the slow frame; on the CPU a first run at a shape costs little.
   */
  private warmUpLists(params: Readonly<StreamDiffusionParams>): number[][] {
    if (this.models.provider === 'cpu' || !params.use_denoising_batch) return [params.t_index_list];
    const last = params.num_inference_steps - 1;
    const spread = (n: number) => Array.from({ length: n }, (_, i) => Math.round((last * (i + 1)) / n));
    const others = SLOT_COUNTS.filter((n) => n !== params.t_index_list.length).map(spread);
    return [...others, params.t_index_list];
  }

  prepare(): PipelineRequirements {
    return { width: this.options.width, height: this.options.height, batch: 1 };
  }

  /** feedback -> preprocess -> similarity filter -> encode -> latent feedback -> add noise -> UNet + scheduler step -> decode -> postprocess. */
  async process(frames: readonly Frame[], params: Readonly<StreamDiffusionParams>): Promise<ProcessResult> {
    const { stages, time } = stageTimer();
    const input = this.checkedFrame(frames);
    this.controlImages?.take(frames);
    const img2img = params.mode === 'img2img';
    // What the stream takes from here on; the device path mixes on the device unless the image comes to the host.
    const mixesOnDevice = this.onDevice && !params.similarity_filter && this.models.device?.feedbackImage;
    const frame = img2img && !mixesOnDevice ? await this.imageFeedback.input(input, params, time) : input;
    // The similarity filter compares images on the host: on the device path the image comes down for it.
    const image = img2img && (!this.onDevice || params.similarity_filter) ? await this.converter.toImage(frame, time) : undefined;
    if (img2img && !image) this.filter.reset();
    if (image && this.skipBySimilarity(image, params)) return this.result([this.frameState.lastOutput!], stages, this.frameState.lastWarmup);
    const unet = await this.unet(frame, params, time);
    const step = await time('text', () => this.denoiseStep(params, unet));
    const state = this.streamState(params, step.schedule);
    const warmup = params.use_denoising_batch && isWarmingUp(state);
    const work: FrameWork = { frame, image, state, step, params, time, delay: params.use_denoising_batch ? state.latentBuffer.dims[0]! : 0 };
    const output = await (this.onDevice ? this.frameOnDevice(this.onDevice, this.models.device!, work) : this.frameOnHost(work));
    // A handed-over output is gone after return: the similarity filter's repeat needs a copy of its own.
    this.frameState.lastOutput = this.options.outputBuffers && params.similarity_filter ? { ...output, data: output.data.slice() } : output;
    this.frameState.lastWarmup = warmup;
    this.imageFeedback.keep(output, params);
    return this.result([output], stages, warmup);
  }

  async dispose(): Promise<void> {
    this.onDevice?.reset();
    this.keepDeviceX0(undefined);
    await this.models.dispose();
    for (const net of this.options.control?.nets ?? []) await net?.dispose();
    await this.controlImages?.release();
  }

  /** The UNet call of this frame: behind the ControlNets active in it, if any. */
  private async unet(frame: Frame, params: Readonly<StreamDiffusionParams>, time: StageTime): Promise<SdModels['unet']> {
    const unet: SdModels['unet'] = (inputs) => time('unet', () => this.models.unet(inputs));
    const { control } = this.options;
    if (!control || !this.controlImages) return unet;
    return controlledUnet(unet, await this.controlImages.active(control, frame, params, time), time);
  }

  /** The frames with the stage timings and, where the models count them, this frame's host<->device transfers. */
  private result(frames: Frame[], stages: StageTimings, warmup: boolean): ProcessResult {
    const transfers = this.models.takeTransfers?.();
    return Object.assign(frames, { stages, warmup }, transfers ? { transfers } : {});
  }

  private async frameOnHost({ frame, image, state, step, params, time, delay }: FrameWork): Promise<Frame> {
    const latent = image && this.latentFeedback.blend(await time('encode', () => this.models.vaeEncode(image)), latentFeedbackAmount(params.latent_feedback, params.feedback_safe));
    const xT = latent ? this.addNoise(latent, state, step.schedule) : slotView(state.initNoise, 0);
    const x0 = await (params.use_denoising_batch ? streamBatch : sequentialDenoise)(xT, state, step);
    this.latentFeedback.keep(params.latent_feedback > 0 ? x0 : undefined);
    const capturedAt = this.capturedAt(frame.timestamp, delay);
    const decoded = await time('decode', () => this.models.vaeDecode(x0, this.converter.decodeBuffer(frame)));
    return this.converter.toFrame(decoded, capturedAt, this.frameState.lastOutput, time);
  }

  /** frameOnHost on the device: only the input frame goes up and the output frame comes down (plus two finite flags). */
  private async frameOnDevice(stream: DeviceStream, device: DeviceModels, { frame, image, state, step, params, time, delay }: FrameWork): Promise<Frame> {
    const from: StreamSource = params.mode === 'img2img' ? { latent: await this.deviceLatent(device, frame, image, params, time), ...this.deviceFeedback(params) } : { noise: true };
    const denoise = params.use_denoising_batch ? stream.streamBatch : stream.sequential;
    const x0 = await denoise.call(stream, from, state, step, time).finally(() => 'latent' in from && from.latent.dispose());
    const capturedAt = this.capturedAt(frame.timestamp, delay);
    const decoded = await time('decode', () => device.vaeDecode(x0)).catch((e: unknown) => {
      x0.dispose();
      throw e;
    });
    this.keepDeviceX0(params.latent_feedback > 0 ? x0 : undefined);
    if (this.deviceX0 !== x0) x0.dispose();
    const size = { width: frame.width, height: frame.height, timestamp: capturedAt };
    return this.converter.render(size, this.frameState.lastOutput, time, (rgba) => device.toRgba(decoded, rgba)).finally(() => decoded.dispose());
  }

  private keepDeviceX0(x0: DeviceTensor | undefined): void {
    this.deviceX0?.dispose();
    this.deviceX0 = x0;
  }

  /** Latent feedback on the device path: the last x0 goes into the stream-in graph with the encoder's latent. */
  private deviceFeedback(params: Readonly<StreamDiffusionParams>): { feedback?: { previous: DeviceTensor; amount: number } } {
    return params.latent_feedback > 0 && this.deviceX0 ? { feedback: { previous: this.deviceX0, amount: latentFeedbackAmount(params.latent_feedback, params.feedback_safe) } } : {};
  }

  private async deviceLatent(device: DeviceModels, frame: Frame, image: TensorF32 | undefined, params: Readonly<StreamDiffusionParams>, time: StageTime): Promise<DeviceTensor> {
    const mixed = !image && device.feedbackImage ? await this.imageFeedback.deviceInput(frame, params, time, (previous, mix) => device.feedbackImage!(frame.data, previous, mix)) : undefined;
    const input = mixed ?? (await time('to_tensor', () => (image ? device.imageInput(image) : device.toImage(frame.data, frame.width, frame.height))));
    return time('encode', () => device.vaeEncode(input)).finally(() => input.dispose());
  }

  /**
   * The capture timestamp of the input whose result comes out now: Stream Batch's output is the frame that entered
   * `delay` (n-1) calls earlier, so the output frame carries that frame's timestamp (the engine's latency is real).
   */
  private capturedAt(timestamp: number, delay: number): number {
    const captures = this.frameState.captures;
    captures.push(timestamp);
    if (captures.length > CAPTURES_KEPT) captures.shift();
    return captures[captures.length - 1 - delay] ?? timestamp;
  }

  private checkedFrame(frames: readonly Frame[]): Frame {
    const frame = frames[0];
    const { width, height } = this.options;
    if (!frame || frame.width !== width || frame.height !== height) {
      throw new SdliveError('SDL_ERR_PIPELINE', `expected one ${width}x${height} frame, got ${frames.map((f) => `${f.width}x${f.height}`).join(', ') || 'none'}`);
    }
    return frame;
  }

  private skipBySimilarity(image: TensorF32, params: Readonly<StreamDiffusionParams>): boolean {
    if (!params.similarity_filter) {
      this.filter.reset();
      return false;
    }
    const settings = { threshold: params.similarity_threshold, maxSkipFrames: params.similarity_max_skip_frames };
    return this.filter.shouldSkip(image.data, settings) && (this.frameState.lastOutput?.data.byteLength ?? 0) > 0;
  }

  /** x_t = alpha[0] * z + beta[0] * init_noise[0]. */
  private addNoise(latent: TensorF32, state: StreamState, schedule: SlotSchedule): TensorF32 {
    return axpbySlots([schedule.alpha[0]!], latent, [schedule.beta[0]!], slotView(state.initNoise, 0));
  }

  private async denoiseStep(params: Readonly<StreamDiffusionParams>, unet: SdModels['unet']): Promise<DenoiseStep> {
    const schedule = this.schedule.get([params.t_index_list, params.num_inference_steps], () => slotSchedule(params.t_index_list, params.num_inference_steps));
    const guidance = this.guidance(params);
    const slotsPerCall = params.use_denoising_batch ? schedule.timesteps.length : 1;
    return {
      unet,
      schedule,
      guidance,
      conditioning: await this.batchConditioning(params, guidance, slotsPerCall),
      doAddNoise: params.do_add_noise,
    };
  }

  /** An LCM UNet takes the guidance scale as timestep_cond: no negative pass and no residual CFG, whatever cfg_type says. */
  private guidance(params: Readonly<StreamDiffusionParams>): Guidance {
    const cfgType = this.models.dialect.timestepCondWidth > 0 ? 'none' : params.cfg_type;
    return { cfgType, scale: params.guidance_scale, delta: params.delta };
  }

  /** Cond (and, for full/initialize, uncond) conditioning laid out for the UNet batch; per-text encodings are cached. */
  private batchConditioning(params: Readonly<StreamDiffusionParams>, guidance: Guidance, slotsPerCall: number): Promise<Conditioning> {
    const prompts = promptList(params.prompt);
    const type = guidedType(guidance);
    const negative = type === 'full' || type === 'initialize' ? params.negative_prompt : undefined;
    const embedsGuidance = this.models.dialect.timestepCondWidth > 0 && params.guidance_scale;
    const pending = this.conditioning.get([prompts, params.prompt_interpolation, negative, type, slotsPerCall, embedsGuidance], async () => {
      const perCall = callConditioning(this.models.dialect, this.options, params.guidance_scale);
      const uncond = negative === undefined ? undefined : await this.prompts.negative(negative);
      const c = await this.prompts.blended(prompts, params.prompt_interpolation);
      return guidanceConditioning(guidance, slotsPerCall, { ...c, ...perCall }, { ...(uncond ?? c), ...perCall });
    });
    // The previous conditioning stands in only where it has the same slots (cfg type and count).
    return this.options.encodeWhileServing ? this.served.get(pending, [type, slotsPerCall]) : pending;
  }

  /** The cross-frame state, derived again only when the seeds or the slot count change. */
  private streamState(params: Readonly<StreamDiffusionParams>, schedule: SlotSchedule): StreamState {
    const { latentChannels } = this.models.dialect;
    const dims = [schedule.timesteps.length, latentChannels, this.options.height / 8, this.options.width / 8];
    const seeds = seedList(params.seed);
    const how = params.seed_interpolation;
    this.frameState.stream = this.noise.get([seeds, seeds.length > 1 && how, dims], () => {
      const initNoise = seedNoise(seeds, how, dims);
      const previous = this.frameState.stream;
      const sameSlots = previous?.initNoise.dims.join() === dims.join();
      const continued = previous && sameSlots && continuesSeeds(this.frameState.seeds, seeds);
      this.frameState.seeds = seeds;
      return continued ? { ...previous, initNoise } : stateFor(initNoise, previous);
    });
    return this.frameState.stream;
  }
}
