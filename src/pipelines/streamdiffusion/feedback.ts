/** How the previous output comes back into the next input (image feedback), as the schema's feedback_* fields set it. */
export interface FeedbackSettings {
  /** 0: the input alone; 1: the previous output alone. */
  amount: number;
  /** How much of the fed-back picture survives a pass (trails fade out below 1). */
  decay: number;
  /** Scale of the fed-back picture about the centre (above 1 zooms in: a tunnel). */
  zoom: number;
  /** Movement per pass in fractions of the frame: +x right, +y down. */
  panX: number;
  panY: number;
  /** Degrees per pass, clockwise. */
  rotate: number;
  /** Feedback safe: the loop gain stays below 1, so old frames die out and the input always shows through. */
  safe: boolean;
}

/** Feedback safe's ceilings: the input keeps at least 10% and a picture loses at least 13% per pass (0.9 * 0.97). */
export const FEEDBACK_SAFE = { amount: 0.9, decay: 0.97 } as const;

/**
 * The mix: mixed = input * frame + feedback * warp(previous) + offset. Rounding to 8 bits would hold a dim
 * remnant for ever (3 * 0.87 rounds back to 3), so feedback safe also takes half a level off: it always fades to the input.
 */
export function feedbackGains(s: Pick<FeedbackSettings, 'amount' | 'decay' | 'safe'>): { input: number; feedback: number; offset: number } {
  const amount = s.safe ? Math.min(s.amount, FEEDBACK_SAFE.amount) : s.amount;
  const decay = s.safe ? Math.min(s.decay, FEEDBACK_SAFE.decay) : s.decay;
  return { input: 1 - amount, feedback: amount * decay, offset: s.safe && amount > 0 ? -0.5 : 0 };
}

/** Latent feedback's share of the previous x0: feedback safe caps it as the image amount, so the encoded input keeps 10%. */
export function latentFeedbackAmount(amount: number, safe: boolean): number {
  return safe ? Math.min(amount, FEEDBACK_SAFE.amount) : amount;
}

/**
 * AffineGrid's theta [1,2,3]: for an output point q (normalised, -1..1 on each axis) the point of the previous frame it
 * samples, p = A q + b, the inverse of "zoom about the centre, rotate, then pan". The rotation runs in square
 * coordinates (x times the aspect ratio) so a non-square frame turns without shearing.
 */
export function feedbackTheta(s: Pick<FeedbackSettings, 'zoom' | 'panX' | 'panY' | 'rotate'>, width: number, height: number): Float32Array {
  const aspect = width / height;
  const rad = (s.rotate * Math.PI) / 180;
  const [c, sin] = [Math.cos(rad) / s.zoom, Math.sin(rad) / s.zoom];
  const [tx, ty] = [2 * s.panX * aspect, 2 * s.panY];
  return Float32Array.of(c, sin / aspect, -(c * tx + sin * ty) / aspect, -sin * aspect, c, -(-sin * tx + c * ty));
}
