import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import type { ControlResiduals } from './controlnet.js';
import type { FeedbackBorder } from './processors/feedback-graph.js';

/** A float32 tensor on the CPU side of the engine, NCHW / [B, T, C] as named where used. */
export interface TensorF32 {
  data: Float32Array;
  dims: number[];
}

/**
 * The UNet's conditioning inputs by name, batch first. Per prompt ([1, ...], from encodeText):
 * encoder_hidden_states [1,77,W] and, for SDXL, text_embeds [1,1280]. Per call ([1, ...], from the frame's
 * parameters): SDXL's time_ids [1,6], an LCM UNet's timestep_cond [1,256]. The pipeline blends, weights and
 * lays these out per UNet slot ([B, ...]) entry by entry, whatever the names. Never written after being made.
 */
export type Conditioning = { readonly encoder_hidden_states: TensorF32 } & Readonly<Record<string, TensorF32>>;

/** One UNet call: every input by name. */
export interface UnetInputs {
  /** Latents [B,4,h,w]. */
  sample: TensorF32;
  /** One timestep per batch element. */
  timestep: readonly number[];
  /** Every other UNet input, [B, ...] each. */
  conditioning: Conditioning;
  /**
   * ControlNet residuals for this call's slots, summed over the active ControlNets (src/models/controlnet.ts).
   * Not conditioning: they are computed per call from this very sample and timestep. Absent: a UNet with
   * residual inputs gets zeros (no ControlNet active); a UNet without them cannot take any.
   */
  residuals?: ControlResiduals;
}

/** What the loader read from the model files (input/output names, dtypes, ranks), as `sdlive models inspect` prints it. */
export interface ModelDialect {
  /** encoder_hidden_states width: 768 (SD1.x), 1024 (SD2.x / SD-Turbo), 2048 (SDXL: 768 + 1280). */
  textWidth: number;
  /** 'sd': one text encoder (SD 1.x/2.x/Turbo); 'sdxl': two, and the UNet also takes text_embeds and time_ids. */
  family: 'sd' | 'sdxl';
  /** An LCM-distilled UNet's timestep_cond width (the guidance-scale embedding, 256); 0 when it has none. */
  timestepCondWidth: number;
  /** Token ids: BOS, EOS, and the pad id (0 for SD2.x/OpenCLIP, 49407 for SD1.x). */
  bosId: number;
  eosId: number;
  padId: number;
  maxTokens: number;
  textInputType: 'int32' | 'int64';
  unetTimestep: { type: 'int64' | 'float32' | 'float16'; rank: 0 | 1 };
  /** Whether one UNet call can carry per-slot timesteps (false for rank-0 timestep exports). */
  batchedTimestep: boolean;
  /** fp16 I/O on the UNet/VAE (cast in the processor graphs, never in JS per frame; the engine computes in float32). */
  fp16: boolean;
  vaeEncoderOutput: 'latent_sample' | 'latent_parameters' | 'latent';
  vaeRange: 'zero_one' | 'minus_one_one';
  /** 1 for TAESD, 0.18215 for the full SD VAE. */
  vaeScaling: number;
  latentChannels: number;
  /** A ControlNet-ready UNet's down residual inputs (12 for SD 1.x/2.x, 9 for SDXL); absent when it takes none. */
  controlResiduals?: number;
  /** Static-shape exports: the UNet's fixed batch (slots run in groups of it) and the fixed picture size. */
  unetFixedBatch?: number;
  fixedSize?: { width: number; height: number };
}

/**
 * The per-frame pixel work (image.ts's frameToImage / imageToFrame) as onnxruntime sessions on the model's
 * execution provider. Each writes into a buffer the caller owns, so the caller decides what to reuse.
 */
export interface ImageProcessors {
  /** RGBA8 pixels [H,W,4] -> `image` [1,3,H,W] float32 in [-1,1]. */
  toImage(rgba: Uint8Array, image: TensorF32): Promise<void>;
  /** `image` [1,3,H,W] in [-1,1] -> `rgba` [H,W,4] (alpha 255); false when `image` holds a NaN or an Inf. */
  toRgba(image: TensorF32, rgba: Uint8Array): Promise<boolean>;
  /**
   * Image feedback (processors/feedback-graph.ts): `out` = input * frame + feedback * warp(previous, theta) + offset,
   * each RGBA8 [H,W,4] of mix's size. Its session (one per border mode) is made on first use.
   */
  feedback?(frame: Uint8Array, previous: Uint8Array, mix: FeedbackMix, out: Uint8Array): Promise<void>;
}

/** One image feedback pass: the warp (AffineGrid's theta [1,2,3]) and the gains, for a frame of width x height. */
export interface FeedbackMix {
  width: number;
  height: number;
  border: FeedbackBorder;
  theta: Float32Array;
  gains: { input: number; feedback: number; offset: number };
}

/**
 * A tensor the models' execution provider holds (on webgpu: GPU memory), opaque to the pipeline: it only goes
 * back into DeviceModels. Its owner calls dispose() once it is replaced or consumed (later calls do nothing).
 */
export interface DeviceTensor {
  readonly dims: readonly number[];
  dispose(): void;
}

