import type { EnvelopeModulator } from './schema.js';

/** When the gate went on, and off (undefined while held), seconds. */
export interface Gate {
  on: number;
  off?: number;
}

/** The level while the gate is held, t seconds after it went on: attack to 1, decay to sustain, then sustain. */
function heldLevel(m: EnvelopeModulator, t: number): number {
  if (t < m.attack) return t / m.attack;
  if (t < m.attack + m.decay) return 1 - ((1 - m.sustain) * (t - m.attack)) / m.decay;
  return m.sustain;
}

/** 0..1 at time `now` (seconds); 0 before any trigger and after the release. */
export function envelopeLevel(m: EnvelopeModulator, gate: Gate | undefined, now: number): number {
  if (!gate || now < gate.on) return 0;
  if (gate.off === undefined || now < gate.off) return heldLevel(m, now - gate.on);
  const from = heldLevel(m, gate.off - gate.on);
  const r = m.release > 0 ? (now - gate.off) / m.release : 1;
  return r >= 1 ? 0 : from * (1 - r);
}

/** The gate a one-shot trigger opens: released when the decay ends. */
export function oneShot(m: EnvelopeModulator, now: number): Gate {
  return { on: now, off: now + m.attack + m.decay };
}

/** The envelope's contribution to its target: offset + depth * level. */
export function envelopeValue(m: EnvelopeModulator, gate: Gate | undefined, now: number): number {
  return m.offset + m.depth * envelopeLevel(m, gate, now);
}
