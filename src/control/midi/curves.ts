export type Curve = 'linear' | 'exponential' | 'log';

const K = 6;
const SPAN = 2 ** K - 1;

/** Control travel 0..1 to value travel 0..1: exponential gives fine control at the bottom, log at the top. */
export function applyCurve(curve: Curve, x: number): number {
  if (curve === 'exponential') return (2 ** (K * x) - 1) / SPAN;
  if (curve === 'log') return Math.log2(1 + SPAN * x) / K;
  return x;
}

/** Value travel back to control travel (pick-up and LED feedback need to know where the control "is"). */
export function invertCurve(curve: Curve, y: number): number {
  return applyCurve(curve === 'exponential' ? 'log' : curve === 'log' ? 'exponential' : 'linear', y);
}
