import { createFrame, type Frame } from '../io/frame.js';
import { fitFrame } from '../io/resize.js';

export type FadeTarget = 'black' | 'input';

export interface FadeParams {
  blackout?: boolean;
  /** 0: the output as it is; 1: all black, or all input. */
  fade?: number;
  fade_to?: FadeTarget;
}

/** Fade amounts in 1/256 steps: integer blending, exact at both ends. */
const STEPS = 256;

/**
 * Blackout and fade on the frame the outputs get, whatever the pipeline (passthrough too). A black frame is made
 * once per size and shared (nobody writes to it); a partial fade is blended into one of two buffers taken in
 * turn, since outputs that copy during write() (shm, Spout, Syphon, the preview) are done with the older one.
 * Outputs that keep the frame (ffmpeg, raw files) get a new buffer for each faded frame instead.
 */
export class OutputFader {
  private black: Frame | undefined;
  private readonly ring: (Uint8Array | undefined)[] = [undefined, undefined];
  private turn = 0;
  private fittedFrom: Frame | undefined;
  private fitted: Frame | undefined;

  /**
   * The frame the outputs get. `input` is asked for only when fading to it; `kept`: some output may read the
   * frame after write() returns.
   */
  apply(frame: Frame, params: FadeParams, input: () => Frame | undefined, kept: boolean): Frame {
    const amount = params.blackout ? STEPS : Math.round(Math.min(1, Math.max(0, params.fade ?? 0)) * STEPS);
    if (amount === 0) return frame;
    const source = params.fade_to === 'input' && !params.blackout ? input() : undefined;
    if (!source && amount === STEPS) return { ...this.blackFrame(frame), timestamp: frame.timestamp };
    const target = source ? this.fit(source, frame) : undefined;
    return { ...frame, data: blend(frame.data, target?.data, amount, this.buffer(frame.data.length, kept)) };
  }

  private blackFrame({ width, height }: Frame): Frame {
    if (this.black?.width !== width || this.black.height !== height) {
      this.black = createFrame(width, height);
      for (let i = 3; i < this.black.data.length; i += 4) this.black.data[i] = 255;
    }
    return this.black;
  }

  /** The input at the output's size; refitted only when a new input frame arrives. */
  private fit(input: Frame, like: Frame): Frame {
    if (input.width === like.width && input.height === like.height) return input;
    if (input !== this.fittedFrom || this.fitted?.width !== like.width || this.fitted.height !== like.height) {
      this.fittedFrom = input;
      this.fitted = fitFrame(input, like.width, like.height);
    }
    return this.fitted;
  }

  private buffer(bytes: number, kept: boolean): Uint8Array {
    if (kept) return new Uint8Array(bytes);
    this.turn ^= 1;
    const current = this.ring[this.turn];
    if (current?.length === bytes) return current;
    return (this.ring[this.turn] = new Uint8Array(bytes));
  }
}

/** RGB moved `amount`/256 of the way to `to` (black when absent); alpha kept. Unrolled: this runs on every faded frame. */
function blend(from: Uint8Array, to: Uint8Array | undefined, amount: number, out: Uint8Array): Uint8Array {
  const keep = STEPS - amount;
  const n = from.length;
  if (!to) {
    for (let i = 0; i < n; i += 4) {
      out[i] = (from[i]! * keep + 128) >> 8;
      out[i + 1] = (from[i + 1]! * keep + 128) >> 8;
      out[i + 2] = (from[i + 2]! * keep + 128) >> 8;
      out[i + 3] = from[i + 3]!;
    }
    return out;
  }
  for (let i = 0; i < n; i += 4) {
    out[i] = (from[i]! * keep + to[i]! * amount + 128) >> 8;
    out[i + 1] = (from[i + 1]! * keep + to[i + 1]! * amount + 128) >> 8;
    out[i + 2] = (from[i + 2]! * keep + to[i + 2]! * amount + 128) >> 8;
    out[i + 3] = from[i + 3]!;
  }
  return out;
}
