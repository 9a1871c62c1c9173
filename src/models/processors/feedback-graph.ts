import { GraphBuilder } from '../onnx/graph-builder.js';
import { ONNX_DTYPE } from '../onnx/model-proto.js';

/** AffineGrid is an opset 20 operator (GridSample's 'linear' mode name too). */
export const FEEDBACK_OPSET = 20;

/** What lies beyond the previous frame's edge once it is moved: black, its edge pixels stretched, or a mirror image. */
export const FEEDBACK_BORDERS = ['zeros', 'border', 'reflection'] as const;
export type FeedbackBorder = (typeof FEEDBACK_BORDERS)[number];

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

/** rgba uint8 [1,H,W,4] -> float32 [1,3,H,W] in 0..255 (alpha dropped). */
function planarRgb(g: GraphBuilder, rgba: string): string {
  const planar = g.op('Transpose', [rgba], { perm: [0, 3, 1, 2] });
  const rgb = g.op('Slice', [planar, g.constant([1], int64(0)), g.constant([1], int64(3)), g.constant([1], int64(1))]);
  return g.op('Cast', [rgb], { to: ONNX_DTYPE.float32 });
}

/**
 * Image feedback, the previous output mixed back into the next input:
 *   mixed = input_gain * frame + feedback_gain * warp(previous) + offset
 * where warp samples `previous` bilinearly through `theta` [1,2,3] (AffineGrid, normalised coordinates,
 * align_corners 0): zoom, pan and rotation are one affine map the caller builds. Rounds half to even and
 * saturates to uint8, alpha 255.
 *   frame, previous  rgba uint8 [1,H,W,4];  theta float32 [1,2,3];  input_gain, feedback_gain, offset float32 scalars
 *   mixed            rgba uint8 [1,H,W,4]
 */
export function feedbackGraph(border: FeedbackBorder): GraphBuilder {
  const g = new GraphBuilder(`sdlive_feedback_${border}`, 0);
  const frame = planarRgb(g, g.input('frame', 'uint8', [1, 'height', 'width', 4]));
  const previous = planarRgb(g, g.input('previous', 'uint8', [1, 'height', 'width', 4]));
  const theta = g.input('theta', 'float32', [1, 2, 3]);
  const grid = g.op('AffineGrid', [theta, g.op('Shape', [previous])], { align_corners: 0 });
  const warped = g.op('GridSample', [previous, grid], { mode: 'linear', padding_mode: border, align_corners: 0 });
  const gain = (name: string) => g.input(name, 'float32', []);
  const mixed = g.op('Add', [g.op('Add', [g.op('Mul', [frame, gain('input_gain')]), g.op('Mul', [warped, gain('feedback_gain')])]), gain('offset')]);
  const planes = g.op('Pad', [mixed, g.constant([8], int64(0, 0, 0, 0, 0, 1, 0, 0)), g.scalar(255)], { mode: 'constant' });
  const bytes = g.op('QuantizeLinear', [planes, g.scalar(1), g.constant([], Uint8Array.of(0))]);
  g.output(g.op('Transpose', [bytes], { perm: [0, 2, 3, 1] }), 'mixed', 'uint8', [1, 'height', 'width', 4]);
  return g;
}
