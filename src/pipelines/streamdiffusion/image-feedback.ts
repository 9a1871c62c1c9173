import { errorLine, SdliveError } from '../../errors.js';
import type { Frame } from '../../io/frame.js';
import type { FeedbackMix, ImageProcessors, TensorF32 } from '../../models/sd-models.js';
import { feedbackGains, feedbackTheta, type FeedbackSettings } from './feedback.js';
import type { StageTime } from './image.js';
import type { StreamDiffusionParams } from './schema.js';
import { axpbySlots } from './tensor.js';

type FeedbackParams = Pick<
  StreamDiffusionParams,
  'feedback' | 'feedback_decay' | 'feedback_zoom' | 'feedback_pan_x' | 'feedback_pan_y' | 'feedback_rotate' | 'feedback_border' | 'feedback_safe'
>;

/** The schema's feedback_* fields as FeedbackSettings. */
export function feedbackSettings(p: Readonly<FeedbackParams>): FeedbackSettings {
  return { amount: p.feedback, decay: p.feedback_decay, zoom: p.feedback_zoom, panX: p.feedback_pan_x, panY: p.feedback_pan_y, rotate: p.feedback_rotate, safe: p.feedback_safe };
}

/** One pass's mix for a frame of `frame`'s size. */
export function feedbackMix(p: Readonly<FeedbackParams>, { width, height }: Pick<Frame, 'width' | 'height'>): FeedbackMix {
  const s = feedbackSettings(p);
  return { width, height, border: p.feedback_border, theta: feedbackTheta(s, width, height), gains: feedbackGains(s) };
}

/**
 * Image feedback: the previous output frame mixed into the next input frame by the processors' feedback session
 * (on the model's provider). Without processors (plain-JS fake models) there is no feedback: frames pass as they are.
 * A feedback run that fails fails its frame once (SDL_ERR_PIPELINE) and switches feedback off for this load: the show
 * goes on without it rather than dropping every frame.
 */
export class ImageFeedback {
  /** A copy of the last output (a handed-over output buffer is the engine's once returned). */
  private previous: Uint8Array | undefined;
  private mixed: Uint8Array | undefined;
  private failed = false;

  constructor(private readonly processors: ImageProcessors | undefined) {}

  /** What the stream takes: `frame` mixed with the previous output; `frame` itself when off, on the first frame or after a size change. */
  async input(frame: Frame, params: Readonly<FeedbackParams>, time: StageTime): Promise<Frame> {
    const p = this.processors;
    const pass = p?.feedback && this.pass(frame, params);
    if (!pass) return frame;
    if (this.mixed?.length !== frame.data.length) this.mixed = new Uint8Array(frame.data.length);
    const mixed = this.mixed;
    await this.guarded(time, () => p.feedback!(frame.data, pass.previous, pass.mix, mixed));
    return { ...frame, data: mixed };
  }

  /** The device path's mix: `mixOnDevice` (the mix as the encoder's input) where feedback applies, else undefined. */
  async deviceInput<T>(frame: Frame, params: Readonly<FeedbackParams>, time: StageTime, mixOnDevice: (previous: Uint8Array, mix: FeedbackMix) => Promise<T>): Promise<T | undefined> {
    const pass = this.processors?.feedback && this.pass(frame, params);
    return pass ? this.guarded(time, () => mixOnDevice(pass.previous, pass.mix)) : undefined;
  }

  private pass(frame: Frame, params: Readonly<FeedbackParams>): { previous: Uint8Array; mix: FeedbackMix } | undefined {
    const previous = this.previous;
    if (this.failed || params.feedback === 0 || previous?.length !== frame.data.length) return undefined;
    return { previous, mix: feedbackMix(params, frame) };
  }

  private async guarded<T>(time: StageTime, work: () => Promise<T>): Promise<T> {
    try {
      return await time('feedback', work);
    } catch (e) {
      this.failed = true;
      this.previous = undefined;
      throw new SdliveError('SDL_ERR_PIPELINE', `image feedback failed on this model's provider and is off until the model is loaded again: ${errorLine(e)}`, 'feedback');
    }
  }

  /** Keeps the output for the next frame while feedback is on; off, nothing is copied. */
  keep(output: Frame, params: Readonly<FeedbackParams>): void {
    if (!this.processors?.feedback || this.failed || params.feedback === 0) {
      this.previous = undefined;
      return;
    }
    if (this.previous?.length !== output.data.length) this.previous = new Uint8Array(output.data.length);
    this.previous.set(output.data);
  }

  reset(): void {
    this.previous = undefined;
  }
}

/**
 * Latent feedback: z' = (1 - b) * z + b * x0_prev, the previous frame's final x0 blended into the next encoded latent
 * before noise is added. x0 tensors are never written once made: keeping a reference is enough. Kept only while
 * latent feedback is on (as the device path keeps its device x0), so it starts on the frame after it is turned on.
 */
export class LatentFeedback {
  private previous: TensorF32 | undefined;

  blend(latent: TensorF32, amount: number): TensorF32 {
    const previous = this.previous;
    if (amount === 0 || previous?.data.length !== latent.data.length) return latent;
    return axpbySlots([1 - amount], latent, [amount], previous);
  }

  keep(x0: TensorF32 | undefined): void {
    this.previous = x0;
  }

  reset(): void {
    this.previous = undefined;
  }
}