/** An ONNX graph the engine generated (the StreamDiffusion step): one session per key on the models' provider. */
export interface GeneratedGraph {
  readonly key: string;
  bytes(): Uint8Array;
  /** Every output's name (a webgpu session's output locations are set per name when it is made). */
  readonly outputs: readonly string[];
  /** Bool scalar outputs that come back to the host (the `finite` flag); every other output stays on the device. */
  readonly hostOutputs: readonly string[];
}

/** The latent-side dtypes the step graphs meet: the encoder's output, the UNet's sample and output, the decoder's input. */
export interface DeviceLatentTypes {
  latent: 'float32' | 'float16';
  sample: 'float32' | 'float16';
  pred: 'float32' | 'float16';
  decoderLatent: 'float32' | 'float16';
}

/**
 * The device path (webgpu): the same models with tensors that stay on the device from the uploaded frame to the
 * downloaded one. Outputs are the sessions' raw outputs (dtype and channels as exported); the step graphs slice,
 * scale and cast them. On the CPU provider the same calls work on host tensors (the parity tests run it there).
 */
export interface DeviceModels {
  readonly types: DeviceLatentTypes;
  /** Host -> device, once per value: the stream state, per-slot coefficients. */
  upload(t: TensorF32): Promise<DeviceTensor>;
  /** The same tensor, made once per distinct value and kept while it is in use (small per-frame constants). */
  constant(t: TensorF32): Promise<DeviceTensor>;
  /** Device -> host, for inspection and a resize of the stream state, never per frame. */
  download(t: DeviceTensor): Promise<TensorF32>;
  /** RGBA8 [H,W,4] -> the encoder's image input. */
  toImage(rgba: Uint8Array, width: number, height: number): Promise<DeviceTensor>;
  /** Image feedback on the device: RGBA8 frame and previous output -> the mix (ImageProcessors.feedback) as the encoder's image input. */
  feedbackImage?(frame: Uint8Array, previous: Uint8Array, mix: FeedbackMix): Promise<DeviceTensor>;
  /** A host image [1,3,H,W] in [-1,1] -> the encoder's image input (with the similarity filter, which reads the image on the host). */
  imageInput(image: TensorF32): Promise<DeviceTensor>;
  vaeEncode(image: DeviceTensor): Promise<DeviceTensor>;
  /** Conditioning entries go up once per tensor (they change with the prompt only), timesteps once per value. */
  unet(sample: DeviceTensor, timestep: readonly number[], conditioning: Conditioning): Promise<DeviceTensor>;
  vaeDecode(latents: DeviceTensor): Promise<DeviceTensor>;
  /** The decoded image -> `rgba` [H,W,4]; false when it holds a NaN or an Inf. */
  toRgba(image: DeviceTensor, rgba: Uint8Array): Promise<boolean>;
  run(graph: GeneratedGraph, feeds: Readonly<Record<string, DeviceTensor>>): Promise<{ device: Record<string, DeviceTensor>; flags: Record<string, boolean> }>;
}

/** Host<->device traffic at the SdModels boundary: tensors and bytes each way (on the CPU provider: every session input and output). */
export interface Transfers {
  up: { tensors: number; bytes: number };
  down: { tensors: number; bytes: number };
}

/**
 * The StreamDiffusion pipeline's view of a loaded model folder. Every dialect difference (dtypes, ranks,
 * ranges, latent_parameters, fp16) is absorbed here: the pipeline speaks float32 and [-1,1] images only.
 */
export interface SdModels {
  readonly dialect: ModelDialect;
  readonly provider: ExecutionProvider;
  /** Pre/postprocessing sessions; without them (plain-JS fakes) the pipeline converts pixels in JS. */
  readonly processors?: ImageProcessors;
  /** The device path, where the provider keeps tensors on the device (webgpu); absent: the host path only. */
  readonly device?: DeviceModels;
  /** The transfers since the last call (the pipeline reports them per frame). */
  takeTransfers?(): Transfers;
  /** BPE ids of a text, without BOS/EOS/padding, exactly as CLIP tokenizes it. */
  tokenize(text: string): number[];
  /**
   * ids: [B * maxTokens] (BOS...EOS pad...) -> the prompt's conditioning: encoder_hidden_states [B, maxTokens,
   * textWidth] (SDXL: both encoders' penultimate hidden states side by side) and SDXL's pooled text_embeds.
   */
  encodeText(ids: Int32Array, batch: number): Promise<Conditioning>;
  /** sample [B,4,h,w], timesteps and conditioning laid out per batch element -> predicted noise [B,4,h,w]. */
  unet(inputs: UnetInputs): Promise<TensorF32>;
  /** images [B,3,H,W] in [-1,1] -> latents [B,4,H/8,W/8] (mean, times vaeScaling). */
  vaeEncode(images: TensorF32): Promise<TensorF32>;
  /**
   * latents [B,4,h,w] -> images [B,3,H,W] in [-1,1]. `into` ([B,3,H,W]) is a buffer the caller reuses across
   * frames: the image is written there where the export allows it; either way the result is the returned tensor.
   * Where the decoder's image is not float32 in [-1,1] (fp16, [0,1]), that result is the decoder's own output,
   * which processors.toRgba reads as it is: its data is converted (in JS) only when something reads it.
   */
  vaeDecode(latents: TensorF32, into?: TensorF32): Promise<TensorF32>;
  dispose(): Promise<void>;
}
