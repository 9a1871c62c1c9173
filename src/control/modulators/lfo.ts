import type { LfoModulator, LfoShape } from './schema.js';

const TWO_PI = 2 * Math.PI;

/** A number in -1..1 for cycle n (sample and hold), the same for the same seed and cycle. */
function held(seed: number, n: number): number {
  let x = (Math.imul(n | 0, 0x9e3779b1) ^ seed) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (((x ^ (x >>> 16)) >>> 0) / 0xffffffff) * 2 - 1;
}

/** A seed from a modulator's name, so two random LFOs do not move together. */
export function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * The waveform at cycle position x (cycles, fractional), -1..1. sine starts at 0 rising; triangle starts at -1,
 * peaks at half a cycle; saw ramps from -1 to 1 through each cycle; square is 1 for the first half, -1 after;
 * random holds a new value through each cycle.
 */
export function wave(shape: LfoShape, x: number, seed = 0): number {
  const p = x - Math.floor(x);
  switch (shape) {
    case 'sine': return Math.sin(TWO_PI * p);
    case 'triangle': return 1 - 4 * Math.abs(p - 0.5);
    case 'saw': return 2 * p - 1;
    case 'square': return p < 0.5 ? 1 : -1;
    case 'random': return held(seed, Math.floor(x));
  }
}

/** Where an LFO is in its cycle: from the time (rate in Hz) or from the beat position (cycle length in beats). */
export function cyclePosition(m: LfoModulator, seconds: number, beats: number): number {
  return (m.beats !== undefined ? beats / m.beats : seconds * m.rate) + m.phase;
}

/** The LFO's contribution to its target at that time and beat: offset + depth * wave. */
export function lfoValue(m: LfoModulator, seconds: number, beats: number): number {
  return m.offset + m.depth * wave(m.shape, cyclePosition(m, seconds, beats), seedOf(m.name));
}
